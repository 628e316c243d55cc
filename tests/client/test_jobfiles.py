"""client/jobfiles.py: the wallet keeps test sets and model salts like its keys: owner-only files in
an owner-only directory, never overwritten, found by the commitment the chain holds, and refused
when changed."""
import json
import stat

import pytest

from client import Sealed, TestSet
from client.jobfiles import JobFileError, JobFiles, default_dir
from ml import kinds


def test_a_test_set_is_kept_owner_only_and_found_by_its_commitment(tmp_path):
    files = JobFiles(default_dir(tmp_path / "alice.key"))
    test = TestSet.make([[1, 2], [3, 4]], [0, 1])
    path = files.save_test(test)
    assert path.parent == tmp_path / "alice.key.jobs"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert test.commitment == kinds.test_commitment([[1, 2], [3, 4]], [0, 1], test.salt)
    assert files.load_test(test.commitment) == test
    with pytest.raises(JobFileError, match="refusing to overwrite"):
        files.save_test(test)


def test_salts_are_fresh_and_a_changed_file_is_refused(tmp_path):
    files = JobFiles(tmp_path / "jobs")
    model = {"kind": "knn", "rows": [[0]], "labels": [0], "weights": [1], "k": 1}
    worker = "a1" * 20
    a, b = Sealed.make(model, worker), Sealed.make(model, worker)
    assert a.salt != b.salt and a.commitment != b.commitment
    assert a.commitment == kinds.model_commitment(model, a.salt, worker)
    path = files.save_model(a)
    assert json.loads(path.read_text()) == {"model": model, "salt": a.salt, "worker": worker}
    assert files.load_model(a.commitment) == a and files.has_model(a.commitment)
    path.chmod(0o600)
    path.write_text(json.dumps({"model": {**model, "k": 1, "weights": [2]}, "salt": a.salt, "worker": worker}))
    with pytest.raises(JobFileError, match="does not hash"):
        files.load_model(a.commitment)
    with pytest.raises(JobFileError, match="no model"):
        files.load_model(b.commitment)


def test_a_sealed_model_commits_for_its_own_worker_only(tmp_path):
    """The commitment binds the worker: one model and salt sealed for two addresses are two
    commitments, and a file whose worker was changed no longer opens its commitment."""
    model = {"kind": "tree", "nodes": [[1]]}
    mine = Sealed.make(model, "a1" * 20)
    theirs = Sealed(model, mine.salt, "b2" * 20)
    assert mine.commitment != theirs.commitment
    files = JobFiles(tmp_path / "jobs")
    path = files.save_model(mine)
    path.write_text(json.dumps({"model": model, "salt": mine.salt, "worker": "b2" * 20}))
    with pytest.raises(JobFileError, match="does not hash"):
        files.load_model(mine.commitment)
    path.write_text(json.dumps({"model": model, "salt": mine.salt}))   # a file without its worker
    with pytest.raises(JobFileError, match="must hold model, salt and worker"):
        files.load_model(mine.commitment)


def test_for_key_seals_for_the_key_s_address():
    from blockchain import crypto
    key = crypto.generate_private_key()
    sealed = Sealed.for_key({"kind": "tree", "nodes": [[0]]}, key)
    assert sealed.worker == crypto.address_of(crypto.public_key_hex(key))
    assert sealed.commitment == kinds.model_commitment(sealed.model, sealed.salt, sealed.worker)

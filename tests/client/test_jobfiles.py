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
    a, b = Sealed.make(model), Sealed.make(model)
    assert a.salt != b.salt and a.commitment != b.commitment
    assert a.commitment == kinds.model_commitment(model, a.salt)
    path = files.save_model(a)
    assert files.load_model(a.commitment) == a and files.has_model(a.commitment)
    path.chmod(0o600)
    path.write_text(json.dumps({"model": {**model, "k": 1, "weights": [2]}, "salt": a.salt}))
    with pytest.raises(JobFileError, match="does not hash"):
        files.load_model(a.commitment)
    with pytest.raises(JobFileError, match="no model"):
        files.load_model(b.commitment)

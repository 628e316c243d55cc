"""tests/vectors/jobs-v3.json (PROTOCOL.md "Version 3: training jobs"): the file is what
scripts/build_job_vectors.py builds, and ml/kinds.py and blockchain/jobs.py reproduce every value.
web/kinds.js is held to the same file by tests/web/kinds.test.js."""
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from blockchain import jobs
from blockchain.jobs import Commitment, Windows
from ml import kinds
from ml.hashing import canon

ROOT = Path(__file__).resolve().parents[2]
VECTORS = json.loads((ROOT / "tests" / "vectors" / "jobs-v3.json").read_text(encoding="utf-8"))


def test_the_file_is_what_the_builder_writes():
    run = subprocess.run([sys.executable, "scripts/build_job_vectors.py", "--check"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("case", VECTORS["models"], ids=lambda c: c["name"][:40])
def test_models_predict_score_and_commit_as_the_vectors_say(case):
    model, test = case["model"], case["test"]
    assert kinds.check_model(model["kind"], model, case["features"], case["classes"]) is None
    assert kinds.check_test_set(test, case["features"], case["classes"], len(test["rows"])) is None
    assert [kinds.predict(model, r) for r in test["rows"]] == case["predictions"]
    assert kinds.predict_all(model, test["rows"]) == case["predictions"]
    assert kinds.score(model, test["rows"], test["labels"]) == case["score"]
    assert kinds.model_commitment(model, case["model_salt"], case["model_worker"]) == case["model_commitment"]
    assert kinds.test_commitment(test["rows"], test["labels"], test["salt"]) == case["test_commitment"]
    assert len(canon(model)) == case["model_canon_bytes"]


@pytest.mark.parametrize("case", VECTORS["refused_models"], ids=lambda c: c["name"][:40])
def test_every_refused_model_is_refused(case):
    assert kinds.check_model(case["kind"], case["model"], case["features"], case["classes"]) is not None


@pytest.mark.parametrize("case", VECTORS["accepted_models"], ids=lambda c: c["name"][:40])
def test_every_model_at_the_bounds_is_accepted(case):
    assert kinds.check_model(case["kind"], case["model"], case["features"], case["classes"]) is None
    assert len(canon(case["model"])) == case["canon_bytes"] <= kinds.LARGEST_MODEL_BYTES


@pytest.mark.parametrize("case", VECTORS["test_sets"], ids=lambda c: c["name"][:40])
def test_test_sets(case):
    found = kinds.check_test_set(case["test"], case["features"], case["classes"], case["test_rows"])
    assert (found is None) == case["valid"], found
    if case["valid"]:
        t = case["test"]
        assert kinds.test_commitment(t["rows"], t["labels"], t["salt"]) == case["commitment"]


@pytest.mark.parametrize("case", VECTORS["reveals"], ids=lambda c: c["name"][:40])
def test_model_reveals(case):
    found = kinds.check_reveal(case["kind"], case["data"], case["features"], case["classes"])
    assert (found is None) == case["valid"], found
    if case["valid"]:
        data = case["data"]
        assert kinds.model_commitment(data["model"], data["salt"], case["worker"]) == case["model_commitment"]


def test_a_model_commitment_is_the_hash_of_the_canonical_text_and_binds_its_worker():
    cases = VECTORS["model_commitments"]
    for case in cases:
        text = canon({"model": case["model"], "salt": case["salt"], "worker": case["worker"]})
        assert text.decode("ascii") == case["canon"]
        assert hashlib.sha256(text).hexdigest() == case["model_commitment"]
        assert kinds.model_commitment(case["model"], case["salt"], case["worker"]) == case["model_commitment"]
    first, second = cases
    assert (first["model"], first["salt"]) == (second["model"], second["salt"]) and first["worker"] != second["worker"]
    assert first["model_commitment"] != second["model_commitment"]


@pytest.mark.parametrize("case", VECTORS["settlements"], ids=lambda c: c["name"][:40])
def test_settlements(case):
    s = jobs.settle(case["requester"], case["bounty"], case["stake"], case["test_revealed"],
                    [Commitment(*c) for c in case["commitments"]])
    assert s.data() == case["settle_data"]
    n = len(case["commitments"])
    assert sum(a for _, a in s.payouts) + s.burnt == case["bounty"] + case["stake"] * n


def test_windows():
    for case in VECTORS["windows"]:
        w = Windows.of(case["job_height"], case["commit_blocks"], case["test_blocks"], case["model_blocks"])
        assert {k: getattr(w, k) for k in case["windows"]} == case["windows"]


@pytest.mark.parametrize("case", VECTORS["job_bodies"], ids=lambda c: c["name"][:40])
def test_job_bodies(case):
    found = jobs.job_problem(case["data"], VECTORS["network_classes"], case["height"])
    assert (found is None) == case["valid"], found


def test_protocol_md_shows_the_model_commitment_example_of_the_vectors():
    """The worked example in PROTOCOL.md is the vectors' (its canonical bytes, their count and both hashes)."""
    protocol = (ROOT / "docs" / "PROTOCOL.md").read_text(encoding="utf-8")
    first, second = VECTORS["model_commitments"]
    assert first["canon"] in protocol and f"the {len(first['canon'])} bytes" in protocol
    assert first["model_commitment"] in protocol and second["model_commitment"] in protocol

"""The node's ledger against tests/vectors/jobs-chains-v3.json (PROTOCOL.md "Version 3: training jobs"):
every valid chain replays to the balances and settlements the file states, and every invalid
variant is refused at its last block, for its own reason, in-process and by ``python -m blockchain.verify``."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from blockchain import audit_chain
from ml import ledger_model

ROOT = Path(__file__).resolve().parents[2]
VECTORS = json.loads((ROOT / "tests" / "vectors" / "jobs-chains-v3.json").read_text())
CASES = VECTORS["cases"]

#: what the node's message says for each variant (the spec's rule, in the node's words)
REASONS = {
    "bounty the sender cannot cover": "to escrow as the bounty",
    "commit in the test window": "(the commit window)",
    "second commitment by one worker": "one commitment per worker",
    "requester commits": "the requester may not commit",
    "stake of the wrong amount": "amount must be the job's stake",
    "stake the sender cannot cover": "to stake",
    "test revealed by another sender": "only the job's requester",
    "test revealed in the commit window": "(the test window)",
    "test revealed in the model window": "(the test window)",
    "test not matching its commitment": "does not match the job's test_commitment",
    "model revealed in the test window": "(the model window)",
    "model not matching its commitment": "does not match its commitment",
    "a copied commitment's replayed reveal": "it is ann's model and salt, and a commitment binds its worker",
    "model not well formed": "not a well-formed tree model",
    "model by a non-committer": "has no commitment in this job",
    "model revealed twice": "has already revealed its model",
    "settlement missing": "must hold its JOB_SETTLE",
    "settlement wrong": "must equal the settlement replayed",
    "settlement with the wrong burnt": "must equal the settlement replayed",
    "settlement in the wrong block": "this job settles in block",
    "settlement of a settled job": "already settled",
    "settlement after a user transaction": "right after the REWARD",
    "max_commits exceeded": "at most 2 commitments",
    "a third job settling in one block": "2 jobs already settle",
    "model revealed without the test set": "test set was never revealed",
    "settlements out of JOB order": "in the order of their JOBs",
    "a JOB on a protocol 2 network": "valid only on a protocol 3 network",
}
INVALID = [(c["name"], v) for c in CASES for v in c["invalid"]]


def test_every_outcome_and_every_rule_has_a_case():
    outcomes = {s["outcome"] for c in CASES for s in c["jobs_after"].values()}
    assert outcomes == {"won", "no_model", "withheld"}
    assert {v["name"] for _, v in INVALID} == set(REASONS)
    tie = next(c for c in CASES if c["name"] == "tie")
    (settled,) = tie["jobs_after"].values()
    assert settled["scores"][0][1] == settled["scores"][1][1] and settled["winner"] == settled["scores"][0][0]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_a_valid_chain_replays_to_the_stated_balances_and_settlements(case):
    result = audit_chain(case["chain"], ledger_model())
    assert result.valid, [str(i) for i in result.issues]
    state = result.state
    assert dict(state.balances) == case["balances_after"]
    assert {job_id: state.jobs[job_id].settlement for job_id in case["jobs_after"]} == case["jobs_after"]
    for job_id, settlement in case["jobs_after"].items():   # the payouts are exactly the escrow, less what burns
        job = state.jobs[job_id]
        paid = sum(n for _, n in settlement["payouts"])
        assert paid + settlement["burnt"] == job.bounty + len(job.commits) * job.data["stake"]


@pytest.mark.parametrize("variant", [v for _, v in INVALID], ids=[f"{c}: {v['name']}" for c, v in INVALID])
def test_an_invalid_variant_is_refused_at_its_last_block_for_its_reason(variant):
    assert variant["first_bad_block"] == len(variant["chain"]) - 1
    prefix = audit_chain(variant["chain"][:-1], ledger_model())
    assert prefix.valid, [str(i) for i in prefix.issues]   # only the last block breaks a rule
    result = audit_chain(variant["chain"], ledger_model(), stop_at_first=True)
    assert not result.valid
    first = result.issues[0]
    assert first.block_index == variant["first_bad_block"]
    assert REASONS[variant["name"]] in first.message, first.message


def test_the_standalone_verifier_accepts_each_case_and_refuses_a_variant(tmp_path):
    run = [sys.executable, "-m", "blockchain.verify"]
    for i, case in enumerate(CASES):
        path = tmp_path / f"valid{i}.json"
        path.write_text(json.dumps(case["chain"]))
        ok = subprocess.run([*run, str(path)], capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert ok.returncode == 0 and "VALID" in ok.stdout, ok.stdout + ok.stderr
    for name, variant in INVALID:
        path = tmp_path / "invalid.json"
        path.write_text(json.dumps(variant["chain"]))
        bad = subprocess.run([*run, str(path)], capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert bad.returncode == 1 and f"block {variant['first_bad_block']}" in bad.stdout, (name, bad.stdout)
        assert REASONS[variant["name"]] in bad.stdout, (variant["name"], bad.stdout)


def test_the_script_rebuilds_the_committed_vectors():
    done = subprocess.run([sys.executable, "scripts/build_job_chain_vectors.py", "--check"], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr

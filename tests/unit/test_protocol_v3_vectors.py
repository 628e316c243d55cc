"""The node's ledger against tests/vectors/protocol-v3.json (PROTOCOL.md "Version 3 (draft): claims"):
every valid chain replays to the ledger the file states, every judgement is reproduced, and every
forged claim is refused at its block, in-process and by ``python -m blockchain.verify``."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from blockchain import audit_chain, claims
from blockchain.ledger import Delta
from ml import ledger_model

ROOT = Path(__file__).resolve().parents[2]
VECTORS = json.loads((ROOT / "tests" / "vectors" / "protocol-v3.json").read_text())
CASES = VECTORS["cases"]


def test_the_vectors_are_a_protocol_3_network():
    assert VECTORS["params"]["protocol"] == 3
    assert all(case["chain"][0] == VECTORS["genesis"] for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["name"][:40] for c in CASES])
def test_a_valid_chain_replays_to_the_stated_ledger(case):
    result = audit_chain(case["chain"], ledger_model())
    assert result.valid, [str(i) for i in result.issues]
    state = result.state
    assert {a: state.balance(a) for a in case["balances_after"]} == case["balances_after"]
    assert {a: state.good.get(a, 0) for a in case["good_after"]} == case["good_after"]
    assert state.total_good == case["total_good"]
    for name, expect in case["flowers_after"].items():
        f = state.flowers[case["flower_ids"][name]]
        assert {"left": f.left, "refunded": f.refunded, "settled": f.settled} == expect, name


@pytest.mark.parametrize("case", CASES, ids=[c["name"][:40] for c in CASES])
def test_every_judgement_is_reproduced(case):
    for j in case["judgements"]:
        result = audit_chain(case["chain"][:j["judged_in_block"]], ledger_model())
        assert result.valid
        got = claims.explain(Delta(result.state, j["judged_in_block"], result.model), j["flower_id"])
        assert [n["row"] for n in got["neighbours"] if n["counted"]] == j["panel_rows"], j["name"]
        assert (got["agree"], got["refund_allowed"], got["report_allowed"], got["good"]) == (
            j["agree"], j["refund_allowed"], j["report_allowed"], j["good"]), j["name"]


INVALID = [(c["name"][:30], v) for c in CASES for v in c["invalid"]]


@pytest.mark.parametrize("variant", [v for _, v in INVALID], ids=[f"{n}: {v['reason'][:40]}" for n, v in INVALID])
def test_a_forged_claim_is_refused_at_its_block(variant):
    result = audit_chain(variant["chain"], ledger_model(), stop_at_first=True)
    assert not result.valid
    assert result.issues[0].block_index == variant["first_bad_block"]
    assert "settled points" in result.issues[0].message


def test_the_standalone_verifier_accepts_the_attack_chains_and_refuses_the_forged_claims(tmp_path):
    valid, invalid = tmp_path / "valid.json", tmp_path / "invalid.json"
    valid.write_text(json.dumps(CASES[0]["chain"]))
    invalid.write_text(json.dumps(CASES[0]["invalid"][0]["chain"]))
    run = [sys.executable, "-m", "blockchain.verify"]
    ok = subprocess.run([*run, str(valid)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert ok.returncode == 0 and "protocol 3" in ok.stdout and "VALID" in ok.stdout, ok.stdout + ok.stderr
    bad = subprocess.run([*run, str(invalid)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert bad.returncode == 1 and f"block {CASES[0]['invalid'][0]['first_bad_block']}" in bad.stdout, bad.stdout


def test_the_script_rebuilds_the_committed_vectors(tmp_path):
    committed = (ROOT / "tests" / "vectors" / "protocol-v3.json").read_text()
    spec = __import__("importlib.util").util.spec_from_file_location("v3", ROOT / "scripts" / "build_v3_vectors.py")
    module = __import__("importlib.util").util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.OUT = tmp_path / "v3.json"
    module.main()
    assert module.OUT.read_text() == committed, "run python scripts/build_v3_vectors.py"

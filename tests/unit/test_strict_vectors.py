"""tests/vectors/protocol-v2-strict.json (PROTOCOL.md "Strict JSON" and the differential fuzzer's
findings): the Python verifier, ``python -m blockchain.verify`` and a node taking the blocks by
POST /blocks judge every case alike (tests/web/verify.test.js holds verify.js to the same file)."""
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from api import create_app
from blockchain.audit import audit_chain
from blockchain.strictjson import JSONRejected, loads_strict
from ml import ledger_model

ROOT = Path(__file__).resolve().parent.parent.parent
FILE = ROOT / "tests" / "vectors" / "protocol-v2-strict.json"
CASES = json.loads(FILE.read_text(encoding="utf-8"))["cases"]
IDS = [c["name"] for c in CASES]


def chain_text(case) -> str:
    return "[" + ",".join(case["blocks_json"]) + "]"


def test_the_file_is_what_its_script_builds():
    run = subprocess.run([sys.executable, "scripts/build_strict_vectors.py", "--check"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr


def test_every_rule_of_strict_json_has_a_case():
    names = set(IDS)
    for needed in ("user_transaction_from_the_future", "signature_null", "genesis_difficulty_true",
                   "genesis_min_deposit_false", "genesis_refund_wait_true", "duplicate_key", "proto_in_block",
                   "proto_in_transaction", "proto_in_flower_data", "valid_base"):
        assert needed in names


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_python_verifier(case):
    try:
        blocks = loads_strict(chain_text(case).encode("utf-8"))
    except JSONRejected:
        assert case["valid"] is False and case["first_bad_block"] is None
        return
    result = audit_chain(blocks, ledger_model(), None, now_ms=int(time.time() * 1000))
    assert result.valid is case["valid"], [str(i) for i in result.issues]
    if not result.valid:
        assert result.issues[0].block_index == case["first_bad_block"], str(result.issues[0])


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_command_line_verifier(case, tmp_path):
    path = tmp_path / "chain.json"
    path.write_text(chain_text(case), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "blockchain.verify", str(path)], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    if case["valid"]:
        assert run.returncode == 0 and "VALID" in run.stdout, run.stdout + run.stderr
    elif case["first_bad_block"] is None:
        assert run.returncode == 2 and "not strict JSON" in run.stderr, run.stdout + run.stderr
    else:
        assert run.returncode == 1, run.stdout + run.stderr
        listed = re.search(r"INVALID: .* in block\(s\) ([0-9, ]+) of", run.stdout)
        assert listed and int(listed.group(1).split(",")[0]) == case["first_bad_block"], run.stdout


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_node_taking_the_blocks_by_post(case):
    params = json.loads(CASES[0]["blocks_json"][0])["transactions"][0]["params"]
    app = create_app({"ephemeral": True, "difficulty": params["difficulty"], "min_deposit": params["min_deposit"],
                      "refund_wait": params["refund_wait"]})
    try:
        client = app.test_client()
        refused = None
        for position, text in enumerate(case["blocks_json"][1:], 1):
            r = client.post("/blocks", data=text.encode("utf-8"), content_type="application/json")
            if r.status_code != 201:
                assert 400 <= r.status_code < 500, (r.status_code, r.get_data(as_text=True))
                refused = position
                break
        assert refused == case["node_refuses_block"]
        height = client.get("/health").get_json()["height"]
        assert height == (len(case["blocks_json"]) - 1 if refused is None else refused - 1)
    finally:
        app.extensions["node"].close()

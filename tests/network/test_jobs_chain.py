"""tests/vectors/jobs-chains-v3.json against a real node process (PROTOCOL.md "Version 3: training
jobs"), through ``POST /blocks`` only: every valid case is accepted block by block and ends with
the stated balances, and every invalid variant is refused (400, with the rule it breaks) at its block."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.test_job_chain_vectors import REASONS

pytestmark = pytest.mark.network
ROOT = Path(__file__).resolve().parents[2]
CASES = [c for c in json.loads((ROOT / "tests" / "vectors" / "jobs-chains-v3.json").read_text())["cases"]
         if c["chain"][0]["transactions"][0]["params"]["protocol"] == 3]
ARGS = ("--protocol", "3", "--min-difficulty", "1", "--retarget-every", "10", "--target-block-ms", "1000")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_post_blocks_takes_each_valid_chain_and_refuses_each_variant_at_its_block(start_node, case):
    node = start_node(case["name"].replace(" ", "_"), difficulty=1, extra_args=ARGS)
    chain = case["chain"]
    assert node.get("/tip").json()["genesis"] == chain[0]["hash"]
    variants = {}
    for v in case["invalid"]:
        assert v["chain"][:-1] == chain[:v["first_bad_block"]]   # each variant branches off the valid chain
        variants.setdefault(v["first_bad_block"], []).append(v)
    for height in range(1, len(chain) + 1):
        for v in variants.get(height, []):
            r = node.post("/blocks", json=v["chain"][-1])
            assert r.status_code == 400, (v["name"], r.status_code, r.text)
            assert REASONS[v["name"]] in r.text, (v["name"], r.text)
            assert node.get("/tip").json()["height"] == height - 1, v["name"]   # nothing changed
        if height < len(chain):
            r = node.post("/blocks", json=chain[height])
            assert r.status_code == 201, (height, r.text)
    for address, balance in case["balances_after"].items():
        got = node.get(f"/balance/{address}").json()
        assert got["balance"] == balance, (address, got)

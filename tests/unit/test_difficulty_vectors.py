"""The node against the difficulty part of tests/vectors/protocol-v3.json (PROTOCOL.md "Version 3:
difficulty"): each valid chain replays with its stated difficulties and work, each fork ends on the stated
winner, each invalid variant is refused at its block; in-process, by ``python -m blockchain.verify``
and by ``scripts/build_v3_vectors.py --check``."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from blockchain import Blockchain, MemoryStore, audit_chain
from ml import ledger_model

ROOT = Path(__file__).resolve().parents[2]
VECTORS = json.loads((ROOT / "tests" / "vectors" / "protocol-v3.json").read_text())["difficulty"]
NOW = VECTORS["now_ms"]
P = VECTORS["params"]


def node() -> Blockchain:
    return Blockchain(ledger_model(), P["difficulty"], MemoryStore(), protocol=3, clock=lambda: NOW / 1000,
                      min_deposit=P["min_deposit"], refund_wait=P["refund_wait"], target_block_ms=P["target_block_ms"],
                      retarget_every=P["retarget_every"], min_difficulty=P["min_difficulty"])


def test_the_vectors_cover_what_the_issue_asks_for():
    names = " ".join([c["name"] for c in VECTORS["chains"] + VECTORS["forks"]]
                     + [v["reason"] for v in VECTORS["invalid"]])
    for words in ("up", "down", "clamped", "minimum", "reorg", "longer but lighter", "tie", "time warp"):
        assert words in names, words
    steps = {(a, b) for c in VECTORS["chains"] for a, b in zip(c["difficulty"], c["difficulty"][1:], strict=False)
             if a != b}
    assert any(b == 4 * a for a, b in steps) and any(4 * b == a for a, b in steps)   # clamped both ways
    assert any(a < b < 2 * a for a, b in steps) and any(a / 2 < b < a for a, b in steps)  # finer than 2x
    assert any(c["difficulty"][-1] == P["min_difficulty"] for c in VECTORS["chains"])
    assert node().genesis.to_dict() == VECTORS["genesis"]


@pytest.mark.parametrize("case", VECTORS["chains"], ids=[c["name"][:40] for c in VECTORS["chains"]])
def test_a_valid_chain_replays_with_its_difficulties_and_work(case):
    result = audit_chain(case["chain"], ledger_model(), now_ms=NOW)
    assert result.valid, [str(i) for i in result.issues]
    assert result.state.work.difficulties == case["difficulty"]
    assert str(result.state.work.work) == case["work"]
    n = node()
    assert n.replace_chain(case["chain"])[0] or len(case["chain"]) == 1
    assert n.tip()["work"] == case["work"]


@pytest.mark.parametrize("fork", VECTORS["forks"], ids=[f["name"][:40] for f in VECTORS["forks"]])
def test_a_node_ends_on_the_chain_with_the_most_work(fork):
    n = node()
    assert n.replace_chain(fork["ours"])[0]
    switched, _ = n.replace_chain(fork["theirs"])
    winner = fork[fork["winner"]]
    assert switched is (fork["winner"] == "theirs")
    assert n.tip()["hash"] == winner[-1]["hash"]
    assert n.tip()["work"] == fork[f"{fork['winner']}_work"]
    if fork["fork"] > 0:  # a branch from a shared block: only the blocks after it are taken
        result = node()
        assert result.replace_chain(fork["ours"])[0]
        outcome = result.adopt(fork["fork"], fork["theirs"][fork["fork"] + 1:])
        assert outcome.switched is (fork["winner"] == "theirs")


@pytest.mark.parametrize("variant", VECTORS["invalid"], ids=[v["reason"][:40] for v in VECTORS["invalid"]])
def test_an_invalid_variant_is_refused_at_its_block(variant):
    result = audit_chain(variant["chain"], ledger_model(), now_ms=NOW, stop_at_first=True)
    assert not result.valid
    assert result.issues[0].block_index == variant["first_bad_block"]
    assert variant["message"] in result.issues[0].message, result.issues[0].message


def test_the_standalone_verifier_replays_them(tmp_path):
    run = [sys.executable, "-m", "blockchain.verify"]
    valid, invalid = tmp_path / "valid.json", tmp_path / "invalid.json"
    valid.write_text(json.dumps(VECTORS["chains"][0]["chain"]))
    warp = next(v for v in VECTORS["invalid"] if "median time past" in v["message"])
    invalid.write_text(json.dumps(warp["chain"]))
    ok = subprocess.run([*run, str(valid)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert ok.returncode == 0 and "VALID" in ok.stdout, ok.stdout + ok.stderr
    bad = subprocess.run([*run, str(invalid)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert bad.returncode == 1 and f"block {warp['first_bad_block']}" in bad.stdout, bad.stdout
    assert "median time past" in bad.stdout


def test_the_script_checks_the_committed_file():
    run = subprocess.run([sys.executable, "scripts/build_v3_vectors.py", "--check"], capture_output=True, text=True,
                         cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr

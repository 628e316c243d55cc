"""The differential fuzzer's seeded, bounded run (the long run: python -m tests.fuzz): random
valid chains and one-change mutants, on which the Python verifier and web/verify.js must agree
(verdict, first bad block; model hash, balances and every contribution's state when valid)."""
import shutil

import pytest

from tests.fuzz.__main__ import report, run
from tests.fuzz.mutate import MUTATORS

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="the fuzzer needs Node.js for verify.js")


def test_a_seeded_run_finds_no_disagreement():
    stats = run(chains=200, mutants=800, seed=20261202, big_every=50, out=lambda line: None)
    print(report(stats))
    assert stats["disagreements"] == [], stats["disagreements"][:3]
    # what it tried is what it claims to try
    assert stats["chains"] == 200 and stats["mutants"] == 800
    assert stats["verdicts"]["valid:valid"] == 200
    for name in ("TRANSFER", "FLOWER_DATA", "REFUND", "REPORT", "signed"):
        assert stats.get(name, 0) > 0, name
    assert stats["largest_block"] == 1002  # 1,000 user transactions, the REWARD and the MODEL_UPDATE
    assert set(stats["mutants_by_kind"]) == set(MUTATORS)
    for kind in MUTATORS:  # each kind of change makes both valid and invalid chains
        assert stats["verdicts"].get(f"{kind}:invalid", 0) > 0, kind
    assert sum(v for k, v in stats["verdicts"].items() if k.endswith(":valid") and not k.startswith("valid")) > 0

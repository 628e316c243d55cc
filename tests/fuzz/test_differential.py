"""The differential fuzzer's seeded, bounded run (the long run: python -m tests.fuzz): random
valid chains of protocols 2 and 3 and one-change mutants, on which the Python verifier and
web/verify.js must agree (verdict, first bad block; model hash, balances and every
contribution's state, v3's settled block included, when valid). v3 chains carry training jobs to
each outcome (won, no_model, withheld), and the "job" mutant changes their fields."""
import shutil

import pytest

from tests.fuzz.__main__ import report, run
from testkit.fuzz.generate import KINDS
from testkit.fuzz.mutate import MUTATORS

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="the fuzzer needs Node.js for verify.js")


@pytest.fixture(scope="module")
def stats():
    found = run(chains=200, mutants=800, seed=20261202, big_every=50, out=lambda line: None)
    print(report(found))
    return found


def test_a_seeded_run_finds_no_disagreement(stats):
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


def test_both_protocols_run_every_kind_of_traffic_and_change(stats):
    by = stats["by_protocol"]
    assert set(by) == {2, 3}
    for protocol, part in by.items():
        assert part["chains"] > 50 and part["verdicts"]["valid:valid"] == part["chains"], protocol
        assert part["disagreements"] == 0, protocol
        for name, (v2_weight, _, v3_weight) in KINDS.items():  # every kind the protocol draws from was mined
            if (v2_weight if protocol == 2 else v3_weight) > 0:
                assert part.get(name, 0) > 0, (protocol, name)
        for kind in MUTATORS:
            assert part["verdicts"].get(f"{kind}:invalid", 0) > 0, (protocol, kind)
    v3 = by[3]
    for name in (
        "PLANT",
        "FRONT_RUN",
        "DUPLICATE",
    ):  # v3 traffic: planted copies, in the victim's block, base-row copies
        assert v3.get(name, 0) > 0 and by[2].get(name, 0) == 0, name
    for claim in ("REFUND", "REPORT"):  # claims the v3 rule allows and claims it refuses
        assert v3["claims"].get(f"{claim} accepted", 0) > 0, claim
        assert v3["claims"].get(f"{claim} refused by the rule", 0) > 0, claim
    assert v3["settled"] > 0 and v3["refunded"] > v3["settled"] and v3["reported"] > 0
    assert by[2]["settled"] == 0  # settling is v3's
    # v3 chains cross retargets: up, down (clamped to 4x) and unchanged (retarget_every 2 to 4, targets 1 ms to 60 s)
    assert all(v3["retargets"].get(what, 0) > 0 for what in ("up", "down", "same", "clamped")), v3["retargets"]
    # training jobs: every outcome settles on v3 chains, none on v2; the job mutant meets both
    assert all(v3["job_outcomes"].get(o, 0) > 0 for o in ("won", "no_model", "withheld")), v3["job_outcomes"]
    assert "job_outcomes" not in by[2] and by[2].get("JOB", 0) == 0
    assert v3["verdicts"].get("job:invalid", 0) > 0 and by[2]["verdicts"].get("job:invalid", 0) > 0
    # forged claims that the v3 rule forbids reach the verifiers, and both refuse them
    assert v3["verdicts"].get("claim:invalid by the claim rule", 0) > 0


def test_the_comparison_covers_the_job_tables(stats):
    """Both verifiers' job tables are compared, and a difference in any part of them is a disagreement."""
    import copy

    from tests.fuzz.__main__ import case
    from tests.fuzz.oracles import js_verdicts, python_verdict, same
    from testkit.fuzz.generate import NOW_MS

    def full_job_chain(chain_no: int) -> tuple[str, dict] | None:
        """A chain whose job tables have every part: a settled job with a revealed model and a test set."""
        counts: dict = {}
        _, _, text = case(20261202, chain_no, None, 50, counts)
        if not counts.get("job_chains"):
            return None
        py = python_verdict(text, NOW_MS)
        jobs = py["state"]["jobs"] if py["valid"] else {}
        full = any(j[7] is not None and j[6] is not None and any(c[4] is not None for c in j[5]) for j in jobs.values())
        return (text, py) if full else None

    text, py = next(f for f in map(full_job_chain, range(400)) if f is not None)
    js = js_verdicts([(text, NOW_MS)])[0]
    assert py["valid"] and same(py, js)
    jobs = py["state"]["jobs"]
    assert jobs and py["state"]["settling"]
    settled = [j for j in jobs.values() if j[7] is not None]
    revealed = [c for j in jobs.values() for c in j[5] if c[4] is not None]
    assert settled and revealed and any(j[6] is not None for j in jobs.values())
    job_id = next(i for i, j in jobs.items() if j[7] is not None and any(c[4] is not None for c in j[5]))
    for change in (
        lambda s: s["jobs"][job_id][5].pop(),                                    # a commitment fewer
        lambda s: s["jobs"][job_id][5][next(i for i, c in enumerate(s["jobs"][job_id][5]) if c[4] is not None)]
        .__setitem__(4, None),                                                    # a reveal missing
        lambda s: s["jobs"][job_id].__setitem__(6, None),                        # the test set missing
        lambda s: s["jobs"][job_id].__setitem__(8, s["jobs"][job_id][8] + 1),    # settled elsewhere
        lambda s: s["jobs"][job_id][7].__setitem__("x", 1),                      # another settlement
        lambda s: s["settling"].popitem(),                                       # the index differs
        lambda s: s["jobs"].pop(job_id),                                         # a job fewer
    ):
        other = copy.deepcopy(js)
        change(other["state"])
        assert not same(py, other)

"""blockchain/jobs.py: the JOB body's rule, the windows and the settlement of PROTOCOL.md
"Version 3: training jobs". Every case of the settlement rule, and money is conserved in each."""
import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blockchain import jobs
from blockchain.jobs import Commitment, Windows, settle
from ml import kinds

CLASSES = ["setosa", "versicolor", "virginica"]


def paid(s):
    return dict(s.payouts)


def conserved(s, bounty, stake, n):
    assert sum(paid(s).values()) + s.burnt == bounty + stake * n


# -- settlement -------------------------------------------------------------------------------------

def test_the_best_score_wins_and_every_revealed_stake_comes_back():
    s = settle("req", 100, 7, True, [Commitment("a", 5, 1, 20), Commitment("b", 5, 2, 28), Commitment("c", 6, 1, 3)])
    assert (s.outcome, s.winner) == ("won", "b")
    assert paid(s) == {"a": 7, "b": 107, "c": 7}
    assert s.burnt == 0
    assert s.scores == [("a", 20), ("b", 28), ("c", 3)]
    conserved(s, 100, 7, 3)


def test_a_tie_goes_to_the_earliest_commitment_height_then_position():
    # given out of order: settlement orders by (height, position) itself
    cs = [Commitment("late", 9, 1, 10), Commitment("second", 8, 3, 10), Commitment("first", 8, 2, 10)]
    s = settle("req", 50, 1, True, cs)
    assert s.winner == "first"
    assert [w for w, _ in s.scores] == ["first", "second", "late"]
    s = settle("req", 50, 1, True, [Commitment("b", 4, 9, 10), Commitment("a", 5, 1, 10)])
    assert s.winner == "b"  # a lower height beats a lower position


def test_a_score_of_zero_still_wins_when_it_is_the_best():
    s = settle("req", 9, 2, True, [Commitment("a", 3, 1, 0), Commitment("b", 3, 2, None)])
    assert (s.outcome, s.winner, paid(s), s.burnt) == ("won", "a", {"a": 11}, 2)


def test_an_unrevealed_commitment_loses_its_stake_burnt_not_paid_to_anyone():
    s = settle("req", 100, 30, True, [Commitment("a", 5, 1, None), Commitment("b", 5, 2, 12)])
    assert paid(s) == {"b": 130}
    assert s.burnt == 30
    assert "a" not in paid(s) and "req" not in paid(s)
    assert s.scores == [("a", None), ("b", 12)]
    conserved(s, 100, 30, 2)


def test_no_model_revealed_returns_the_bounty_to_the_requester():
    s = settle("req", 100, 30, True, [Commitment("a", 5, 1, None), Commitment("b", 6, 1, None)])
    assert (s.outcome, s.winner, paid(s), s.burnt) == ("no_model", None, {"req": 100}, 60)
    s = settle("req", 100, 30, True, [])
    assert (s.outcome, s.winner, paid(s), s.burnt) == ("no_model", None, {"req": 100}, 0)


def test_a_withheld_test_set_splits_the_bounty_among_the_committed_workers():
    cs = [Commitment("c", 7, 1), Commitment("a", 5, 1), Commitment("b", 5, 2)]
    s = settle("req", 100, 10, False, cs)
    # 100 = 3 * 33 + 1: the earliest commitment gets the one coin left over
    assert (s.outcome, s.winner, s.burnt) == ("withheld", None, 0)
    assert paid(s) == {"a": 10 + 34, "b": 10 + 33, "c": 10 + 33}
    assert s.scores == [("a", None), ("b", None), ("c", None)]
    conserved(s, 100, 10, 3)
    s = settle("req", 2, 1, False, [Commitment(w, 1, i + 1) for i, w in enumerate("wxyz")])
    assert paid(s) == {"w": 2, "x": 2, "y": 1, "z": 1}   # 2 // 4 = 0, remainder 2 to the two earliest
    conserved(s, 2, 1, 4)


def test_a_withheld_test_set_with_no_commitment_returns_the_bounty():
    s = settle("req", 100, 10, False, [])
    assert (s.outcome, s.winner, paid(s), s.burnt) == ("withheld", None, {"req": 100}, 0)


def test_impossible_inputs_are_refused():
    with pytest.raises(ValueError, match="one commitment per worker"):
        settle("req", 1, 1, True, [Commitment("a", 1, 1, 1), Commitment("a", 1, 2, 1)])
    with pytest.raises(ValueError, match="before the test set"):
        settle("req", 1, 1, False, [Commitment("a", 1, 1, 1)])
    with pytest.raises(ValueError, match="one position"):
        settle("req", 1, 1, True, [Commitment("a", 1, 1, 1), Commitment("b", 1, 1, 1)])


def test_the_settle_transaction_body():
    s = settle("req", 100, 7, True, [Commitment("b", 5, 1, 2), Commitment("a", 5, 2, None)])
    body = jobs.settle_body(12, "f" * 64, s)
    assert body == {"type": "JOB_SETTLE", "sender": "MODEL", "recipient": "MODEL", "amount": 0, "block_index": 12,
                    "job_id": "f" * 64, "data": {"outcome": "won", "winner": "b", "scores": [["b", 2], ["a", None]],
                                                 "payouts": [["b", 107]], "burnt": 7}}


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10**12), st.integers(1, 10**12), st.booleans(),
       st.lists(st.one_of(st.none(), st.integers(0, 256)), max_size=16), st.randoms(use_true_random=False))
def test_money_is_conserved_and_the_winner_is_the_earliest_best(bounty, stake, revealed, scores, rnd):
    if not revealed:
        scores = [None] * len(scores)
    cs = [Commitment(f"w{i}", 10 + i // 3, i % 3 + 1, s) for i, s in enumerate(scores)]
    rnd.shuffle(cs)
    s = settle("req", bounty, stake, revealed, cs)
    conserved(s, bounty, stake, len(cs))
    assert all(n >= 1 for _, n in s.payouts) and [a for a, _ in s.payouts] == sorted(a for a, _ in s.payouts)
    assert sum(paid(s).values()) < 2**53
    shown = [sc for sc in scores if sc is not None]
    if shown:
        assert s.winner == f"w{scores.index(max(shown))}"
        assert paid(s)[s.winner] == bounty + stake
    else:
        assert s.winner is None


# -- windows ----------------------------------------------------------------------------------------

def test_windows_follow_one_another_inclusive():
    w = Windows.of(10, 3, 2, 4)
    assert (w.commit_first, w.commit_last, w.test_first, w.test_last, w.model_first, w.model_last, w.settle) == (
        11, 13, 14, 15, 16, 19, 20)
    assert [w.phase(h) for h in range(9, 22)] == ["before", "before", "commit", "commit", "commit", "test", "test",
                                                 "model", "model", "model", "model", "settle", "done"]


# -- the JOB body -----------------------------------------------------------------------------------

def job(**change):
    data = {"kind": "knn", "train": {"flowers_to": 4}, "features": list(jobs.FLOWER_FEATURES),
            "classes": list(CLASSES), "test_commitment": "0" * 64, "test_rows": 30, "stake": 5, "max_commits": 4,
            "commit_blocks": 3, "test_blocks": 2, "model_blocks": 2}
    data.update(change)
    return data


def problem(data, height=5):
    return jobs.job_problem(data, CLASSES, height)


def test_a_job_within_every_bound_is_valid():
    assert problem(job()) is None
    assert problem(job(train={"flowers_to": 0})) is None
    assert problem(job(train={"artifact": "ab" * 32}, features=[f"p{i}" for i in range(256)],
                       classes=[str(i) for i in range(16)], test_rows=64, stake=10**12, max_commits=16,
                       commit_blocks=10_000, test_blocks=1, model_blocks=10_000)) is None
    assert problem(job(train={"artifact": "ab" * 32}, features=[f"p{i}" for i in range(64)], test_rows=256)) is None


@pytest.mark.parametrize("change, words", [
    ({"kind": "forest"}, "kind"),
    ({"train": {"flowers_to": 5}}, "flowers_to"),
    ({"train": {"flowers_to": -1}}, "flowers_to"),
    ({"train": {"flowers_to": True}}, "flowers_to"),
    ({"train": {"flowers_to": 1, "artifact": "ab" * 32}}, "train"),
    ({"train": {}}, "train"),
    ({"train": {"artifact": "AB" * 32}, "features": ["a"]}, "artifact"),
    ({"features": ["sepal_length", "sepal_width", "petal_length"]}, "four measurements"),
    ({"classes": ["setosa", "virginica"]}, "four measurements"),
    ({"train": {"artifact": "ab" * 32}, "features": []}, "features"),
    ({"train": {"artifact": "ab" * 32}, "features": [f"p{i}" for i in range(257)]}, "features"),
    ({"train": {"artifact": "ab" * 32}, "features": ["a", "a"]}, "features"),
    ({"train": {"artifact": "ab" * 32}, "features": ["A"]}, "features"),
    ({"train": {"artifact": "ab" * 32}, "classes": ["only"]}, "classes"),
    ({"train": {"artifact": "ab" * 32}, "classes": [str(i) for i in range(17)]}, "classes"),
    ({"test_commitment": "0" * 63}, "test_commitment"),
    ({"test_rows": 0}, "test_rows"),
    ({"test_rows": 257}, "test_rows must be 1 to 256"),
    ({"train": {"artifact": "ab" * 32}, "features": [f"p{i}" for i in range(65)], "test_rows": 253},
     "test_rows must be 1 to 252"),
    ({"stake": 0}, "stake"),
    ({"stake": 10**12 + 1}, "stake"),
    ({"max_commits": 0}, "max_commits"),
    ({"max_commits": 17}, "max_commits"),
    ({"commit_blocks": 0}, "commit_blocks"),
    ({"test_blocks": 10_001}, "test_blocks"),
    ({"model_blocks": 1}, "model_blocks must be 2"),
])
def test_a_job_one_past_a_bound_is_refused(change, words):
    found = problem(job(**change))
    assert found is not None and words in found, found


def test_a_job_with_a_key_missing_or_extra_is_refused():
    for bad in ({k: v for k, v in job().items() if k != "stake"}, {**job(), "extra": 1}, "not a dict"):
        assert "exactly the keys" in problem(copy.deepcopy(bad))


def test_the_chain_side_bounds_are_the_model_kinds_bounds():
    assert (jobs.MIN_FEATURES, jobs.MAX_FEATURES, jobs.MIN_CLASSES, jobs.MAX_CLASSES) == (
        kinds.MIN_FEATURES, kinds.MAX_FEATURES, kinds.MIN_CLASSES, kinds.MAX_CLASSES)
    assert (jobs.MAX_TEST_ROWS, jobs.MAX_TEST_CELLS, jobs.KINDS) == (
        kinds.MAX_TEST_ROWS, kinds.MAX_TEST_CELLS, kinds.KINDS)

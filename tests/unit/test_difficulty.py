"""Protocol 3's difficulty rules (blockchain/difficulty.py): targets, retargets, clamps, work, median time past."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blockchain import difficulty as d

P = d.DifficultyParams(difficulty=4096, target_block_ms=2000, retarget_every=10, min_difficulty=256)


def steady_chain(n_blocks: int, gap_ms: int, difficulty: int = 4096,
                 start_ms: int = 1_000_000) -> list[tuple[int, int]]:
    """(timestamp, difficulty) for heights 0..n_blocks-1; genesis at time 0 as in PROTOCOL.md."""
    return [(0, difficulty)] + [(start_ms + i * gap_ms, difficulty) for i in range(1, n_blocks)]


def test_params_are_checked() -> None:
    with pytest.raises(ValueError):
        d.DifficultyParams(difficulty=4, target_block_ms=2000, retarget_every=10, min_difficulty=5)
    with pytest.raises(ValueError):
        d.DifficultyParams(difficulty=4, target_block_ms=0, retarget_every=10, min_difficulty=1)
    with pytest.raises(ValueError):
        d.DifficultyParams(difficulty=4, target_block_ms=10, retarget_every=1, min_difficulty=1)
    with pytest.raises(ValueError):
        d.DifficultyParams(difficulty=2**53, target_block_ms=10, retarget_every=2, min_difficulty=1)
    assert d.params_problem(True, 1, 2, 0) == "difficulty must be an integer"


def test_target_and_work() -> None:
    assert d.target(1) == 2**256 - 1
    assert d.target(2**16) == 2**240 - 1          # a power of two asks exactly that many zero bits
    assert d.target(3) == (2**256 - 1) // 3
    assert d.meets_difficulty("0000" + "f" * 60, 2**16)
    assert not d.meets_difficulty("0001" + "0" * 60, 2**16)
    limit = format(d.target(3), "064x")
    above = format(d.target(3) + 1, "064x")
    assert d.meets_difficulty(limit, 3) and not d.meets_difficulty(above, 3)
    assert d.hash_limit(5) == d.target(5) + 1
    assert d.block_work(1) == 1 and d.block_work(2**52) == 2**52
    with pytest.raises(ValueError):
        d.block_work(0)
    assert d.chain_work([4096, 4096, 5000]) == 13192
    assert d.work_text(2**60 + 1) == "1152921504606846977"


def test_window_median_is_the_lower_median_of_the_gaps() -> None:
    assert d.window_median_ms([0, 10]) == 10
    assert d.window_median_ms([0, 10, 30, 60]) == 20         # gaps 10, 20, 30
    assert d.window_median_ms([0, 10, 30, 60, 100]) == 20    # gaps 10, 20, 30, 40: lower median
    assert d.window_median_ms([5, 5, 5]) == 1                # at least 1 ms
    with pytest.raises(ValueError):
        d.window_median_ms([1])


def test_no_retarget_before_the_second_window() -> None:
    chain = steady_chain(30, gap_ms=1)  # very fast blocks
    for h in range(1, 20):
        assert d.required_difficulty(h, chain, P) == 4096
    assert d.required_difficulty(0, [], P) == 4096
    assert d.required_difficulty(20, chain, P) == 4 * 4096  # first retarget: clamped to x4


@pytest.mark.parametrize("gap_ms, want", [
    (2000, 4096), (1000, 8192), (4000, 2048), (500, 16384), (8000, 1024), (10, 16384), (10**9, 1024),
    (2500, 3276), (1600, 5120), (1999, 4098), (2001, 4093),
])
def test_retarget_scales_by_target_over_median(gap_ms: int, want: int) -> None:
    chain = steady_chain(20, gap_ms)
    assert d.required_difficulty(20, chain, P) == want


def test_retarget_never_goes_below_the_minimum() -> None:
    chain = steady_chain(20, gap_ms=10**6, difficulty=300)
    assert d.required_difficulty(20, chain, P) == 256


def test_between_retargets_the_parent_difficulty_carries() -> None:
    chain = steady_chain(21, 2000)
    chain[20] = (chain[20][0], 5000)
    assert d.required_difficulty(21, chain, P) == 5000


def _chain_of_gaps(gaps: list[int], difficulty: int = 4096) -> list[tuple[int, int]]:
    chain, ts = [(0, difficulty)], 10**6
    for gap in gaps:
        ts += gap
        chain.append((ts, difficulty))
    return chain


def test_the_window_is_the_gaps_of_heights_10_to_19() -> None:
    """Each of heights 10..19 against its parent: gaps before height 10 are not read."""
    slow_then_fast = _chain_of_gaps([10**5] * 9 + [1000] * 10)  # heights 1..9 slow, 10..19 at 1000 ms
    assert d.required_difficulty(20, slow_then_fast, P) == 8192
    fast_then_slow = _chain_of_gaps([1000] * 9 + [10**5] * 10)
    assert d.required_difficulty(20, fast_then_slow, P) == 1024   # / 4, clamped
    one_late = _chain_of_gaps([2000] * 12 + [10**6] + [2000] * 6)  # block 13 came 1000 s late
    assert d.required_difficulty(20, one_late, P) == 4096           # the median ignores one gap


def test_median_time_past() -> None:
    assert d.median_time_past([0]) == 0
    assert d.median_time_past([0, 5]) == 5
    assert d.median_time_past([3, 1, 2]) == 2
    assert d.median_time_past(list(range(100))) == 94  # last 11: 89..99
    with pytest.raises(ValueError):
        d.median_time_past([])


def _header(index: int, ts: int, difficulty: int) -> dict[str, object]:
    return {"index": index, "timestamp_ms": ts, "difficulty": difficulty}


def test_header_problem() -> None:
    chain = steady_chain(15, 2000)
    good_hash = "0" * 3 + "1" + "f" * 60  # below 2^244: meets 4096 (target 2^244 - 1)
    now = chain[-1][0]
    assert d.header_problem(_header(15, now + 2000, 4096), good_hash, chain, P, now) is None
    assert "difficulty must be 4096" in str(d.header_problem(_header(15, now + 2000, 4095), good_hash, chain, P, now))
    assert "above the target" in str(d.header_problem(_header(15, now + 2000, 4096), "f" * 64, chain, P, now))
    assert "parent" in str(d.header_problem(_header(15, now - 1, 4096), good_hash, chain, P, now))
    assert "2 hours" in str(d.header_problem(_header(15, now + 2 * 3600 * 1000 + 1, 4096), good_hash, chain, P, now))
    # equal to the parent's timestamp is allowed by >= parent but not by > median time past
    flat = [(0, 4096)] + [(5000, 4096)] * 14
    assert "median time past" in str(d.header_problem(_header(15, 5000, 4096), good_hash, flat, P, 5000))


def test_forged_timestamps_cannot_beat_the_future_limit() -> None:
    """An attacker who stamps a window's last block far ahead to lower the difficulty is refused
    beyond 2 hours; within them one slow gap does not move the median, so it gains nothing."""
    chain = steady_chain(19, 2000)
    now = chain[-1][0] + 2000
    forged = now + 2 * 3600 * 1000 + 1
    assert d.header_problem(_header(19, forged, 4096), "0" * 64, chain, P, now) is not None
    honest_max = now + 2 * 3600 * 1000
    assert d.header_problem(_header(19, honest_max, 4096), "0" * 64, chain, P, now) is None
    warped = chain + [(honest_max, 4096)]
    assert d.required_difficulty(20, warped, P) == 4096


def test_better_chain_is_most_work_and_ties_keep_ours() -> None:
    long_light = d.chain_work([4096] + [256] * 100)
    short_heavy = d.chain_work([4096] + [16384] * 10)
    assert not d.better_chain(short_heavy, long_light)
    assert d.better_chain(long_light, short_heavy)
    assert not d.better_chain(short_heavy, short_heavy)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 2**40), st.integers(1, 10**7), st.integers(0, 10**9), st.integers(0, 10**9))
def test_retarget_is_clamped_and_faster_never_lowers(parent: int, target: int, median: int, slower_by: int) -> None:
    params = d.DifficultyParams(difficulty=max(parent, 1), target_block_ms=target, retarget_every=2, min_difficulty=1)
    new = d.retarget(parent, median, params)
    assert parent // 4 <= new <= 4 * parent or new == 1
    assert new >= 1
    assert new >= d.retarget(parent, median + slower_by, params)
    if parent // 4 < parent * target // max(median, 1) < 4 * parent:
        assert new == parent * target // max(median, 1)  # unclamped: the exact integer ratio


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 2**40), st.integers(1, 2**40), st.integers(2, 30), st.integers(1, 10**6),
       st.lists(st.integers(0, 10**7), min_size=1, max_size=40))
def test_required_difficulty_stays_in_bounds(a: int, b: int, n: int, target: int, gaps: list[int]) -> None:
    lo, hi = sorted((a, b))
    params = d.DifficultyParams(difficulty=hi, target_block_ms=target, retarget_every=n, min_difficulty=lo)
    chain: list[tuple[int, int]] = [(0, hi)]
    ts = 10**9
    for h in range(1, 2 * n + len(gaps)):
        ts += gaps[h % len(gaps)]
        chain.append((ts, d.required_difficulty(h, chain, params)))
    for h in range(1, len(chain)):
        parent, now = chain[h - 1][1], chain[h][1]
        assert lo <= now <= d.MAX_DIFFICULTY
        assert now <= 4 * parent and (now >= parent // 4 or now == lo)
        if not d.is_retarget_height(h, params):
            assert now == parent


@pytest.mark.parametrize("median, want", [
    (2000, 4096), (1000, 8192), (1250, 6553), (3000, 2730), (400, 16384), (500, 16384), (501, 16351),
    (16000, 1024), (16001, 1024), (0, 16384),
])
def test_the_worked_examples_of_protocol_md(median: int, want: int) -> None:
    """docs/PROTOCOL.md "Version 3: difficulty" lists these (parent 4096, T = 2000)."""
    assert d.retarget(4096, median, P) == want

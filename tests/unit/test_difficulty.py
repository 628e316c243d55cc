"""Protocol 3's difficulty rules (blockchain/difficulty.py): retargets, clamps, work, median time past."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blockchain import difficulty as d

P = d.DifficultyParams(difficulty=12, target_block_ms=2000, retarget_every=10, min_difficulty=8)


def steady_chain(n_blocks: int, gap_ms: int, bits: int = 12, start_ms: int = 1_000_000) -> list[tuple[int, int]]:
    """(timestamp, bits) for heights 0..n_blocks-1; genesis at time 0 as in PROTOCOL.md."""
    return [(0, bits)] + [(start_ms + i * gap_ms, bits) for i in range(1, n_blocks)]


def test_params_are_checked() -> None:
    with pytest.raises(ValueError):
        d.DifficultyParams(difficulty=4, target_block_ms=2000, retarget_every=10, min_difficulty=5)
    with pytest.raises(ValueError):
        d.DifficultyParams(difficulty=4, target_block_ms=0, retarget_every=10, min_difficulty=1)
    with pytest.raises(ValueError):
        d.DifficultyParams(difficulty=4, target_block_ms=10, retarget_every=1, min_difficulty=1)
    assert d.params_problem(True, 1, 2, 0) == "difficulty must be an integer"


def test_leading_zero_bits_and_work() -> None:
    assert d.leading_zero_bits("0" * 64) == 256
    assert d.leading_zero_bits("f" + "0" * 63) == 0
    assert d.leading_zero_bits("1" + "0" * 63) == 3
    assert d.leading_zero_bits("00" + "8" + "0" * 61) == 8
    assert d.meets_bits("0" * 4 + "1" + "f" * 59, 19)
    assert not d.meets_bits("0" * 4 + "1" + "f" * 59, 20)
    assert d.block_work(0) == 1 and d.block_work(60) == 2**60
    assert d.chain_work([12, 12, 14]) == 2 * 4096 + 16384
    assert d.work_text(2**60 + 1) == "1152921504606846977"


def test_no_retarget_before_the_second_window() -> None:
    chain = steady_chain(30, gap_ms=1)  # very fast blocks
    for h in range(1, 20):
        assert d.required_bits(h, chain, P) == 12
    assert d.required_bits(0, [], P) == 12
    assert d.required_bits(20, chain, P) == 14  # first retarget: clamped +2


@pytest.mark.parametrize("gap_ms, step", [
    (2000, 0), (1000, 1), (4000, -1), (500, 2), (8000, -2), (10, 2), (10**9, -2),
    (1415, 0), (1414, 1), (2828, 0), (2829, -1),
])
def test_retarget_step_from_the_window(gap_ms: int, step: int) -> None:
    chain = steady_chain(20, gap_ms)
    assert d.required_bits(20, chain, P) == 12 + step


def test_retarget_never_goes_below_the_minimum() -> None:
    chain = steady_chain(20, gap_ms=10**6, bits=9)
    assert d.required_bits(20, chain, P) == 8


def test_between_retargets_the_parent_bits_carry() -> None:
    chain = steady_chain(21, 2000)
    chain[20] = (chain[20][0], 13)
    assert d.required_bits(21, chain, P) == 13


def test_median_time_past() -> None:
    assert d.median_time_past([0]) == 0
    assert d.median_time_past([0, 5]) == 5
    assert d.median_time_past([3, 1, 2]) == 2
    assert d.median_time_past(list(range(100))) == 94  # last 11: 89..99
    with pytest.raises(ValueError):
        d.median_time_past([])


def _header(index: int, ts: int, bits: int) -> dict[str, object]:
    return {"index": index, "timestamp_ms": ts, "difficulty": bits}


def test_header_problem() -> None:
    chain = steady_chain(15, 2000)
    good_hash = "0" * 3 + "1" + "f" * 60  # 15 zero bits
    now = chain[-1][0]
    assert d.header_problem(_header(15, now + 2000, 12), good_hash, chain, P, now) is None
    assert "difficulty must be 12" in str(d.header_problem(_header(15, now + 2000, 11), good_hash, chain, P, now))
    assert "zero bits" in str(d.header_problem(_header(15, now + 2000, 12), "f" * 64, chain, P, now))
    assert "parent" in str(d.header_problem(_header(15, now - 1, 12), good_hash, chain, P, now))
    assert "2 hours" in str(d.header_problem(_header(15, now + 2 * 3600 * 1000 + 1, 12), good_hash, chain, P, now))
    # equal to the parent's timestamp is allowed by >= parent but not by > median time past
    flat = [(0, 12)] + [(5000, 12)] * 14
    assert "median time past" in str(d.header_problem(_header(15, 5000, 12), good_hash, flat, P, 5000))


def test_forged_timestamps_cannot_beat_the_future_limit() -> None:
    """An attacker who stamps a window's last block far ahead to lower the difficulty is refused;
    the most he can claim is 2 hours ahead of the checker's clock."""
    chain = steady_chain(19, 2000)
    now = chain[-1][0] + 2000
    forged = now + 2 * 3600 * 1000 + 1
    assert d.header_problem(_header(19, forged, 12), "0" * 64, chain, P, now) is not None
    # within the limit the forgery is accepted, and it lowers the next retarget by at most 2 bits
    honest_max = now + 2 * 3600 * 1000
    assert d.header_problem(_header(19, honest_max, 12), "0" * 64, chain, P, now) is None
    warped = chain + [(honest_max, 12)]
    assert d.required_bits(20, warped, P) == 10


def test_better_chain_is_most_work_and_ties_keep_ours() -> None:
    long_light = d.chain_work([12] + [8] * 100)
    short_heavy = d.chain_work([12] + [14] * 10)
    assert not d.better_chain(short_heavy, long_light)
    assert d.better_chain(long_light, short_heavy)
    assert not d.better_chain(short_heavy, short_heavy)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10**12), st.integers(-10**6, 10**12))
def test_step_is_clamped_and_rounds_log2(expected: int, actual: int) -> None:
    step = d.retarget_step(expected, actual)
    assert -2 <= step <= 2
    exact = math.log2(expected / max(actual, 1))
    if -2.5 < exact < 2.5 and abs(exact - round(exact)) < 0.499:
        assert step == round(exact)
    elif exact >= 2.5:
        assert step == 2
    elif exact <= -2.5:
        assert step == -2


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10**9), st.integers(-10**6, 10**12), st.integers(0, 10**12))
def test_faster_blocks_never_lower_the_difficulty(expected: int, actual: int, slower_by: int) -> None:
    assert d.retarget_step(expected, actual) >= d.retarget_step(expected, actual + slower_by)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(2, 30), st.integers(1, 10**6),
       st.lists(st.integers(0, 10**7), min_size=1, max_size=40))
def test_required_bits_stay_in_bounds(bits: int, minimum: int, n: int, target: int, gaps: list[int]) -> None:
    lo, hi = sorted((bits, minimum))
    params = d.DifficultyParams(difficulty=hi, target_block_ms=target, retarget_every=n, min_difficulty=lo)
    chain: list[tuple[int, int]] = [(0, hi)]
    ts = 10**9
    for h in range(1, 2 * n + len(gaps)):
        ts += gaps[h % len(gaps)]
        chain.append((ts, d.required_bits(h, chain, params)))
    for h in range(1, len(chain)):
        parent, now = chain[h - 1][1], chain[h][1]
        assert lo <= now <= d.MAX_BITS
        assert abs(now - parent) <= 2
        if not d.is_retarget_height(h, params):
            assert now == parent


@pytest.mark.parametrize("actual, step", [
    (18000, 0), (9000, 1), (12727, 1), (12728, 0), (6363, 2), (6364, 1), (25455, 0), (25456, -1),
    (50911, -1), (50912, -2), (0, 2),
])
def test_the_worked_examples_of_protocol_md(actual: int, step: int) -> None:
    """docs/PROTOCOL.md "Version 3: difficulty" lists these (N = 10, T = 2000, E = 18000)."""
    assert d.retarget_step(18000, actual) == step

"""Protocol 3's difficulty and most-work fork choice between real node processes (issue 23),
through the HTTP API only: a longer chain of cheaper blocks is refused, whether it comes as a
block (POST /blocks) or by headers-first sync; a shorter, heavier one wins; a tie keeps ours;
blocks stamped to lower the difficulty are refused."""
from __future__ import annotations

import time

import pytest

from tests.helpers.fake_peer import FakePeer
from tests.helpers.network import connect, step, wait_for_agreement, wait_until
from tests.helpers.v3chains import D, NODE_ARGS, Builder, forge, next_difficulty, work_of

pytestmark = pytest.mark.network
FAST = ("--sync-interval", "0.3", "--peer-timeout", "3")


def v3_node(start_node, name):
    return start_node(name, difficulty=D, extra_args=(*NODE_ARGS, *FAST))


def chains():
    """heavy: 13 blocks on target (difficulty D each); light: 31 slow blocks, retargeted down to the minimum;
    tie: another 13 on target, the same work as heavy. All from the same genesis, an hour ago."""
    start = int(time.time() * 1000) - 3600 * 1000
    heavy = Builder(start, "heavy").mine(12, 1000).blocks()
    light = Builder(start, "light").mine(30, 100_000).blocks()
    tie = Builder(start, "tie").mine(12, 1000).blocks()
    assert len(light) > len(heavy) and work_of(light) < work_of(heavy) == work_of(tie)
    return heavy, light, tie


def seed(node, blocks):
    for block in blocks[1:]:
        r = node.post("/blocks", json=block)
        assert r.status_code == 201, r.text
    tip = node.get("/tip").json()
    assert tip["hash"] == blocks[-1]["hash"] and tip["work"] == str(work_of(blocks))


def record(node, peer) -> dict:
    return next(r for r in node.get("/nodes").json()["nodes"] if r["url"] == peer.url)


def polled(node, peer) -> bool:
    """``node`` has seen ``peer``'s tip, and holds nothing against it."""
    row = record(node, peer)
    return row["claimed_height"] is not None and row["state"] == "ok"


def polls_later(node, peer, rounds: int = 3) -> None:
    """Wait until ``node`` has heard from ``peer`` ``rounds`` more times (its last_seen moves)."""
    for _ in range(rounds):
        seen = record(node, peer)["last_seen"] or 0
        wait_until(lambda seen=seen: (record(node, peer)["last_seen"] or 0) > seen, timeout=20, what="another poll")


def test_tip_and_health_carry_the_work(start_node):
    a = v3_node(start_node, "a")
    genesis_work = str(D)  # a v3 block's work is its difficulty
    assert a.get("/tip").json()["work"] == genesis_work == a.get("/health").json()["work"]
    a.post("/mine")
    assert a.get("/tip").json()["work"] == str(2 * D)


def test_a_longer_lighter_chain_is_refused_by_post_and_by_sync(start_node):
    heavy, light, _ = chains()
    a = v3_node(start_node, "a")
    seed(a, heavy)
    with FakePeer() as peer:
        peer.chain, peer.work = light, str(work_of(light))
        step("a hears of a longer chain of cheaper blocks: its tip by POST /blocks, then by polling the peer")
        r = a.post("/blocks", json=light[-1])
        assert r.status_code == 409, r.text
        connect(a, peer)
        wait_until(lambda: polled(a, peer), timeout=30, what="a to poll the peer's tip")
        polls_later(a, peer)  # several rounds later a is still on its heavier chain
        assert record(a, peer)["claimed_height"] == len(light) - 1
        assert peer.count("GET /blocks") == 0  # the work in its tip was compared first: no body was asked for
        step("the same peer claiming more work than its chain has: its headers show the truth")
        peer.work = str(work_of(heavy) * 4)
        wait_until(lambda: record(a, peer)["state"] == "backed_off", timeout=30, what="a to back off from the liar")
        assert peer.count("GET /headers") > 0 and peer.count("GET /blocks") == 0  # the headers fell short: no bodies
        assert "did not back" in record(a, peer)["problem"] or "only to" in record(a, peer)["problem"]
    tip = a.get("/tip").json()
    assert tip["hash"] == heavy[-1]["hash"] and tip["work"] == str(work_of(heavy))


def test_a_shorter_heavier_chain_wins_by_sync(start_node):
    heavy, light, _ = chains()
    a, b = v3_node(start_node, "a"), v3_node(start_node, "b")
    seed(a, heavy)
    seed(b, light)
    connect(b, a)  # each registers the other: both see both chains; the heavier one wins on both
    wait_for_agreement([a, b], timeout=60, height=len(heavy) - 1)
    for node in (a, b):
        tip = node.get("/tip").json()
        assert tip["hash"] == heavy[-1]["hash"] and tip["work"] == str(work_of(heavy))
    assert b.get("/chain/validate").json()["valid"] is True


def test_a_tie_keeps_each_nodes_own_chain(start_node):
    heavy, _, tie = chains()
    a, b = v3_node(start_node, "a"), v3_node(start_node, "b")
    seed(a, heavy)
    seed(b, tie)
    connect(a, b)
    connect(b, a)
    wait_until(lambda: polled(a, b) and polled(b, a), timeout=30, what="both to poll each other")
    polls_later(a, b)
    polls_later(b, a)
    assert a.get("/tip").json()["hash"] == heavy[-1]["hash"]
    assert b.get("/tip").json()["hash"] == tie[-1]["hash"]
    step("one more block on b's chain breaks the tie: a takes it")
    b.post("/mine")
    wait_for_agreement([a, b], timeout=60, height=len(tie))


def test_timestamp_forgers_are_refused(start_node):
    heavy, _, _ = chains()
    a = v3_node(start_node, "a")
    seed(a, heavy)
    tip = heavy[-1]
    now = int(time.time() * 1000)
    step("a block stamped more than 2 hours ahead, to make its window look slow")
    r = a.post("/blocks", json=forge(tip, now + 2 * 3600 * 1000 + 60_000, next_difficulty(heavy)))
    assert r.status_code == 400 and "2 hours ahead" in r.text, r.text
    step("a block stamped before its parent")
    r = a.post("/blocks", json=forge(tip, tip["timestamp_ms"] - 1, next_difficulty(heavy)))
    assert r.status_code == 400 and "before the parent" in r.text, r.text
    step("a block that claims less work than the chain requires")
    r = a.post("/blocks", json=forge(tip, tip["timestamp_ms"] + 1000, next_difficulty(heavy) // 2))
    assert r.status_code == 400 and "difficulty must be" in r.text, r.text
    assert a.get("/tip").json()["hash"] == tip["hash"]
    step("a chain whose blocks share one time up to the median: the next at that time is refused")
    b = Builder(int(time.time() * 1000) - 600_000, "flat").mine(3, 1000).mine(8, 0)
    flat = b.blocks()
    c = v3_node(start_node, "c")
    seed(c, flat)
    r = c.post("/blocks", json=forge(flat[-1], flat[-1]["timestamp_ms"], next_difficulty(flat)))
    assert r.status_code == 400 and "median time past" in r.text, r.text
    r = c.post("/blocks", json=forge(flat[-1], flat[-1]["timestamp_ms"] + 1, next_difficulty(flat)))
    assert r.status_code == 201, r.text


def test_a_shorter_peer_that_overclaims_its_work_is_backed_off(start_node):
    heavy, _, tie = chains()
    a = v3_node(start_node, "a")
    seed(a, heavy)
    with FakePeer() as peer:
        peer.chain, peer.work = tie[:8], str(work_of(heavy) * 8)  # 7 blocks after genesis, claiming far more work
        connect(a, peer)
        wait_until(lambda: record(a, peer)["state"] == "backed_off", timeout=30, what="a to back off from the liar")
        assert peer.count("GET /headers") > 0 and peer.count("GET /blocks") == 0
    assert a.get("/tip").json()["hash"] == heavy[-1]["hash"]

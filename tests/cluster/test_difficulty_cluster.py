"""Protocol 3 on the network test bed (issue 23): nodes on hosts of their own, all mining
continuously, split by a partition; after the heal every node ends on the chain with the most
work. Needs root and ip netns (see test_cluster.py); elsewhere it skips with the reason."""
import time

import pytest

from tests.cluster.bed import TestBed
from tests.helpers.network import step, wait_until

pytestmark = pytest.mark.network
V3 = ("--protocol", "3", "--target-block-ms", "300", "--retarget-every", "4", "--min-difficulty", "4",
      "--mine", "always", "--sync-interval", "0.5")


def on_main_chain(host, block_hash: str) -> bool:
    r = host.get(f"/block/{block_hash}")
    return r.status_code == 200 and r.json().get("main_chain", True) is True and r.json()["hash"] == block_hash


def test_partitioned_miners_converge_to_the_most_work_after_the_heal(tmp_path):
    with TestBed(3, tmp_path, difficulty=10, node_args=V3) as bed:
        a, b, c = bed.hosts
        for host in bed.hosts:
            host.post("/nodes/register", json={"nodes": [h.url for h in bed.hosts if h is not host]})
        wait_until(lambda: min(h.get("/tip").json()["height"] for h in bed.hosts) >= 8, timeout=60,
                   what="the three to mine a few blocks together")
        step("a is cut off from b and c; all three keep mining")
        bed.partition([[0], [1, 2]])
        started = time.monotonic()
        def apart() -> bool:
            return time.monotonic() - started > 8 and b.get("/tip").json()["hash"] != a.get("/tip").json()["hash"]
        wait_until(apart, timeout=60, what="the two sides to mine apart for a while")
        sides = {"a": a.get("/tip").json(), "bc": b.get("/tip").json()}
        step(f"at the heal: a has work {sides['a']['work']}, b and c {sides['bc']['work']}")
        bed.heal()
        heavier = max(sides.values(), key=lambda t: int(t["work"]))
        assert int(heavier["work"]) > min(int(t["work"]) for t in sides.values())
        # Both sides keep mining after the heal (and b and c may each hold a tip of their own), so the
        # side that was heavier at the heal is not sure to win: the other may overtake it before the
        # news crosses. What must hold is fork choice by work: every node ends on one history, at
        # least as high as either side was, in which one side's tip at the heal was dropped, with at
        # least the work of the heavier side then.
        top = max(t["height"] for t in sides.values())

        def converged():
            at_top = {h.get(f"/block/{top}").json().get("hash") for h in bed.hosts}
            dropped = [name for name, t in sides.items() if not any(on_main_chain(h, t["hash"]) for h in bed.hosts)]
            return len(at_top) == 1 and None not in at_top and dropped

        dropped = wait_until(converged, timeout=90, what="every node to end on one history")
        step(f"every node agrees on block {top}; dropped at the heal: the tip of side {', '.join(dropped)}")
        for host in bed.hosts:
            assert int(host.get("/tip").json()["work"]) >= int(heavier["work"])

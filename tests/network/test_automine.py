"""--mine auto and --mine always (api/automine.py): real node processes on loopback."""
import os
import time
from pathlib import Path

from tests.helpers.network import connect, step, wait_for_agreement, wait_until

FLOWER = {"sepal_length": 6.4, "sepal_width": 2.9, "petal_length": 4.3, "petal_width": 1.3,
          "flower_type": "versicolor"}


def _in_main_chain(node, tx_id: str) -> bool:
    return node.get(f"/proof/{tx_id}").status_code == 200


def _mining_workers(parent: int) -> list[int]:
    """Process ids of ``python -m blockchain.miner`` children of ``parent`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue  # a process that ended while we looked
        if ppid == parent and b"blockchain.miner" in cmdline:
            found.append(int(entry.name))
    return found


def test_demand_mode_mines_nothing_by_itself(start_node):
    a = start_node("a", difficulty=1)
    tx_id = a.post("/flower/add", json={"sender": "alice", **FLOWER}).json()["transaction_id"]
    assert a.get("/transactions/pending").json()["count"] == 1
    # POST /mine is the only way a block comes: after it, the transaction is in block 1
    assert a.post("/mine").status_code == 200
    assert a.get("/health").json()["height"] == 1
    assert _in_main_chain(a, tx_id)


def test_auto_mining_nodes_mine_pending_transactions_and_converge(start_node):
    a = start_node("a", difficulty=2, extra_args=("--mine", "auto"))
    b = start_node("b", difficulty=2, extra_args=("--mine", "auto"))
    connect(a, b)
    connect(b, a)
    step("a flower sent to a is mined by someone without any POST /mine")
    tx_id = a.post("/flower/add", json={"sender": "alice", **FLOWER}).json()["transaction_id"]
    wait_until(lambda: a.get("/transactions/pending").json()["count"] == 0 and _in_main_chain(a, tx_id),
               timeout=30, what="the flower to be mined")
    step("a second one, sent to b")
    tx2 = b.post("/flower/add", json={"sender": "bob", **FLOWER}).json()["transaction_id"]
    wait_until(lambda: _in_main_chain(b, tx2), timeout=30, what="bob's flower to be mined")
    height, _, _ = wait_for_agreement([a, b], timeout=30)
    assert height >= 1
    # A tie at one height can put a flower back in a pool for the next block: it is on every main
    # chain once that block is mined, not necessarily at the moment the tips first agree.
    wait_until(lambda: _in_main_chain(a, tx2) and _in_main_chain(b, tx_id), timeout=30,
               what="both flowers on both main chains")
    step("both pools drain and the nodes agree")
    wait_until(lambda: all(n.get("/transactions/pending").json()["count"] == 0 for n in (a, b)),
               timeout=30, what="both pools to drain")
    # Two nodes may still mine a block each at one height (the random wait makes it rare, not
    # impossible); a tie keeps each on its own chain until the next block, which ends it.
    for attempt in range(3):
        try:
            wait_for_agreement([a, b], timeout=10)
            break
        except AssertionError:
            if attempt == 2:
                raise
            step("a tie at one height: the next block ends it")
            a.post("/flower/add", json={"sender": f"tie-{attempt}", **FLOWER})
            wait_until(lambda: all(n.get("/transactions/pending").json()["count"] == 0 for n in (a, b)),
                       timeout=30, what="the tie-breaking flower to be mined")


def test_always_mining_keeps_making_blocks_and_answering_reads(start_node):
    a = start_node("a", difficulty=2, extra_args=("--mine", "always"))
    first = a.get("/health").json()["height"]
    wait_until(lambda: a.get("/health").json()["height"] >= first + 3, timeout=30,
               what="three blocks mined with nothing pending")
    step("a core stays free for answering: one worker fewer than the cores (at least one), each idle-class")
    cores = len(os.sched_getaffinity(0))
    wait_until(lambda: len(_mining_workers(a.proc.pid)) == max(1, cores - 1), timeout=30,
               what=f"{max(1, cores - 1)} mining workers")
    wait_until(lambda: all(os.sched_getscheduler(pid) == os.SCHED_IDLE for pid in _mining_workers(a.proc.pid)),
               timeout=30, what="the workers to be in the idle scheduling class")
    step("reads and submissions answer while mining never stops")
    for _ in range(20):
        assert a.get("/health", timeout=5).status_code == 200
        assert a.get("/tip", timeout=5).status_code == 200
    r = a.post("/flower/add", json={"sender": "carol", **FLOWER}, timeout=5)
    assert r.status_code == 201, r.text
    wait_until(lambda: _in_main_chain(a, r.json()["transaction_id"]), timeout=30, what="carol's flower mined")
    step("POST /mine still works: it answers with a block of its own")
    before = a.get("/health").json()["height"]
    mined = a.post("/mine", timeout=30)
    assert mined.status_code == 200, mined.text
    assert a.get("/health").json()["height"] >= before + 1
    step("the node stops cleanly while mining")
    started = time.monotonic()
    a.proc.terminate()
    assert a.proc.wait(20) == 0, a.log()
    assert time.monotonic() - started < 20
    assert "background mining stopped" in a.log()


def test_a_node_allowed_one_core_starts_one_worker(start_node):
    """The workers follow the cores the node may run on (its CPU affinity, as taskset or a container
    sets it), not the machine's count: a node pinned to one core mining on demand starts one."""
    mine = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(mine)})  # the node inherits it
    try:
        a = start_node("pinned", difficulty=2)
    finally:
        os.sched_setaffinity(0, mine)
    assert os.sched_getaffinity(a.proc.pid) == {min(mine)}
    assert a.post("/mine", timeout=60).status_code == 200  # its workers were all started before it hashed
    assert len(_mining_workers(a.proc.pid)) == 1
    assert all(os.sched_getaffinity(pid) == {min(mine)} for pid in _mining_workers(a.proc.pid))

"""Mining in worker processes: valid nonces, prompt abort, recovery from a dead worker."""
import os
import signal
import threading
import time

import pytest

from blockchain.block import block_hash
from blockchain.miner import ProcessMiner
from tests.helpers.factories import flower, ledger


def below_bits(bits: int) -> int:
    """The hash bound that asks ``bits`` leading zero bits."""
    return 1 << (256 - bits)


@pytest.fixture(scope="module")
def miner():
    m = ProcessMiner(2)
    yield m
    m.close()


def test_finds_nonces_that_meet_the_difficulty(miner):
    never = threading.Event()
    for i in range(5):
        prefix = f"block-{i}:".encode()
        nonce = miner(prefix, below_bits(16), never)  # 4 hex zeros
        assert block_hash(prefix, nonce).startswith("0000")


def test_abort_stops_a_long_search_promptly(miner):
    """A hash below 2^192 (16 hex zeros) is never found: the search returns at all only because it was aborted."""
    abort = threading.Event()
    result = {}
    search = threading.Thread(target=lambda: result.setdefault("nonce", miner(b"impossible:", below_bits(64), abort)))
    search.start()
    abort.set()
    search.join(timeout=60)
    assert not search.is_alive() and result["nonce"] is None
    assert miner(b"after-abort:", below_bits(12), threading.Event()) is not None  # the pool is still usable


def test_a_dead_worker_is_replaced(miner):
    victim = miner.worker_pids[0]
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while victim in miner.worker_pids and time.monotonic() < deadline:
        time.sleep(0.01)
    prefix = b"after-death:"
    assert block_hash(prefix, miner(prefix, below_bits(12), threading.Event())).startswith("000")
    assert len(miner.worker_pids) == miner.workers and victim not in miner.worker_pids


def test_a_chain_mines_with_worker_processes(miner):
    chain = ledger(difficulty=3, nonce_finder=miner)
    chain.add_transaction(flower())
    block = chain.mine("m")
    assert block.hash.startswith("000") and chain.validate_chain().valid


def cpu_ticks(pid: int) -> int:
    """User and system CPU time of a process, in clock ticks (/proc/<pid>/stat fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def poll(ok, why: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not ok():
        assert time.monotonic() < deadline, why
        time.sleep(0.01)


def wait_until_idle(pids: list[int]) -> dict[int, int]:
    """Each worker's CPU ticks once it has started and waits for work (no tick spent for 0.2 s)."""
    seen = {pid: (cpu_ticks(pid), time.monotonic()) for pid in pids}

    def settled() -> bool:
        now = time.monotonic()
        for pid, (ticks, _since) in list(seen.items()):
            current = cpu_ticks(pid)
            if current != ticks:
                seen[pid] = (current, now)
        return all(now - since >= 0.2 for _, since in seen.values())

    poll(settled, "the workers never finished starting")
    return {pid: ticks for pid, (ticks, _) in seen.items()}


def test_close_during_a_search_ends_it_without_restarting_workers():
    m = ProcessMiner(2)
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("nonce", m(b"long:", below_bits(64), threading.Event())))
    try:
        idle = wait_until_idle(m.worker_pids)
        t.start()
        poll(lambda: all(cpu_ticks(pid) >= idle[pid] + 2 for pid in idle), "the workers never started hashing")
    finally:
        m.close()
    t.join(10)
    assert not t.is_alive() and result["nonce"] is None
    assert m.worker_pids == []  # no new workers started after close


def test_back_to_back_searches_drop_late_answers(miner):
    """The first answer wins and the other workers are told to stop without being waited for:
    their late answers must be dropped, never taken for the next search's."""
    for i in range(150):
        prefix = f"quick-{i}:".encode()
        nonce = miner(prefix, below_bits(4), threading.Event())
        assert block_hash(prefix, nonce).startswith("0")


def live_miner_children() -> list[int]:
    """This process's children that run ``blockchain.miner`` and have not exited (zombies excluded)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == os.getpid() and state != "Z" and b"blockchain.miner" in cmdline:
            found.append(int(entry))
    return found


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads the process table from /proc")
def test_close_while_a_dead_worker_is_being_replaced_leaves_no_worker_running(caplog):
    """A worker dies during a search; while the search replaces the workers (here it waits for a
    stopped one), the node closes the miner: no worker may be started after, or outlive, the close."""
    others = set(live_miner_children())  # the module's miner, say
    m = ProcessMiner(2)
    first, second = m.worker_pids
    abort = threading.Event()
    result = {}
    search = threading.Thread(target=lambda: result.setdefault("nonce", m(b"long:", below_bits(64), abort)))
    try:
        os.kill(second, signal.SIGSTOP)  # does not see its input close: the replacement waits for it
        os.kill(first, signal.SIGKILL)
        with caplog.at_level("WARNING", logger="blockchain.miner"):
            search.start()
            deadline = time.monotonic() + 30
            while "restarting them" not in caplog.text and time.monotonic() < deadline:
                time.sleep(0.01)
            assert "restarting them" in caplog.text
            m.close()
        abort.set()
        search.join(30)
        assert not search.is_alive() and result["nonce"] is None
        assert set(live_miner_children()) - others == set() and m.worker_pids == []
    finally:
        abort.set()
        for pid in {second, *live_miner_children()} - others:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        m.close()

"""Ctrl-C and SIGTERM stop a node through the command line, even one started with SIGINT ignored
(``python app.py &`` in a script), and even while it is mining at a high difficulty: the mining is
aborted (503 mining_aborted) instead of the shutdown waiting for the block."""
import signal
import subprocess
import sys
import threading
import time

import pytest

from blockchain.chain import MAX_MINE_REQUESTS
from client import ApiError, Node, NodeError
from tests.helpers.nodes import ROOT, free_port

pytestmark = pytest.mark.network


def ignore_sigint():
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # what `cmd &` in a non-interactive shell does


def start(tmp_path, *args, store=("--ephemeral",)):
    port = free_port()
    log = open(tmp_path / "node.log", "wb")
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), *store, *args],
                            cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, preexec_fn=ignore_sigint)
    log.close()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    api = Node(url, timeout=1)
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            api.health()
            return proc, url
        except NodeError:
            time.sleep(0.05)
    proc.kill()
    proc.wait()
    raise AssertionError((tmp_path / "node.log").read_text())


def exits_within(proc, seconds):
    try:
        proc.wait(seconds)
        return True
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return False


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_node_that_inherited_sigint_ignored_still_stops(tmp_path, signum):
    proc, _ = start(tmp_path, "--difficulty", "1", "--miners", "0")
    proc.send_signal(signum)
    assert exits_within(proc, 30), "the node kept running after " + signum.name
    log = (tmp_path / "node.log").read_text()
    assert proc.returncode == 0 and "Traceback" not in log, log
    assert log.rstrip().splitlines()[-1].endswith("stopped (--ephemeral: nothing was kept)"), log


def test_the_last_line_names_the_data_directory_as_an_absolute_path(tmp_path):
    """A relative --data-dir is resolved against the node's current folder, in its first line and its last."""
    proc, _ = start(tmp_path, "--difficulty", "1", "--miners", "0", store=("--data-dir", "here"))
    proc.send_signal(signal.SIGINT)
    assert exits_within(proc, 30), "the node kept running after SIGINT"
    lines = (tmp_path / "node.log").read_text().rstrip().splitlines()
    where = str((tmp_path / "here").absolute())
    assert any(f"data in {where}," in line for line in lines), lines
    assert lines[-1].endswith(f"stopped; chain, pending pool and snapshot are in {where}"), lines


@pytest.mark.parametrize("miners", ["0", "2"])
def test_ctrl_c_while_mining_at_a_high_difficulty_aborts_the_mining(tmp_path, miners):
    # Difficulty 7 is minutes of hashing on any machine the suite runs on: the node can only stop
    # promptly, with no request thread left behind, if the mining is aborted.
    proc, url = start(tmp_path, "--difficulty", "7", "--miners", miners)
    answers: list[NodeError] = []

    def mine():  # retries=0: the 503 mining_busy is the answer looked for, not one to wait out
        try:
            Node(url, timeout=120, retries=0).mine()
        except NodeError as exc:  # an ApiError (status, code) for every answer below
            answers.append(exc)

    # One more /mine than the node takes at once: once it turns one away as busy, mining is under
    # way (one request mines, the others wait for the mining lock).
    threads = [threading.Thread(target=mine, daemon=True) for _ in range(MAX_MINE_REQUESTS + 1)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not answers:
        time.sleep(0.05)
    busy = answers[0]
    assert isinstance(busy, ApiError) and (busy.status, busy.code) == (503, "mining_busy"), busy
    proc.send_signal(signal.SIGINT)
    assert exits_within(proc, 30), "the node kept mining after Ctrl-C"
    for thread in threads:
        thread.join(30)
    log = (tmp_path / "node.log").read_text()
    assert proc.returncode == 0 and "still running" not in log and "Traceback" not in log, log
    assert "mined block" not in log, log
    # The one mining and the ones waiting behind it are all told why.
    aborted = answers[1:]
    assert [getattr(a, "status", a) for a in aborted] == [503] * MAX_MINE_REQUESTS, answers
    assert {getattr(a, "code", a) for a in aborted} == {"mining_aborted"}

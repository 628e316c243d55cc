"""Silent peers (sockets that accept and never answer) stall nothing: a longer honest chain is
adopted without waiting for them, the node keeps answering while resolves wait, and concurrent
resolves share one round. Each bound below is a peer's deadline, not a tuned speed."""
import threading

import requests
import pytest

from client import Node

from tests.helpers.fake_peer import SilentPeers
from tests.helpers.network import connect, wait_until

pytestmark = pytest.mark.network
D = 2
PEER_TIMEOUT = 8   # every call to a silent peer lasts this long


def test_an_honest_longer_chain_is_adopted_without_waiting_for_silent_peers(start_node):
    node = start_node("node", difficulty=D, extra_args=("--peer-timeout", str(PEER_TIMEOUT)))
    honest = start_node("honest", difficulty=D)
    for _ in range(3):
        honest.post("/mine")
    with SilentPeers(62) as silent:
        assert node.post("/nodes/register", json={"nodes": silent.urls}).status_code == 201
        connect(node, honest)
        target = honest.get("/tip").json()["hash"]
        # adopted before the first silent call could end: nothing waited for a silent peer
        wait_until(lambda: node.get("/tip").json()["hash"] == target, timeout=PEER_TIMEOUT / 2,
                   what="the honest chain, before any silent peer's deadline")


def test_concurrent_resolves_share_one_round_and_leave_the_node_answering(start_node):
    node = start_node("node", difficulty=D, extra_args=("--peer-timeout", str(PEER_TIMEOUT), "--sync-interval", "300"))
    with SilentPeers(48) as silent:
        assert node.post("/nodes/register", json={"nodes": silent.urls}).status_code == 201
        answers = []

        def resolve():  # raw: a 503 resolve_busy's Retry-After header is checked too
            r = requests.get(node.url + "/nodes/resolve", timeout=120)
            answers.append((r.status_code, r.headers.get("Retry-After"), r.json()))

        clients = [threading.Thread(target=resolve) for _ in range(8)]
        for c in clients:
            c.start()
        # while 8 resolves are in, /health answers before any silent peer's call could have ended
        Node(node.url, timeout=PEER_TIMEOUT / 2).health()
        for c in clients:
            c.join()
        done = [body for status, _, body in answers if status == 200]
        busy = [(after, body["error"]["code"]) for status, after, body in answers if status == 503]
        assert len(done) + len(busy) == 8, answers
        assert done and all(body == done[0] for body in done), done   # one shared round
        assert all(b == ("1", "resolve_busy") for b in busy), busy
        assert len(done[0]["problems"]) == 48 and all("took longer" in p for p in done[0]["problems"]), done[0]
        tips = [sum(1 for line in lines if line == "GET /tip") for lines in silent.requests()]
        assert tips == [1] * 48   # each silent peer was asked for its tip once, for all of them

"""Gossip queues and the peer client, through their package APIs (``api.gossip``, ``api.peers``)."""
import threading
import time

import pytest

from api.gossip import QUEUE_LIMIT, Gossip
from api.peers import PeerClient, PeerError, count_items
from tests.helpers.fake_peer import FakePeer


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_a_stuck_peer_never_delays_the_others_and_its_queue_keeps_the_newest():
    release = threading.Event()
    got: dict[str, list[int]] = {"fast": [], "stuck": []}

    def send(url, path, body):
        if url == "stuck":
            release.wait(30)
        got[url].append(body["n"])

    gossip = Gossip(send)
    try:
        total = QUEUE_LIMIT * 2
        for n in range(total):
            gossip.push(["stuck", "fast"], "/transactions", {"n": n})
            if n % 100 == 99:  # in batches the fast peer can take: everything reaches it
                assert wait_for(lambda n=n: len(got["fast"]) == n + 1), len(got["fast"])
        assert wait_for(lambda: len(got["fast"]) == total), len(got["fast"])
        assert got["fast"] == list(range(total))
        assert got["stuck"] == []
        release.set()
        assert wait_for(lambda: got["stuck"] and got["stuck"][-1] == total - 1)
        assert len(got["stuck"]) <= QUEUE_LIMIT + 1                     # the oldest were dropped
        assert got["stuck"][-QUEUE_LIMIT:] == list(range(total - QUEUE_LIMIT, total))
    finally:
        release.set()
        gossip.close()


@pytest.mark.parametrize("mode", ["drip-headers", "trickle", "silent"])
def test_the_deadline_covers_headers_and_body(mode):
    with FakePeer() as peer:
        peer.mode = mode
        client = PeerClient(timeout=0.5)
        started = time.monotonic()
        with pytest.raises(PeerError, match="longer than 0.5s"):
            client.get(peer.url, "/tip")
        assert time.monotonic() - started < 5  # 50 s of dripping were cut off (a loose bound, not a timing)


def test_answers_are_capped_by_bytes_and_by_json_values():
    with FakePeer() as peer:
        peer.mode = "tiny-objects"
        client = PeerClient(timeout=5)
        with pytest.raises(PeerError, match="JSON values"):
            client.get(peer.url, "/headers", max_bytes=2 * 1024 * 1024, max_items=20_000)
        with pytest.raises(PeerError, match="byte limit"):
            client.get(peer.url, "/headers", max_bytes=1000)
        sent, received = client.traffic(peer.url)
        assert sent > 0 and received > 1000


def test_redirects_are_not_followed():
    with FakePeer() as peer:
        peer.mode, peer.redirect_to = "redirect", "http://127.0.0.1:1"
        with pytest.raises(PeerError, match="redirect"):
            PeerClient(timeout=2).get(peer.url, "/tip")


def test_counting_json_values_bounds_what_parsing_would_build():
    assert count_items(b'{"a":[1,2,{"b":3}]}') >= 5
    assert count_items(b"{}," * 1000) > 1000

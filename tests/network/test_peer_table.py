"""Room in the peer table: addresses that never answer cannot lock out peers that do, and are not
kept across a restart."""
import pytest

from tests.helpers.network import connect, wait_for_agreement, wait_until
from tests.helpers.nodes import free_port

pytestmark = pytest.mark.network
D = 2
FAST = ("--sync-interval", "0.2", "--peer-timeout", "1")


USED: set = set()


def dead_urls(count: int) -> list[str]:
    """Loopback ports nobody listens on (each used once in the test): every call to them is refused."""
    urls = []
    while len(urls) < count:
        port = free_port()
        if port not in USED:
            USED.add(port)
            urls.append(f"http://127.0.0.1:{port}")
    return urls


def states(node) -> dict:
    return {n["url"]: n["state"] for n in node.get("/nodes").json()["nodes"]}


def all_failed(node, urls) -> bool:
    shown = states(node)
    return all(shown.get(url) in ("unreachable", "backed_off") for url in urls)


def test_dead_addresses_make_room_for_a_peer_that_answers_and_are_not_kept(start_node):
    node = start_node("honest", difficulty=D, extra_args=FAST)
    other = start_node("other", difficulty=D, extra_args=FAST)
    other.post("/mine")
    dead = dead_urls(64)
    r = node.post("/nodes/register", json={"nodes": dead})
    assert r.status_code == 201, r.text
    wait_until(lambda: all_failed(node, dead), timeout=30, what="every dead address to fail once")

    connect(node, other)   # the table is full of addresses that never answered: one makes room
    wait_for_agreement([node, other], height=1)
    shown = states(node)
    assert len(shown) == 64 and shown[other.url] == "ok", shown

    more = dead_urls(63)   # another 63 dead addresses push out the dead, never the peer that answered
    assert node.post("/nodes/register", json={"nodes": more}).status_code == 201
    assert other.url in states(node)
    wait_until(lambda: all_failed(node, more), timeout=30, what="the new dead addresses to fail once")
    r = node.post("/nodes/register", json={"nodes": dead_urls(64)})   # 63 can make room, 64 are asked for
    assert r.status_code == 400 and "never answered" in r.json()["error"]["message"], r.text

    node.stop()
    node.start()
    assert set(states(node)) == {other.url}   # what never answered was not saved

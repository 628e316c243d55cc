"""Back-off and retry timing of the peer book, on a fake clock (api/clock.py): time moves on at
once, so what took observation windows of real seconds is checked over hours of node time."""
import threading

import pytest

from api.clock import FakeClock, SystemClock
from api.network import Network
from api.peerbook import FIRST_BACKOFF, FIRST_STALL_BACKOFF, MAX_OFFLINE_DELAY
from tests.helpers.chains import build_chain
from tests.helpers.factories import ledger
from tests.helpers.fake_peer import FakePeer
from tests.helpers.nodes import free_port

D = 2
POLL = 0.2


@pytest.fixture
def network():
    """A node's network layer in-process, on a fake clock; polled through resolve() (GET /nodes/resolve)."""
    clock = FakeClock()
    net = Network(ledger(difficulty=D), "127.0.0.1", free_port(), "test-node", peer_timeout=2,
                  sync_interval=POLL, clock=clock)
    yield net, clock
    net.stop()


def record(net, url):
    return next(n for n in net.nodes() if n["url"] == url)


@pytest.mark.parametrize("claim", [6, 10 ** 30])
@pytest.mark.parametrize("headers_mode", ["garbage", "tiny-objects", "html"])
def test_a_peer_whose_headers_do_not_back_its_height_is_not_asked_again_until_its_back_off_ends(
        network, claim, headers_mode):
    net, clock = network
    with FakePeer() as liar:
        liar.chain, liar.overclaim, liar.claimed_height = build_chain(5, D), True, claim
        liar.path_modes = {"/headers": headers_mode}
        net.register([liar.url], announce=False)
        net.resolve()
        assert liar.count("GET /headers") == 1
        shown = record(net, liar.url)
        assert shown["state"] == "backed_off" and f"claimed height {claim}" in shown["problem"], shown
        assert shown["next_poll_in"] == FIRST_BACKOFF
        for _ in range(int(FIRST_BACKOFF / POLL) - 1):   # every poll interval of the whole back-off
            clock.advance(POLL)
            net.resolve()
        assert liar.count("GET /headers") == 1, liar.hits[-5:]
        assert record(net, liar.url)["state"] == "backed_off"
        assert net.chain.height == 0
        clock.advance(POLL)   # the back-off is over: asked again, and backed off twice as long
        net.resolve()
        assert liar.count("GET /headers") == 2, liar.hits[-5:]
        assert record(net, liar.url)["next_poll_in"] == 2 * FIRST_BACKOFF


def test_a_peer_that_lies_about_its_height_is_not_asked_again_while_backed_off(network):
    net, clock = network
    with FakePeer() as liar:
        liar.mode, liar.chain, liar.claimed_height = "lie-height", build_chain(5, D), 1000
        net.register([liar.url], announce=False)
        net.resolve()
        shown = record(net, liar.url)
        assert net.chain.height == 5 and shown["state"] == "backed_off", shown   # what it proved was taken
        asked = liar.count("GET /")
        for _ in range(int(FIRST_BACKOFF / POLL) - 1):
            clock.advance(POLL)
            net.resolve()
        assert liar.count("GET /") == asked, liar.hits[-5:]
        clock.advance(POLL)
        net.resolve()
        assert liar.count("GET /tip") >= 2   # its back-off is over


def test_a_peer_that_goes_silent_mid_sync_is_asked_again_within_seconds_and_forgiven_once_it_serves(network):
    """A partition that begins while a node fetches a peer's bodies looks like this: the tip answered,
    the bodies did not come. A short back-off that doubles while it lasts, not a minute-long strike;
    the first sync that completes starts the count again (it failed once in CI: after the heal, the
    other nodes left the heavier side alone for the whole minute of a strike)."""
    net, clock = network
    with FakePeer() as peer:
        peer.chain = build_chain(5, D)
        peer.path_modes = {"/blocks": "silent"}   # headers come; bodies never do (cut at the deadline)
        net.register([peer.url], announce=False)
        net.resolve()
        shown = record(net, peer.url)
        assert shown["state"] == "backed_off" and "stopped answering during the sync" in shown["problem"], shown
        assert shown["next_poll_in"] == FIRST_STALL_BACKOFF < FIRST_BACKOFF
        clock.advance(FIRST_STALL_BACKOFF)
        net.resolve()   # still silent: twice as long
        assert record(net, peer.url)["next_poll_in"] == 2 * FIRST_STALL_BACKOFF
        peer.path_modes = {}   # the partition heals
        clock.advance(2 * FIRST_STALL_BACKOFF)
        net.resolve()
        assert net.chain.height == 5 and record(net, peer.url)["state"] == "ok"
        peer.chain = build_chain(8, D)
        peer.path_modes = {"/blocks": "silent"}   # silent again: the count started over
        net.resolve()
        assert record(net, peer.url)["next_poll_in"] == FIRST_STALL_BACKOFF


def test_an_unreachable_peer_is_asked_again_after_a_tenth_of_its_time_away(network):
    net, clock = network
    url = f"http://127.0.0.1:{free_port()}"   # nobody listens there: every call is refused
    net.register([url], announce=False)
    net.resolve()
    assert record(net, url)["state"] == "unreachable"
    assert record(net, url)["next_poll_in"] == POLL   # away for no time yet: the poll interval
    clock.advance(1000)
    assert net.book.due(clock.monotonic())   # due again
    net.resolve()
    assert record(net, url)["next_poll_in"] == 100.0   # away 1000 s: asked after 100 s
    clock.advance(86_000)
    net.resolve()
    assert record(net, url)["next_poll_in"] == MAX_OFFLINE_DELAY   # away a day: once an hour


def test_the_sync_loop_waits_on_the_clock_and_a_request_wakes_it():
    clock = FakeClock()
    woken = threading.Event()
    done = threading.Event()

    def waiter():
        clock.wait(woken, 60)
        done.set()

    thread = threading.Thread(target=waiter, daemon=True)
    thread.start()
    clock.advance(59)
    assert not done.wait(0.05)   # the fake minute is not over
    clock.advance(1)
    assert done.wait(5)
    thread.join(5)
    assert clock.wait(woken, 0) is False
    woken.set()
    assert clock.wait(woken, 3600) is True     # set already: returns at once, whatever the timeout
    assert SystemClock().wait(woken, 10) is True


def test_a_fake_clock_never_goes_back():
    with pytest.raises(ValueError, match="never goes back"):
        FakeClock().advance(-1)

"""A peer's claims and answers, as the node reports them: a height its headers do not back gets it
backed off (however high the claim), and problem texts say what was wrong, never what it answered."""

import pytest

from tests.helpers.chains import build_chain
from tests.helpers.fake_peer import SECRET_ANSWER, FakePeer
from tests.helpers.network import connect, wait_until

pytestmark = pytest.mark.network
D = 2
POLL = 0.2


def peer_record(node, url):
    return next(n for n in node.get("/nodes").json()["nodes"] if n["url"] == url)


# The back-off of a peer whose headers do not back its height: tests/network/test_backoff_clock.py (fake clock).


@pytest.mark.parametrize("mode,paths", [("secret", {}), ("secret-dupkey", {}),
                                        ("honest", {"/tip": "secret"}), ("honest", {"/headers": "secret-headers"})])
def test_problem_texts_never_quote_what_a_peer_answered(start_node, mode, paths):
    node = start_node("honest", difficulty=D, extra_args=("--sync-interval", str(POLL), "--peer-timeout", "2"))
    with FakePeer() as service:
        service.mode, service.path_modes, service.chain = mode, paths, build_chain(3, D)
        connect(node, service)
        record = wait_until(lambda: (r := peer_record(node, service.url))["problem"] and r, what="a problem")
        resolved = node.get("/nodes/resolve").json()
        shown = " ".join([str(record), str(resolved), str(node.get("/nodes").json()), node.log()])
        leaked = [word for word in [*SECRET_ANSWER, *SECRET_ANSWER.values()] if word in shown]
        assert not leaked, (leaked, record["problem"])
        assert record["state"] in ("backed_off", "unreachable")
        assert record["problem"].startswith(service.url)

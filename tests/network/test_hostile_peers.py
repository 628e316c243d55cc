"""Peers are not trusted: whatever a peer serves, the honest node is unchanged and still answers."""
import time
from urllib.parse import quote

import pytest

from ml import BaseData, IrisModel
from tests.helpers.chains import build_chain, remine
from tests.helpers.factories import flower
from tests.helpers.fake_peer import FakePeer
from tests.helpers.network import connect, step, wait_for_agreement, wait_until
from blockchain import Blockchain

pytestmark = pytest.mark.network
D = 2


def other_base_chain(blocks: int) -> list[dict]:
    base = BaseData.from_dict({"classes": ["setosa", "versicolor", "virginica"],
                               "train": [["1.00"] * 4, ["2.00"] * 4, ["9.00"] * 4, ["8.00"] * 4],
                               "train_labels": ["setosa", "setosa", "virginica", "virginica"],
                               "test": [["1.50"] * 4], "test_labels": ["setosa"]})
    chain = Blockchain(IrisModel(base=base), D)
    for i in range(blocks):
        chain.add_transaction(flower(sender=f"x{i}"))
        chain.mine("other")
    return [b.to_dict() for b in chain.blocks()]


@pytest.fixture(scope="module")
def forged():
    honest = build_chain(5, D)
    tampered = [dict(b) for b in honest]
    tampered[1] = {**honest[1], "transactions": [dict(t) for t in honest[1]["transactions"]]}
    tampered[1]["transactions"][1] = {**honest[1]["transactions"][1],
                                      "data": {**honest[1]["transactions"][1]["data"], "flower_type": "setosa"}}
    return {
        "honest": honest,
        "lie-height": honest[:2],  # a tie with the node's own chain, claiming height 1000
        "tampered": tampered,
        "remined-stale": remine(tampered, 1, D),
        "low-difficulty": remine(honest, 1, 1),
        "other-genesis": other_base_chain(5),
    }


BAD_MODES = ["lie-height", "tampered", "remined-stale", "low-difficulty", "other-genesis", "garbage", "html",
             "error500", "huge", "trickle", "drip-headers", "tiny-objects", "silent", "redirect", "withhold-bodies",
             "garbage-after"]

# Peers whose /tip answer is there but is not an answer: an HTML page, bytes that are not JSON, a
# redirect. The peer states of docs/network.md call that "backed_off" (served something invalid).
SERVED_SOMETHING_INVALID = {"garbage", "html", "redirect"}


def test_bad_peers_change_nothing_and_never_hang_resolve(start_node, forged):
    node = start_node("honest", difficulty=D, extra_args=("--peer-timeout", "2"))
    node.post("/mine")
    before = node.get("/health").json()
    with FakePeer() as fake:
        fake.redirect_to = node.url  # a redirect to a real chain must still not be followed
        fake.mode = "silent"
        connect(node, fake)
        fake.honest_headers = 2
        for mode in BAD_MODES:
            step(f"the fake peer now answers: {mode}")
            assert node.session.delete(node.url + "/nodes/" + quote(fake.url, safe=""), timeout=10).status_code == 200
            fake.mode = mode
            fake.chain = forged.get(mode, forged["honest"])
            connect(node, fake)  # as a new peer: nothing it did before counts
            started = time.monotonic()
            r = node.post("/nodes/resolve", timeout=60)
            took = time.monotonic() - started
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["replaced"] is False, mode
            assert any(fake.url in p for p in body["problems"]), body
            state = next(n for n in node.get("/nodes").json()["nodes"] if n["url"] == fake.url)["state"]
            assert state in ("backed_off", "unreachable", "other_network"), (mode, state)
            if mode in SERVED_SOMETHING_INVALID:  # it answered, so it is not "unreachable"
                assert state == "backed_off", (mode, state)
            after = node.get("/health").json()
            assert (after["tip"], after["model_hash"], after["height"]) == \
                (before["tip"], before["model_hash"], before["height"]), mode
            assert node.post("/flower/predict", json={"sepal_length": 5.0, "sepal_width": 3.4, "petal_length": 1.5,
                                                      "petal_width": 0.2}).status_code == 200
            print(f"    resolve answered in {took:.2f}s: {body['problems']}")
        step("an honest chain with more work from the same peer is adopted")
        assert node.session.delete(node.url + "/nodes/" + quote(fake.url, safe=""), timeout=10).status_code == 200
        fake.mode = "honest"
        fake.chain = forged["honest"]
        connect(node, fake)
        wait_until(lambda: node.get("/tip").json()["height"] == 5, what="the honest chain")
        assert node.get("/health").json()["tip"] == forged["honest"][-1]["hash"]
        assert node.get("/chain/validate").json()["valid"] is True
    assert "Traceback" not in node.log()


def test_a_silent_peer_does_not_stop_the_others_being_consulted(start_node):
    a = start_node("a", difficulty=D, extra_args=("--peer-timeout", "2"))
    b = start_node("b", difficulty=D)
    for _ in range(3):
        b.post("/mine")
    with FakePeer() as fake:
        fake.mode = "silent"
        r = a.post("/nodes/register", json={"nodes": [fake.url]})
        assert r.status_code == 201
        connect(a, b)
        body = a.post("/nodes/resolve", timeout=60).json()
        assert body["length"] == 4
        wait_for_agreement([a, b], height=3)


def test_blocks_pushed_by_a_forger_are_refused(start_node, forged):
    node = start_node("honest", difficulty=D)
    before = node.get("/health").json()
    for mode in ("tampered", "remined-stale", "low-difficulty"):
        r = node.post("/blocks", json=forged[mode][1])
        assert r.status_code == 400, (mode, r.text)
        assert r.json()["error"]["code"] in ("invalid_block", "invalid_transaction")
    r = node.post("/blocks", json=forged["other-genesis"][1])  # its parent is no block of ours: a conflict
    assert r.status_code == 409 and r.json()["error"]["code"] == "block_conflict"
    after = node.get("/health").json()
    assert (after["tip"], after["model_hash"]) == (before["tip"], before["model_hash"])

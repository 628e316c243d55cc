"""A restart loses nothing: a 201 means it is on disk, even across kill -9 (invariant 3)."""
import threading
import time

import pytest

from client import ApiError, Node, NodeError

pytestmark = pytest.mark.network

FLOWER = {"sender": "botanist", "sepal_length": 6.1, "sepal_width": 2.8, "petal_length": 4.7,
          "petal_width": 1.2, "flower_type": "versicolor"}


def state(node):
    chain = node.get("/chain").json()
    pending = node.get("/transactions/pending").json()
    health = node.get("/health").json()
    return chain["chain"], sorted(t["id"] for t in pending["transactions"]), health["model_hash"], health["address"]


@pytest.mark.parametrize("durability", ["fsync", "os"])
def test_kill_9_and_restart_keep_chain_pool_model_and_key(start_node, tmp_path, durability):
    node = start_node("a", difficulty=2, extra_args=("--durability", durability))
    assert node.post("/flower/add", json=FLOWER).status_code == 201
    assert node.post("/mine").status_code == 200
    address = node.get("/health").json()["address"]
    node.post("/mine")
    assert node.post("/transactions/new", json={"sender": address, "recipient": "bob", "amount": 1}).status_code == 201
    assert node.post("/flower/add", json={**FLOWER, "sender": "later"}).status_code == 201
    before = state(node)
    assert len(before[1]) == 2

    node.kill()
    node.start()
    after = state(node)
    assert after == before
    assert node.get("/chain/validate").json()["valid"] is True
    mined = node.post("/mine").json()
    assert [t["type"] for t in mined["transactions"]] == ["REWARD", "TRANSFER", "FLOWER_DATA", "MODEL_UPDATE"]
    assert node.get("/balance/bob").json()["balance"] == 1


@pytest.mark.parametrize("durability", ["fsync", "os"])
def test_every_acknowledged_item_survives_a_kill_at_any_moment(start_node, durability):
    node = start_node("a", difficulty=2, extra_args=("--durability", durability))
    acknowledged, stop = [], threading.Event()
    lock = threading.Lock()

    measures = {k: v for k, v in FLOWER.items() if k not in ("sender", "flower_type")}

    def submit(worker):
        api = Node(node.url, timeout=5)  # one connection per thread
        i = 0
        while not stop.is_set():
            try:
                tx_id = api.add_flower(f"w{worker}-{i}", FLOWER["flower_type"], measures).transaction_id
            except ApiError:  # refused: not acknowledged
                tx_id = None
            except NodeError:  # no answer: the node was killed
                return
            if tx_id is not None:
                with lock:
                    acknowledged.append(tx_id)
            i += 1

    def mine():
        api = Node(node.url, timeout=10, retries=0)
        while not stop.is_set():
            try:
                api.mine()
            except ApiError:
                pass
            except NodeError:
                return

    threads = [threading.Thread(target=submit, args=(w,)) for w in range(4)] + [threading.Thread(target=mine)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < 60 and time.monotonic() < deadline:
        time.sleep(0.05)
    node.kill()  # mid-stream: submissions and mining in flight
    stop.set()
    for t in threads:
        t.join(10)
    assert len(acknowledged) >= 60

    node.start()
    chain, pending, _, _ = state(node)
    on_chain = [tx["id"] for b in chain for tx in b["transactions"] if tx["type"] == "FLOWER_DATA"]
    everything = on_chain + pending
    assert len(everything) == len(set(everything)), "an item is stored twice"
    missing = set(acknowledged) - set(everything)
    assert not missing, f"{len(missing)} acknowledged items lost"
    assert node.get("/chain/validate").json()["valid"] is True

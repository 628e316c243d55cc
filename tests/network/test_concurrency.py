"""Many clients at once against a real waitress node: nothing is corrupted, nothing is lost,
and mining does not stop the node from answering (invariant 5)."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from client import Node
from tests.helpers.nodes import thread_sessions

pytestmark = pytest.mark.network

MEASURES = {"sepal_length": 6.3, "sepal_width": 3.3, "petal_length": 6.0, "petal_width": 2.5}


def test_many_submissions_and_concurrent_mines_keep_the_chain_valid(start_node):
    node = start_node("a", difficulty=3)
    session = thread_sessions()

    def submit(i):
        r = session().post(node.url + "/flower/add", timeout=30,
                           json={"sender": f"c{i}", **MEASURES, "flower_type": "virginica"})
        assert r.status_code == 201, r.text
        return r.json()["transaction_id"]

    def mine(_):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # more than MAX_MINE_REQUESTS at once: 503 mining_busy, retry
            r = session().post(node.url + "/mine", timeout=60)
            if r.status_code != 503:
                break
            assert r.json()["error"]["code"] == "mining_busy" and r.headers["Retry-After"] == "1"
            time.sleep(0.05)  # a polite client would wait Retry-After; the test only needs to let others finish
        assert r.status_code == 200, r.text
        return r.json()["index"]

    def read(_):
        assert session().get(node.url + "/chain", timeout=30).status_code == 200
        assert session().post(node.url + "/flower/predict", json=MEASURES, timeout=30).status_code == 200

    with ThreadPoolExecutor(max_workers=12) as pool:
        jobs = [pool.submit(submit, i) for i in range(120)]
        mines = [pool.submit(mine, i) for i in range(6)]
        reads = [pool.submit(read, i) for i in range(20)]
        accepted = [j.result() for j in jobs]
        indexes = [m.result() for m in mines]
        for r in reads:
            r.result()
    assert sorted(indexes) == list(range(1, 7))  # six mines, six distinct blocks, no fork
    node.post("/mine")

    report = node.get("/chain/validate").json()
    assert report == {"valid": True, "length": 8, "errors": []}
    chain = node.get("/chain").json()["chain"]
    on_chain = [tx["id"] for b in chain for tx in b["transactions"] if tx["type"] == "FLOWER_DATA"]
    assert sorted(on_chain) == sorted(accepted)  # each accepted item in exactly one block
    assert node.get("/transactions/pending").json()["count"] == 0
    assert node.get("/model/info").json()["data_count"] == 120 + 120


def test_reads_and_submissions_are_answered_while_a_block_is_mined(start_node):
    node = start_node("a", difficulty=5)
    answered_during_mining = 0
    for attempt in range(10):
        done = threading.Event()

        def mine(done=done):
            try:
                Node(node.url, timeout=120).mine()
            finally:
                done.set()

        miner = threading.Thread(target=mine)
        miner.start()
        api = Node(node.url, timeout=30)  # each call raises unless answered 2xx within 30 s
        while not done.is_set():
            api.predict(MEASURES)
            api.chain()
            api.add_flower(f"r{attempt}-{answered_during_mining}", "virginica", MEASURES)
            if not done.is_set():
                answered_during_mining += 1
        api.session.close()
        miner.join()
        if answered_during_mining >= 5:
            break
    assert answered_during_mining >= 5


def test_a_burst_of_mine_requests_never_stops_reads(start_node):
    """Twelve concurrent /mine at a slow difficulty: at most 4 mine or wait, the rest get 503
    mining_busy with Retry-After at once, and reads and submissions are answered throughout."""
    node = start_node("burst", difficulty=6)
    answers = []

    def mine():  # raw: the 503 mining_busy and its Retry-After are what is checked (client.Node would retry them)
        try:
            r = requests.post(node.url + "/mine", timeout=300)
        except requests.RequestException:
            answers.append(("closed", None, None))  # the node stopped under a search, at the end
            return
        answers.append((r.status_code, r.headers.get("Retry-After"), r.json().get("error", {}).get("code")))

    threads = [threading.Thread(target=mine) for _ in range(12)]
    for t in threads:
        t.start()
    api = Node(node.url, timeout=1)  # deadlines, not benchmarks: each call raises unless answered 2xx in time
    try:
        deadline = time.monotonic() + 10
        while sum(1 for a in answers if a[0] == 503) < 8 and time.monotonic() < deadline:
            api.health()
            api.add_flower("reader", "virginica", MEASURES)
        busy = [a for a in answers if a[0] == 503]
        assert len(busy) == 8 and all(a[1:] == ("1", "mining_busy") for a in busy), answers
        api.chain()
    finally:
        node.stop()  # ends the searches under way; their requests get 503 mining_aborted or fail
        for t in threads:
            t.join(timeout=30)

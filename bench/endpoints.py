"""Per-request latency of every endpoint against a real node, beside the HTTP floor and the paper.

The requests that are timed go through a bare keep-alive ``requests.Session`` (``util.timed``), so
that what is measured is the node's answer and not the client library's checks; everything else
(seeding the chain, funding, mining between measurements) goes through ``client.Node``
(``node.api``), which raises on any refusal instead of carrying on."""
from __future__ import annotations

import threading
import time

import requests

from client import Node, NodeError

from .util import PAPER_CODE_HERE_MS, PAPER_MS, FloorProcess, NodeProcess, Progress, summarize, timed

FLOWER = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2, "flower_type": "setosa"}
MEASURES = {k: v for k, v in FLOWER.items() if k != "flower_type"}


def run(workdir, n: int, n_mine: int) -> dict:
    """Medians and p95 of each endpoint (difficulty 4, a short chain), the floor, and the ratios."""
    floor = FloorProcess(workdir)
    node = NodeProcess(workdir, "bench-endpoints", difficulty=4).start()
    s, fs = requests.Session(), requests.Session()
    try:
        api = node.api
        for i in range(5):  # a short chain with a few contributions
            api.add_flower(f"seed{i}", "setosa", MEASURES)
            api.mine()
        for _ in range(50):  # warm both servers and the very connections that are timed (so raw)
            fs.get(floor.url + "/ping")
            s.get(node.url + "/health")
        floor_get = summarize(timed(fs, "GET", floor.url + "/ping", n, "floor GET /ping"))
        floor_post = summarize(timed(fs, "POST", floor.url + "/echo", n, "floor POST /echo", expect=201,
                                     body_fn=lambda i: {**FLOWER, "sender": f"f{i}"}))
        rows = {}
        rows["chain"] = summarize(timed(s, "GET", node.url + "/chain", n, "GET /chain"))
        rows["model_info"] = summarize(timed(s, "GET", node.url + "/model/info", n, "GET /model/info"))
        rows["evaluate"] = summarize(timed(s, "GET", node.url + "/model/evaluate", n, "GET /model/evaluate"))
        rows["predict"] = summarize(
            timed(
                s,
                "POST",
                node.url + "/flower/predict",
                n,
                "POST /flower/predict",
                body_fn=lambda i: {**MEASURES, "sepal_length": round(4.5 + (i % 30) / 10, 2)},
            )
        )
        rows["flower_add"] = summarize(timed(s, "POST", node.url + "/flower/add", n, "POST /flower/add", expect=201,
                                             body_fn=lambda i: {**FLOWER, "sender": f"b{i}"}))
        api.mine()  # the contributions go into one block
        address = api.health().address
        bar = Progress(f"mine {n} blocks to fund transfers", n)
        for _ in range(n):
            api.mine()
            bar.step()
        rows["transaction"] = summarize(timed(s, "POST", node.url + "/transactions/new", n, "POST /transactions/new",
                                              expect=201, body_fn=lambda i: {"sender": address, "recipient": "bob",
                                                                             "amount": 1}))
        api.mine()
        rows["mine_empty"] = summarize(timed(s, "POST", node.url + "/mine", n_mine, "POST /mine (empty pool)"))
        one = []
        bar = Progress("POST /mine (one pending flower)", n_mine)
        for i in range(n_mine):
            api.add_flower(f"m{i}", "setosa", MEASURES)
            t = time.perf_counter()
            s.post(node.url + "/mine")  # timed: raw, as util.timed
            one.append(time.perf_counter() - t)
            bar.step()
        rows["mine_one_flower"] = summarize(one)
    finally:
        node.stop()
        floor.stop()
    table = []
    for key, stats in rows.items():
        floor_stats = floor_post if key in ("predict", "flower_add", "transaction") else floor_get
        paper_key = "mine" if key.startswith("mine") else key
        table.append({"endpoint": key, "ours_median_ms": stats["median_ms"], "ours_p95_ms": stats["p95_ms"],
                      "floor_median_ms": floor_stats["median_ms"],
                      "x_floor": round(stats["median_ms"] / floor_stats["median_ms"], 2),
                      "paper_ms": PAPER_MS.get(paper_key), "paper_code_here_ms": PAPER_CODE_HERE_MS.get(key),
                      "x_faster_than_paper": round(PAPER_MS[paper_key] / stats["median_ms"], 1)})
    return {"floor": {"GET /ping": floor_get, "POST /echo": floor_post}, "endpoints": rows, "table": table,
            "requests_per_endpoint": n, "mines": n_mine}


def while_mining(workdir, seconds: float, miners: int, clients: int = 4) -> dict:
    """Predict latency seen by ``clients`` clients while blocks are mined back to back at difficulty 6."""
    node = NodeProcess(workdir, f"bench-busy-{miners}", difficulty=6, extra_args=("--miners", str(miners))).start()
    stop = threading.Event()
    latencies: list[float] = []
    blocks = [0]
    lock = threading.Lock()

    failures: list[BaseException] = []

    def guarded(work):
        """A thread body whose exception is kept for the caller. The miner's request that is under
        way when the node is stopped ends without an answer or with 503 mining_aborted (the node
        aborts it): that is the end of the run, not an error."""
        def body():
            try:
                work()
            except (requests.RequestException, NodeError) as exc:
                if not stop.is_set():
                    failures.append(exc)
            except BaseException as exc:
                failures.append(exc)
        return body

    def mine():  # not timed: the library, which raises on a refusal instead of counting it as a block
        api = Node(node.url, timeout=600, retries=0)
        try:
            while not stop.is_set():
                api.mine()
                blocks[0] += 1
        finally:
            api.session.close()

    def client():  # timed: raw, as util.timed
        with requests.Session() as s:
            mine_ = []
            while not stop.is_set():
                t = time.perf_counter()
                r = s.post(node.url + "/flower/predict", json=MEASURES, timeout=60)
                mine_.append(time.perf_counter() - t)
                if r.status_code != 200:
                    raise RuntimeError(f"/flower/predict answered {r.status_code} while mining: {r.text[:200]}")
            with lock:
                latencies.extend(mine_)

    threads = [threading.Thread(target=guarded(mine), name="miner")] + \
        [threading.Thread(target=guarded(client), name=f"client-{i}") for i in range(clients)]
    try:
        for t in threads:
            t.start()
        bar = Progress(f"predict while mining (miners={miners})", int(seconds))
        for _ in range(int(seconds)):
            time.sleep(1)
            bar.step()
        stop.set()
        for t in threads[1:]:
            t.join()
    finally:
        stop.set()
        node.stop()
        threads[0].join(timeout=30)
    if failures:
        raise RuntimeError(f"{len(failures)} thread(s) of the while-mining bench failed; first: "
                           f"{type(failures[0]).__name__}: {failures[0]}") from failures[0]
    return {"miners": miners, "clients": clients, "seconds": seconds, "blocks_mined": blocks[0], **summarize(latencies)}

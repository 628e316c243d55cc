"""Issue 20 items 8 and 18 against real nodes: a peer that offers 60,000 free flowers, then an
honest flower; a full pool's GET /transactions/pending; GET /contributions of a sender with 7,000
flowers. Run from the repository root:

    .venv/bin/python -m bench.pool [--flood 60000] [--flowers 7000] [--out bench/results/pool.json]

It prints one JSON document (medians of repeated requests, sizes in bytes, and the peak RSS growth
that 16 concurrent requests cause). It uses only the public HTTP API, so the same script measures
an older checkout too.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

from blockchain import Transaction, flower_body
from client import ApiError, Node
from testkit.network import wait_until

from .util import NodeProcess

QUIET = ("--sync-interval", "300", "--durability", "os", "--miners", "0")
FLOWER = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2, "flower_type": "setosa"}
MEASURES = {"sepal_length": "5.10", "sepal_width": "3.50", "petal_length": "1.40", "petal_width": "0.20"}


def vm_hwm_mb(node: NodeProcess) -> float:
    assert node.proc is not None, "the node is not running"
    for line in Path(f"/proc/{node.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class FloodPeer:
    """A peer on the node's network (same genesis, height 0) whose pool offers ``count`` free
    flowers, each from its own made-up sender, paged as PROTOCOL.md's peers page theirs."""

    def __init__(self, genesis: str, count: int) -> None:
        now = int(time.time() * 1000)
        self.txs = [Transaction.create(flower_body(f"flood-{i}", MEASURES, "setosa", now + i, 0)).to_dict()
                    for i in range(count)]
        self.position = {tx["id"]: i for i, tx in enumerate(self.txs)}
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _json(self, value, status=200):
                body = json.dumps(value).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._json({"message": "ok"}, 201)

            def do_GET(self):
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/tip":
                    return self._json({"height": 0, "hash": genesis, "genesis": genesis})
                if url.path == "/headers":
                    return self._json({"headers": []})
                if url.path == "/transactions/pending":
                    limit = min(int(query.get("limit", 500)), 500)
                    start = peer.position[query["after"]] + 1 if query.get("after") in peer.position else 0
                    page = peer.txs[start:start + limit]
                    more = start + limit < len(peer.txs)
                    return self._json({"transactions": page, "count": len(peer.txs),
                                       "next": page[-1]["id"] if page and more else None})
                return self._json({"error": {"code": "not_found", "message": "no"}}, 404)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def concurrent_gets(node: NodeProcess, path: str, n: int = 16) -> dict:
    """``n`` GETs of ``path`` at once while /health is polled: the worst /health wait and the
    node's peak RSS growth."""
    before = vm_hwm_mb(node)
    health, done = [], threading.Event()

    def poll():  # timed: raw, so that what is measured is the node's answer
        s = requests.Session()
        while not done.is_set():
            t = time.perf_counter()
            s.get(node.url + "/health", timeout=120)
            health.append(time.perf_counter() - t)

    def one():  # raw: the load measured; the library's parsing of 16 big answers would share the 2 cores
        requests.get(node.url + path, timeout=300)

    poller = threading.Thread(target=poll)
    poller.start()
    threads = [threading.Thread(target=one) for _ in range(n)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    done.set()
    poller.join()
    return {"requests": n, "all_done_s": round(elapsed, 3), "worst_health_ms": round(max(health) * 1000, 1),
            "peak_rss_growth_mb": round(vm_hwm_mb(node) - before, 1)}


def timed_get(session: requests.Session, url: str, repeats: int = 5) -> dict:
    """Timed: raw ``requests``, so that the figure is the node's answer, not the library's checks."""
    times, size, body = [], 0, None
    for _ in range(repeats):
        t = time.perf_counter()
        r = session.get(url, timeout=300)
        times.append(time.perf_counter() - t)
        size, body = len(r.content), r.json()
    return {"median_ms": round(statistics.median(times) * 1000, 1), "bytes": size, "body": body}


def flood(workdir: Path, count: int) -> dict:
    node = NodeProcess(workdir, "pool-flood", difficulty=1, extra_args=QUIET).start()
    s = requests.Session()  # for the timed reads; the rest goes through the client library
    api = Node(node.url, timeout=300)
    try:
        genesis = api.health().genesis
        peer = FloodPeer(genesis, count)
        started = time.perf_counter()
        api.register([peer.url])
        last = [-1, time.perf_counter()]

        def settled():  # the pool stopped growing for 3 s (full, or the peer's offer is taken)
            pending = api.health().pending
            if pending != last[0]:
                last[:] = [pending, time.perf_counter()]
            return pending if pending and time.perf_counter() - last[1] > 3 else 0
        pending = wait_until(settled, 600, "the flood to settle")
        took = last[1] - started
        peer.close()
        try:
            tx_id = api.add_flower("honest", "setosa", MEASURES).transaction_id
            status, code = 201, None
        except ApiError as refused:
            tx_id, status, code = None, refused.status, refused.code
        out = {"offered": count, "pending_after_flood": pending, "flood_taken_s": round(took, 1),
               "honest_status": status, "honest_code": code}
        page = timed_get(s, node.url + "/transactions/pending")
        out["pending_default"] = {"median_ms": page["median_ms"], "bytes": page["bytes"],
                                  "transactions": len(page["body"]["transactions"]), "next": page["body"]["next"]}
        out["pending_default_x16"] = concurrent_gets(node, "/transactions/pending")
        if tx_id is not None:
            for blocks in range(1, 61):
                api.mine()
                if api.proof(tx_id).status == "confirmed":
                    out["honest_mined_in_block"] = blocks
                    break
            else:
                out["honest_mined_in_block"] = None
        return out
    finally:
        node.stop()


def contributions(workdir: Path, flowers: int) -> dict:
    node = NodeProcess(workdir, "pool-contrib", difficulty=1, extra_args=QUIET).start()
    s = requests.Session()  # for the timed reads; the rest goes through the client library
    api = Node(node.url, timeout=300)
    try:
        for i in range(flowers):
            api.add_flower("prolific", "setosa",
                           {**MEASURES, "sepal_length": round(4.5 + (i % 300) / 100, 2)})
        while api.health().pending:
            api.mine()
        path = "/contributions?sender=prolific"
        first = timed_get(s, node.url + path)
        out = {"flowers": flowers, "default": {"median_ms": first["median_ms"], "bytes": first["bytes"],
                                                "entries": len(first["body"]["contributions"]),
                                                "next": first["body"].get("next")}}
        out["default_x16"] = concurrent_gets(node, path)
        # everything, the way the wallet and the dashboard read it now: page after page (timed: raw)
        t, pages, start, entries = time.perf_counter(), 0, 0, 0
        while True:
            body = s.get(node.url + f"{path}&from={start}&limit=1000", timeout=300).json()
            pages, entries = pages + 1, entries + len(body["contributions"])
            if not isinstance(body.get("next"), int) or body["next"] <= start:
                break
            start = body["next"]
        out["all_pages"] = {"pages": pages, "entries": entries, "total_ms": round((time.perf_counter() - t) * 1000, 1)}
        return out
    finally:
        node.stop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood", type=int, default=60_000)
    parser.add_argument("--flowers", type=int, default=7_000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        result = {"flood": flood(Path(tmp), args.flood), "contributions": contributions(Path(tmp), args.flowers)}
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

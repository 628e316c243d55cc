"""Issue 20 items 5 and 17, measured against a real node process.

1. Side blocks that fill the disk: ``--blocks`` valid blocks of about 400 KB, each forking from
   genesis (``--fork-at 0``; 3 makes them rivals of the tip) while the tip is at 4, are POSTed to
   /blocks; reported: the answers and how much the data directory grew, against how many bytes were posted.
2. Reads while another process holds the database's write lock (BEGIN EXCLUSIVE for ``--hold``
   seconds) and the node's own writer waits for it: the median time of GET /block/<side hash>
   and GET /block/<unknown hash>.

Run: .venv/bin/python -m bench.storage_attacks [--root DIR]   (DIR: a checkout of the code to
measure, e.g. ``git archive <commit> | tar -x -C DIR`` for the code before a change; default: this
one). The blocks are built with this checkout's ``blockchain`` package (protocol v2 either way).
The ordinary calls go through ``client.Node.call`` (untyped JSON, since an older checkout's answers
need not fit this one's models); the timed reads and the peer route ``POST /blocks`` stay raw.
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from blockchain import Block, Transaction, transfer_body
from blockchain.encoding import canon
from blockchain.pow import search_nonce
from blockchain.transactions import reward
from client import ApiError, Node, NodeError

from .util import ROOT, free_port

D = 2


def _dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _start(root: Path, data_dir: Path, log) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(root / "app.py"), "--port", str(port), "--difficulty", str(D),
                             "--data-dir", str(data_dir), "--miners", "0", "--durability", "os"],
                            cwd=root, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            Node(url, timeout=1).call("GET", "/health")
            return proc, url
        except NodeError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the node did not start")


def _big_block(parent: dict, tag: str, target_bytes: int) -> dict:
    index, ts = parent["index"] + 1, parent["timestamp_ms"] + 1
    txs = [reward("m" * 40, index)]
    size = 0
    i = 0
    while size < target_bytes and len(txs) < 1001:
        tx = Transaction.create(transfer_body(f"{tag}-{i}".ljust(120, "s"), "r" * 120, 1, 1_700_000_000_000 + i))
        txs.append(tx)
        size += tx.canon_size() + 1
        i += 1
    draft = Block.assemble(index, ts, parent["hash"], D, txs, 0)
    nonce = search_nonce(draft.prefix(), D)
    assert nonce is not None  # no stop event and no limit: a search always ends with a nonce
    return Block.assemble(index, ts, parent["hash"], D, txs, nonce).to_dict()


def side_blocks(url: str, data_dir: Path, count: int, size: int, fork_at: int) -> dict:
    api = Node(url, timeout=120)
    for _ in range(4):
        api.call("POST", "/mine")
    genesis = api.call("GET", f"/block/{fork_at}")  # the fork point
    before = _dir_bytes(data_dir)
    posted, statuses = 0, dict[int, int]()
    for i in range(count):
        block = _big_block(genesis, f"side{i}", size)
        body = canon(block)
        posted += len(body)
        # raw: the peer route, sent as the canonical bytes a peer sends, every answer counted
        r = requests.post(url + "/blocks", data=body, headers={"Content-Type": "application/json"}, timeout=120)
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
    time.sleep(0.5)  # let the WAL settle before measuring (no assertion rides on it)
    grown = _dir_bytes(data_dir) - before
    return {"blocks": count, "fork_at": fork_at, "posted_MiB": round(posted / 2**20, 1), "statuses": statuses,
            "data_dir_growth_MiB": round(grown / 2**20, 1)}


def locked_reads(url: str, data_dir: Path, hold: float, samples: int) -> dict:
    api = Node(url, timeout=120)
    tip = api.call("GET", "/health")
    parent = api.call("GET", f"/block/{tip['height'] - 1}")
    side = _big_block(parent, "rival", 1000)  # a rival of our tip: kept before and after the change
    try:
        api.call("POST", "/blocks", side)  # the peer route: a side block is kept and answered 409
        raise AssertionError("the rival block was taken as a new tip")
    except ApiError as kept:
        assert kept.status == 409, kept
    api.call("GET", f"/block/{side['hash']}")  # found by its hash
    out = {}
    for label, key in (("side_block", side["hash"]), ("unknown_hash", "ab" * 32)):
        times = []
        for _ in range(samples):
            db = sqlite3.connect(data_dir / "chain.sqlite3", isolation_level=None, timeout=60, check_same_thread=False)
            db.execute("BEGIN EXCLUSIVE")
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('bench', 'held')")
            flower = {"sender": f"w{time.monotonic_ns()}", "sepal_length": 5.1, "sepal_width": 3.5,
                      "petal_length": 1.4, "petal_width": 0.2, "flower_type": "setosa"}
            writer = threading.Thread(target=lambda flower=flower: api.call("POST", "/flower/add", flower))
            writer.start()
            time.sleep(0.2)  # the node's writer is now waiting for the lock
            releaser = threading.Timer(hold, lambda db=db: (db.execute("ROLLBACK"), db.close()))
            releaser.start()
            started = time.perf_counter()
            requests.get(url + f"/block/{key}", timeout=120)  # timed (and a 404 for the unknown hash): raw
            times.append(time.perf_counter() - started)
            releaser.join()
            writer.join()
        out[label + "_median_s"] = round(statistics.median(times), 3)
    out["lock_held_s"] = hold
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to measure (default: this one)")
    parser.add_argument("--blocks", type=int, default=100)
    parser.add_argument("--size", type=int, default=400_000, help="bytes of each side block (about)")
    parser.add_argument("--hold", type=float, default=3.0, help="seconds the other process holds the lock")
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--fork-at", type=int, default=0, help="height the side blocks fork from (tip: 4; "
                        "3 makes them rivals of the tip, which the byte cap alone bounds)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "node"
        with open(Path(tmp) / "node.log", "wb") as log:
            proc, url = _start(args.root.resolve(), data_dir, log)
            try:
                result = {
                    "root": str(args.root),
                    "side_blocks": side_blocks(url, data_dir, args.blocks, args.size, args.fork_at),
                    "reads_while_locked": locked_reads(url, data_dir, args.hold, args.samples),
                }
            finally:
                proc.terminate()
                proc.wait(30)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()

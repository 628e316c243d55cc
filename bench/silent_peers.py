"""Silent peers against a real node: ``.venv/bin/python -m bench.silent_peers [--runs 3] [--out bench/results]``.

A silent peer is a loopback socket that accepts connections and never answers (the kernel completes
the handshake; nothing is ever read or written), so every call to it lasts the node's whole
``--peer-timeout`` (5 s, the default). Two scenarios, each run ``--runs`` times, medians reported:

1. ``adopt``: 62 silent peers are registered first, then an honest node with a chain 3 blocks longer;
   the time from its registration to the node's tip being the honest one.
2. ``resolve``: 48 silent peers are registered, then 8 clients call ``GET /nodes/resolve`` at once
   while another polls ``GET /health`` every 50 ms: the slowest ``/health`` answer, its median, and
   the time at which the last resolve answered (from the moment all 8 were sent).

Writes silent_peers.json to --out.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from testkit.fake_peer import SilentPeers
from testkit.nodes import NodeProcess


def register(node: NodeProcess, urls: list[str]) -> None:
    node.api.register(urls)  # an ApiError if the node refuses them


def adopt(workdir: Path) -> float:
    workdir.mkdir(parents=True)
    silent = SilentPeers(62)
    a = NodeProcess(workdir, "a", difficulty=2).start()
    b = NodeProcess(workdir, "b", difficulty=2).start()
    try:
        for _ in range(3):
            b.api.mine()
        target = b.api.tip().hash
        register(a, silent.urls)
        started = time.monotonic()
        register(a, [b.url])
        while a.api.tip().hash != target:
            if time.monotonic() - started > 300:
                raise RuntimeError("the honest chain was not adopted within 300 s")
            time.sleep(0.02)
        return time.monotonic() - started
    finally:
        a.stop()
        b.stop()
        silent.close()


def resolve_crowd(workdir: Path) -> dict:
    workdir.mkdir(parents=True)
    silent = SilentPeers(48)
    a = NodeProcess(workdir, "r", difficulty=2).start()
    try:
        register(a, silent.urls)
        done, health, stop = [], [], threading.Event()
        started = time.monotonic()

        def resolve():  # timed, and a 503 resolve_busy is counted, not raised: raw
            r = requests.get(a.url + "/nodes/resolve", timeout=600)
            done.append((time.monotonic() - started, r.status_code))

        def watch():  # timed: raw, the node's answer
            while not stop.is_set():
                t = time.monotonic()
                requests.get(a.url + "/health", timeout=600)
                health.append(time.monotonic() - t)
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        clients = [threading.Thread(target=resolve) for _ in range(8)]
        for c in clients:
            c.start()
        for c in clients:
            c.join()
        stop.set()
        watcher.join()
        return {"last_resolve_s": round(max(t for t, _ in done), 2),
                "statuses": sorted(status for _, status in done),
                "health_max_ms": round(max(health) * 1000, 1),
                "health_median_ms": round(statistics.median(health) * 1000, 1)}
    finally:
        a.stop()
        silent.close()


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", default="bench/results")
    args = parser.parse_args(argv)
    adopts, crowds = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            adopts.append(adopt(Path(tmp) / f"adopt{run}"))
            crowds.append(resolve_crowd(Path(tmp) / f"crowd{run}"))
            print(f"run {run + 1}: adopt {adopts[-1]:.2f}s; resolve crowd {crowds[-1]}", file=sys.stderr)
    result = {
        "adopt_with_62_silent_s": {
            "median": round(statistics.median(adopts), 2),
            "runs": [round(x, 2) for x in adopts],
        },
        "resolve_8_with_48_silent": {
            "last_resolve_s_median": statistics.median(c["last_resolve_s"] for c in crowds),
            "health_max_ms_median": statistics.median(c["health_max_ms"] for c in crowds),
            "health_median_ms_median": statistics.median(c["health_median_ms"] for c in crowds),
            "runs": crowds,
        },
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "silent_peers.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()

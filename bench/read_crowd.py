"""Cheap reads against a real node: ``.venv/bin/python -m bench.read_crowd [--clients 16] [--seconds 8] [--runs 3]``.

For each route, ``--clients`` threads loop ``GET route`` for ``--seconds`` while another thread
times ``GET /health`` every 0.2 s; reported per route: the median and the slowest ``/health`` over
the runs (medians of each run's figure), and their ratio to the same crowd looping ``/health``
itself. A route whose answer costs a lot of CPU per request shows as a large ratio. Writes
read_crowd.json to --out.
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

from testkit.nodes import NodeProcess

ROUTES = ("/health", "/openapi.json", "/chain", "/model/info", "/chain/validate")


def crowd(node: NodeProcess, route: str, clients: int, seconds: float) -> tuple[float, float]:
    stop = time.monotonic() + seconds
    def loop():  # raw: the crowd's load; parsing its answers in the library would share the node's 2 cores
        with requests.Session() as s:
            while time.monotonic() < stop:
                s.get(node.url + route, timeout=60)
    threads = [threading.Thread(target=loop) for _ in range(clients)]
    for t in threads:
        t.start()
    waits = []
    with requests.Session() as s:  # timed: raw, the node's answer
        while time.monotonic() < stop:
            started = time.monotonic()
            s.get(node.url + "/health", timeout=60)
            waits.append(time.monotonic() - started)
            time.sleep(0.2)
    for t in threads:
        t.join()
    return statistics.median(waits), max(waits)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.read_crowd", description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        node = NodeProcess(Path(tmp), "crowd", difficulty=1).start()
        try:
            for _ in range(20):
                node.api.mine()
            results = {}
            for route in ROUTES:
                runs = [crowd(node, route, args.clients, args.seconds) for _ in range(args.runs)]
                results[route] = {"health_median_s": statistics.median(r[0] for r in runs),
                                  "health_max_s": statistics.median(r[1] for r in runs)}
                print(f"{route:<16} /health median {results[route]['health_median_s'] * 1000:8.1f} ms, "
                      f"slowest {results[route]['health_max_s'] * 1000:8.1f} ms", flush=True)
        finally:
            node.stop()
    base = results["/health"]["health_median_s"]
    for r in results.values():
        r["ratio_to_health_crowd"] = r["health_median_s"] / base
    print("ratios of /health's median to the /health crowd's: "
          + ", ".join(f"{route} {r['ratio_to_health_crowd']:.1f}x" for route, r in results.items()))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "read_crowd.json").write_text(json.dumps({"clients": args.clients, "seconds": args.seconds,
                                                          "runs": args.runs, "results": results}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

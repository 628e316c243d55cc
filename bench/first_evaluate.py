"""``python -m bench.first_evaluate [--nodes 5]``: how long the first ``GET /model/evaluate`` of a fresh
node takes, against the second one (the answer is cached per model state, so the second is the route's
own cost). Each of ``--nodes`` fresh nodes (in memory, difficulty 1) is started, answers /health,
then gets two evaluate calls; prints the medians in ms and their ratio as JSON.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

from client import LocalNetwork


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.first_evaluate",
                                     description="Time the first and the second GET /model/evaluate of fresh nodes.")
    parser.add_argument("--nodes", type=int, default=5, help="fresh nodes to measure (default 5)")
    args = parser.parse_args(argv)
    first: list[float] = []
    second: list[float] = []
    for _ in range(max(1, args.nodes)):
        with LocalNetwork(1, difficulty=1, register=False, extra_args=("--miners", "0")) as net:
            node = net[0]
            node.health()
            for samples in (first, second):
                started = time.perf_counter()
                node.model_evaluate()
                samples.append(time.perf_counter() - started)
    f, s = statistics.median(first) * 1000, statistics.median(second) * 1000
    print(json.dumps({"nodes": len(first), "first_median_ms": round(f, 1), "second_median_ms": round(s, 1),
                      "first_ms": [round(x * 1000, 1) for x in first], "ratio": round(f / s, 1)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

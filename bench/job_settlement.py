"""Settling the largest training job the bounds allow (PROTOCOL.md "Version 3: training jobs").

    .venv/bin/python -m bench.job_settlement [--repeats 7] [--no-js]

A job takes at most 16 models; its test set has at most 256 rows and 16,384 values. For each model
kind at its costliest shape (knn: 128 rows x 4 or 8 features, 64 x 16, 16 x 64, 4 x 256; linear: 16 classes;
tree: 4,096 nodes of depth 32) it scores 16 random models at the bounds on the largest test set
that shape allows, then settles: the work of the node's settlement check. Medians of the repeats of
one run, in ms, in the node (``ml.kinds.scores`` + ``blockchain.jobs.settle``) and, with Node.js,
in web/kinds.js (the browser's arithmetic, run by Node). Writes bench/results/job_settlement.json.
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from blockchain.jobs import MAX_COMMITS, Commitment, settle
from ml import kinds

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results" / "job_settlement.json"
X = kinds.MAX_ABS_FEATURE
JS = """
import { readFileSync } from "node:fs";
import * as k from "./web/kinds.js";
const { models, rows, labels, repeats } = JSON.parse(readFileSync(0, "utf8"));
const times = [];
let scores;
for (let r = 0; r < repeats; r++) {
  const t = performance.now();
  scores = models.map((m) => k.score(m, rows, labels));
  k.settle("req", 1e12, 1e12, true, scores.map((s, i) => ["w" + i, 10, i + 1, s]));
  times.push(performance.now() - t);
}
process.stdout.write(JSON.stringify({ times, scores }));
"""


def shapes() -> list[tuple[str, str, int, int]]:
    """(name, kind, features, classes) of the costliest shapes."""
    return [("knn 128 rows x 4 features", "knn", 4, 3), ("knn 128 rows x 8 features", "knn", 8, 16),
            ("knn 64 rows x 16 features", "knn", 16, 16),
            ("knn 16 rows x 64 features", "knn", 64, 16), ("knn 4 rows x 256 features", "knn", 256, 16),
            ("linear 16 classes x 64 features", "linear", 64, 16),
            ("linear 16 classes x 256 features", "linear", 256, 16), ("tree 4096 nodes (depth 11)", "tree", 64, 16),
            ("tree of depth 32", "path", 64, 16)]


def model(rnd: random.Random, kind: str, f: int, c: int) -> dict[str, Any]:
    if kind == "knn":
        r = min(kinds.MAX_KNN_ROWS, kinds.MAX_KNN_CELLS // f)
        w = int((kinds.MAX_KNN_WEIGHT_SQUARES // f) ** 0.5)
        return {"kind": "knn", "rows": [[rnd.randint(-X, X) for _ in range(f)] for _ in range(r)],
                "labels": [rnd.randrange(c) for _ in range(r)], "weights": [w] * f, "k": min(kinds.MAX_K, r)}
    if kind == "linear":
        return {"kind": "linear", "bias": [rnd.randint(-kinds.MAX_ABS_BIAS, kinds.MAX_ABS_BIAS) for _ in range(c)],
                "weights": [[rnd.randint(-kinds.MAX_ABS_WEIGHT, kinds.MAX_ABS_WEIGHT) for _ in range(f)]
                            for _ in range(c)]}
    nodes: list[list[int]] = []
    if kind == "tree":   # 4096 nodes: a full binary tree (heap order) of depth 11, 2047 tests
        for i in range(kinds.MAX_NODES):
            if 2 * i + 2 < kinds.MAX_NODES - 1:
                nodes.append([rnd.randrange(f), rnd.randint(-X, X), 2 * i + 1, 2 * i + 2])
            else:
                nodes.append([rnd.randrange(c)])
    else:                # "path": 32 tests in a row, each with a leaf on one side (depth 32)
        for d in range(kinds.MAX_DEPTH):
            nodes += [[rnd.randrange(f), rnd.randint(-X, X), 2 * d + 2, 2 * d + 1], [rnd.randrange(c)]]
        nodes.append([rnd.randrange(c)])
    depth = kinds.tree_depth(nodes)
    assert depth <= kinds.MAX_DEPTH, depth
    return {"kind": "tree", "nodes": nodes}


def run(repeats: int = 7, js: bool = True, seed: int = 1) -> dict[str, Any]:
    rnd = random.Random(seed)
    node = shutil.which("node") if js else None
    results = []
    for name, kind, f, c in shapes():
        t_rows = min(kinds.MAX_TEST_ROWS, kinds.MAX_TEST_CELLS // f)
        models = [model(rnd, kind, f, c) for _ in range(MAX_COMMITS)]
        for m in models:
            assert kinds.check_model(m["kind"], m, f, c) is None
        rows = [[rnd.randint(-X, X) for _ in range(f)] for _ in range(t_rows)]
        labels = [rnd.randrange(c) for _ in range(t_rows)]
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            scores = kinds.scores(models, rows, labels)
            settle("req", 10**12, 10**12, True, [Commitment(f"w{i}", 10, i + 1, s) for i, s in enumerate(scores)])
            times.append(time.perf_counter() - t)
        row: dict[str, Any] = {"shape": name, "models": len(models), "test_rows": t_rows, "features": f,
                               "node_median_ms": round(statistics.median(times) * 1000, 1),
                               "node_max_ms": round(max(times) * 1000, 1)}
        if node:
            done = subprocess.run([node, "--input-type=module", "-e", JS], cwd=ROOT, capture_output=True, text=True,
                                  input=json.dumps({"models": models, "rows": rows, "labels": labels,
                                                    "repeats": repeats}), timeout=600, check=True)
            answer = json.loads(done.stdout)
            assert answer["scores"] == scores, "web/kinds.js scored differently"
            row["js_median_ms"] = round(statistics.median(answer["times"]), 1)
        results.append(row)
        print(f"{name:36} {t_rows:4} test rows x {len(models)} models: node {row['node_median_ms']:7.1f} ms"
              + (f", js {row['js_median_ms']:7.1f} ms" if node else ""), flush=True)
    return {"repeats": repeats, "seed": seed, "budget_ms": 100, "shapes": results}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--no-js", action="store_true", help="skip the web/kinds.js timing")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    result = run(args.repeats, js=not args.no_js)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    worst = max(r["node_median_ms"] for r in result["shapes"])
    print(f"worst median in the node: {worst} ms (budget 100 ms); wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Run the whole benchmark suite: ``.venv/bin/python -m bench.run_all [--quick] [--out bench/results]``.

Writes results.json (every number), summary.md (the tables) and PNG figures to --out.
--quick runs small sizes in about a minute; the full run takes about 15 minutes (the protocol part
builds chains of 10^4 and 10^5 blocks).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from . import endpoints, mining, plots, protocol, scaling
from .util import output_dir

QUICK = dict(n=40, n_mine=8, hashes=300_000, blocks=3, busy_s=2, rows=[100, 1000], http_rows=1000,
             block_sizes=[1, 10, 100], apply_rows=1000, repeats=1, pending=[0, 10, 100],
             lengths=[100], difficulty=2, protocol_sizes=[500, 2000], protocol_repeats=1, mine_blocks=5)
FULL = dict(n=1000, n_mine=50, hashes=4_000_000, blocks=20, busy_s=20, rows=[100, 1000, 10_000, 100_000],
            http_rows=100_000, block_sizes=[1, 10, 100, 1000], apply_rows=10_000, repeats=5,
            pending=[0, 10, 100, 1000], lengths=[100, 1000, 10_000], difficulty=2,
            protocol_sizes=[10_000, 100_000], protocol_repeats=3, mine_blocks=200)
PARTS = ["protocol", "endpoints", "mining", "busy", "model", "blocks", "pending", "chain"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run_all", description="Run the whole benchmark suite against real nodes and write results.json, summary.md and the figures to --out.")
    parser.add_argument("--quick", action="store_true", help="small sizes, about half a minute")
    parser.add_argument("--out", type=Path, help="where to write the results (default: bench/results for a full "
                                                 "run, a fresh scratch folder, printed, for --quick)")
    parser.add_argument("--only", nargs="*", choices=PARTS, help="run only these parts")
    args = parser.parse_args(argv)
    args.out = output_dir(args.out, args.quick, "bench/results")
    cfg = QUICK if args.quick else FULL
    parts = set(args.only or PARTS)
    args.out.mkdir(parents=True, exist_ok=True)
    results = {"config": {"quick": args.quick, **cfg}, "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                                                  "platform": platform.platform()},
               "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    with tempfile.TemporaryDirectory(prefix="iris-bench-") as tmp:
        work = Path(tmp)
        if "protocol" in parts:
            print("== protocol v2 at scale: verification, restart, reorg, predict, /mine hash rate", flush=True)
            results["protocol"] = protocol.run(work, cfg["protocol_sizes"], cfg["protocol_repeats"], 10,
                                               cfg["mine_blocks"])
        if "endpoints" in parts:
            print("== endpoint latency (difficulty 4, keep-alive)", flush=True)
            results["endpoints"] = endpoints.run(work, cfg["n"], cfg["n_mine"])
        if "mining" in parts:
            print("== hash rate", flush=True)
            results["mining"] = mining.run(cfg["hashes"], cfg["blocks"])
        if "busy" in parts:
            print("== answering while mining (difficulty 6, 4 clients)", flush=True)
            results["while_mining"] = [endpoints.while_mining(work, cfg["busy_s"], miners)
                                       for miners in (os.cpu_count() or 1, 0)]
        if "model" in parts:
            print("== model cost vs training rows", flush=True)
            results["model_size"] = scaling.model_size(cfg["rows"], 200)
            results["http_predict"] = scaling.http_predict_at(work, cfg["http_rows"], 300)
        if "blocks" in parts:
            print("== applying a block vs its FLOWER_DATA", flush=True)
            results["block_apply"] = scaling.block_apply(cfg["apply_rows"], cfg["block_sizes"], cfg["repeats"])
        if "pending" in parts:
            print("== /mine vs pending transactions", flush=True)
            results["mine_vs_pending"] = scaling.mine_vs_pending(work, cfg["pending"], cfg["repeats"])
        if "chain" in parts:
            print(f"== chain length (difficulty {cfg['difficulty']}, one FLOWER_DATA per block)", flush=True)
            results["chain_length"] = scaling.chain_length(work, cfg["lengths"], cfg["difficulty"], 20)
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    summary = plots.render(results, args.out)
    (args.out / "summary.md").write_text(summary)
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())

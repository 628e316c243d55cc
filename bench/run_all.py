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
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from . import endpoints, mining, plots, protocol, scaling
from .util import output_dir

QUICK: dict[str, Any] = dict(
    n=40,
    n_mine=8,
    hashes=300_000,
    blocks=3,
    busy_s=2,
    rows=[100, 1000],
    http_rows=1000,
    block_sizes=[1, 10, 100],
    apply_rows=1000,
    repeats=1,
    pending=[0, 10, 100],
    pending_repeats=5,
    lengths=[100],
    difficulty=2,
    protocol_sizes=[500, 2000],
    protocol_repeats=1,
    mine_blocks=5,
)
FULL: dict[str, Any] = dict(
    n=1000,
    n_mine=50,
    hashes=4_000_000,
    blocks=20,
    busy_s=20,
    rows=[100, 1000, 10_000, 100_000],
    http_rows=100_000,
    block_sizes=[1, 10, 100, 1000],
    apply_rows=10_000,
    repeats=5,
    pending=[0, 10, 100, 1000],
    pending_repeats=5,
    lengths=[100, 1000, 10_000],
    difficulty=2,
    protocol_sizes=[10_000, 100_000],
    protocol_repeats=3,
    mine_blocks=200,
)
PARTS = ["protocol", "endpoints", "mining", "busy", "model", "blocks", "pending", "chain"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run_all",
        description="Run the whole benchmark suite against real nodes and write results.json, summary.md and "
        "the figures to --out.",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, about a minute")
    parser.add_argument(
        "--out",
        type=Path,
        help="where to write the results (default: bench/results for a full "
        "run, a fresh scratch folder, printed, for --quick)",
    )
    parser.add_argument("--only", nargs="*", choices=PARTS, help="run only these parts")
    args = parser.parse_args(argv)
    args.out = output_dir(args.out, args.quick, "bench/results")
    cfg = QUICK if args.quick else FULL
    parts = set(args.only or PARTS)
    args.out.mkdir(parents=True, exist_ok=True)
    results = {
        "config": {"quick": args.quick, **cfg},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    errors: dict[str, str] = {}

    def attempt(name: str, heading: str, measure) -> None:
        """One part; an exception there is reported and makes the exit status 1, and the other parts
        still run."""
        if name not in parts:
            return
        print(heading, flush=True)
        try:
            measure()
        except Exception as exc:
            errors[name] = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
            print(f"error: the {name} part failed: {errors[name]}", file=sys.stderr, flush=True)

    def thread_failed(failure) -> None:  # a bench thread's exception is an error of the run, not a stray traceback
        errors[f"thread {failure.thread.name}"] = f"{failure.exc_type.__name__}: {failure.exc_value}"
        print(
            f"error: bench thread {failure.thread.name} failed: {failure.exc_type.__name__}: {failure.exc_value}",
            file=sys.stderr,
            flush=True,
        )

    threading.excepthook = thread_failed
    try:
        with tempfile.TemporaryDirectory(prefix="iris-bench-") as tmp:
            work = Path(tmp)

            def protocol_part():
                results["protocol"] = protocol.run(
                    work, cfg["protocol_sizes"], cfg["protocol_repeats"], 10, cfg["mine_blocks"]
                )

            def endpoints_part():
                results["endpoints"] = endpoints.run(work, cfg["n"], cfg["n_mine"])

            def mining_part():
                results["mining"] = mining.run(cfg["hashes"], cfg["blocks"])

            def busy_part():
                results["while_mining"] = [
                    endpoints.while_mining(work, cfg["busy_s"], miners) for miners in (os.cpu_count() or 1, 0)
                ]

            def model_part():
                results["model_size"] = scaling.model_size(cfg["rows"], 200)
                results["http_predict"] = scaling.http_predict_at(work, cfg["http_rows"], 300)

            def blocks_part():
                results["block_apply"] = scaling.block_apply(cfg["apply_rows"], cfg["block_sizes"], cfg["repeats"])

            def pending_part():
                results["mine_vs_pending"] = scaling.mine_vs_pending(work, cfg["pending"], cfg["pending_repeats"])

            def chain_part():
                results["chain_length"] = scaling.chain_length(work, cfg["lengths"], cfg["difficulty"], 20)

            attempt(
                "protocol",
                "== protocol v2 at scale: verification, restart, reorg, predict, /mine hash rate",
                protocol_part,
            )
            attempt("endpoints", "== endpoint latency (difficulty 4, keep-alive)", endpoints_part)
            attempt("mining", "== hash rate", mining_part)
            attempt("busy", "== answering while mining (difficulty 6, 4 clients)", busy_part)
            attempt("model", "== model cost vs training rows", model_part)
            attempt("blocks", "== applying a block vs its FLOWER_DATA", blocks_part)
            attempt("pending", "== /mine vs pending transactions", pending_part)
            attempt("chain", f"== chain length (difficulty {cfg['difficulty']}, one FLOWER_DATA per block)", chain_part)
    finally:
        threading.excepthook = threading.__excepthook__
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    if errors:
        results["errors"] = errors
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    summary = plots.render(results, args.out)
    (args.out / "summary.md").write_text(summary)
    print(summary)
    if errors:
        print(
            f"error: {len(errors)} part(s) failed: {', '.join(errors)}; results of the others are in {args.out}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

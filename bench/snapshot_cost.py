"""What a snapshot costs on a chain holding settled jobs, against the same chain without them, and
how many a node syncing that chain writes:
``.venv/bin/python -m bench.snapshot_cost [--jobs 1000] [--blocks 100000] [--repeats 5]``.

The two chains are ``bench.jobs_chain``'s (as ``bench.jobs_scale --blocks N`` builds them). For
each, the median of ``--repeats`` encodings of its snapshot at the tip, the work
``blockchain.snapshots.save_snapshot`` does before it writes the text (``snapshot_data`` as one
JSON text; without its pause of the garbage collector). The count is
``blockchain.snapshots.snapshot_due`` (``LedgerCore.snapshot_if_due``'s policy) followed block by
block from 0 to the tip.
Prints a table; writes nothing.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

from bench import jobs_chain
from blockchain.snapshots import snapshot_data, snapshot_due


def snapshot_heights(tip: int) -> list[int]:
    """The heights a node adding blocks one at a time from 0 to ``tip`` writes a snapshot at."""
    last, out = 0, []
    for height in range(1, tip + 1):
        if snapshot_due(height - 1, height, last):
            out.append(height)
            last = height
    return out


def encode_ms(chain, repeats: int) -> tuple[float, int]:
    """Median milliseconds to encode the tip's snapshot, and its size in bytes."""
    samples, size = [], 0
    for _ in range(repeats):
        start = time.perf_counter()
        text = json.dumps(snapshot_data(chain.model, chain.state, "0" * 64), separators=(",", ":"))
        samples.append((time.perf_counter() - start) * 1000)
        size = len(text)
    return statistics.median(samples), size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.snapshot_cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1000, help="settled jobs on the chain (default 1000)")
    parser.add_argument("--blocks", type=int, default=100_000, help="the chains' height (default 100000)")
    parser.add_argument("--repeats", type=int, default=5, help="encodings of each snapshot (default 5)")
    args = parser.parse_args(argv)
    rows = {}
    for name, with_jobs in (("with jobs", True), ("without", False)):
        chain, _ = jobs_chain.build(args.jobs, with_jobs=with_jobs, blocks=args.blocks)
        rows[name] = (chain.height, *encode_ms(chain, args.repeats))
    count = len(snapshot_heights(args.blocks))
    (h, a_ms, a_size), (_, b_ms, b_size) = rows["with jobs"], rows["without"]
    print(f"Snapshot at the tip of a chain of {h:,} blocks, {args.jobs:,} settled jobs against none, "
          f"medians of {args.repeats} (`python -m bench.snapshot_cost --jobs {args.jobs} --blocks {args.blocks}`):\n")
    print("| chain | encode | size |\n|---|---|---|")
    print(f"| with jobs | {a_ms:,.1f} ms | {a_size / 2**20:.2f} MiB |")
    print(f"| without | {b_ms:,.1f} ms | {b_size / 2**20:.2f} MiB |")
    print(f"| ratio | {a_ms / b_ms:.2f} | {a_size / b_size:.2f} |")
    plural = "" if count == 1 else "s"
    print(f"\nA node syncing {args.blocks:,} blocks writes {count} snapshot{plural}; at most {count} x "
          f"{a_ms - b_ms:,.1f} ms = {count * (a_ms - b_ms) / 1000:.1f} s more with the jobs, if each snapshot "
          f"carried the tip's excess (the jobs settle early, so each carries most of it), and "
          f"{sum(snapshot_heights(args.blocks)) / args.blocks:.1f} tips' worth of encoding in all.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The same measurements on an older commit and on this tree, interleaved, in one run.

    python -m bench.compare_revs --before a8cdef8 [--rounds 7] [--blocks 2000] [--out DIR]

A refactor promises that the figures stay where they were. Measured in two separate runs, the
machine's noise (2 shared cores) is larger than the difference looked for; so this takes both trees
in turns, round after round (before, after, before, after, ...), each round a fresh process of
``bench/compare_child.py`` on one tree, and reports each figure's median over the rounds and the
ratio after / before. The older tree is exported with ``git archive`` into a scratch folder.

Figures: applying a peer's block of k = 1, 100 and 1,000 FLOWER_DATA on a node of 10,000 training
rows, the audit of a chain of ``--blocks`` blocks (one flower each), and a restart that checks and
replays it (no snapshot). Writes ``compare_revs.json`` and ``compare_revs.md`` under ``--out``
(default bench/results).
"""
from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from .util import ROOT

CHILD = ROOT / "bench" / "compare_child.py"


def export(rev: str, into: Path) -> Path:
    """The tree of ``rev`` in ``into``, as plain files (``git archive``)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev], capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into


def one_round(tree: Path, blocks: int, rows: int, repeats: int) -> dict[str, float]:
    run = subprocess.run([sys.executable, str(CHILD), str(tree), str(blocks), str(rows), str(repeats)], cwd=tree,
                         capture_output=True, text=True, timeout=1800)
    if run.returncode != 0:
        raise RuntimeError(f"a round in {tree} failed:\n{run.stderr[-2000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="the older commit (any git revision)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--blocks", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=10_000, help="training rows of the node a block is applied on")
    parser.add_argument("--repeats", type=int, default=9, help="blocks applied per figure and round")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    before_rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", args.before], capture_output=True,
                                text=True, check=True).stdout.strip()
    samples: dict[str, dict[str, list[float]]] = {"before": {}, "after": {}}
    with tempfile.TemporaryDirectory(prefix="iris-compare-") as tmp:
        trees = {"before": export(args.before, Path(tmp) / "before"), "after": ROOT}
        for r in range(args.rounds):
            for side in ("before", "after") if r % 2 == 0 else ("after", "before"):
                figures = one_round(trees[side], args.blocks, args.rows, args.repeats)
                for name, value in figures.items():
                    samples[side].setdefault(name, []).append(value)
            print(f"round {r + 1} of {args.rounds} done", flush=True)
    rows = []
    for name in samples["after"]:
        before, after = statistics.median(samples["before"][name]), statistics.median(samples["after"][name])
        rows.append({"figure": name, "before_ms": round(before, 3), "after_ms": round(after, 3),
                     "ratio": round(after / before, 3)})
    result = {"before": before_rev, "after": head, "rounds": args.rounds, "blocks": args.blocks, "rows": args.rows,
              "repeats": args.repeats, "figures": rows, "samples": samples}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "compare_revs.json").write_text(json.dumps(result, indent=1) + "\n")
    lines = [f"# {before_rev} (before) vs {head} (after): medians of {args.rounds} interleaved rounds", "",
             "| figure | before (ms) | after (ms) | after / before |", "|---|---:|---:|---:|"]
    lines += [f"| {r['figure']} | {r['before_ms']} | {r['after_ms']} | {r['ratio']} |" for r in rows]
    (args.out / "compare_revs.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

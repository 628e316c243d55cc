"""``python -m worker --node URL [--kind linear|tree|knn] [--key FILE]``: watch a node for open
training jobs, train on their data with scikit-learn, commit in the commit window and reveal in
the model window (worker/loop.py). One progress line per step on stdout; Ctrl-C (or SIGTERM)
stops it cleanly, and a restarted worker still reveals what it committed (its models and salts
are in its job directory, client/jobfiles.py)."""
from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from blockchain import crypto
from client.jobfiles import JobFiles, default_dir
from client.node import Node

from .loop import Worker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m worker", description="Train and submit models for open jobs.")
    parser.add_argument("--node", required=True, help="node URL, e.g. http://127.0.0.1:5000")
    parser.add_argument("--kind", choices=("linear", "tree", "knn"), help="take only jobs of this kind")
    parser.add_argument("--key", default="worker.key", help="key file (created if absent; default worker.key)")
    parser.add_argument("--jobs-dir", help="where models and salts are kept (default: KEY.jobs/)")
    parser.add_argument("--poll", type=float, default=1.0, help="seconds between looks at the node (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="the training's random seed")
    parser.add_argument("--validation", type=float, default=0.2, help="share of the data held out (default 0.2)")
    parser.add_argument("--once", action="store_true", help="look once, act, and exit")
    args = parser.parse_args(argv)
    try:
        key = crypto.load_or_create_key(Path(args.key))
    except crypto.KeyFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    files = JobFiles(Path(args.jobs_dir) if args.jobs_dir else default_dir(Path(args.key)))
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()
    signal.signal(signal.SIGTERM, on_signal)
    worker = Worker(Node(args.node, timeout=30), key, files, kind=args.kind, seed=args.seed,
                    validation=args.validation, say=lambda line: print(line, flush=True))
    print(f"worker {worker.address} watching {args.node}" + (f" for {args.kind} jobs" if args.kind else ""),
          flush=True)
    try:
        if args.once:
            worker.step()
        else:
            worker.run(stop, args.poll)
    except KeyboardInterrupt:
        pass
    print("worker stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Protocol 3's difficulty on real nodes: ``.venv/bin/python -m bench.difficulty [--blocks 200] [--settle 60]``.

1. **Block time.** Three nodes on loopback, connected to each other, mining continuously
   (``--mine always``, one worker process each) on a v3 network with ``--target-block-ms``
   (default 2000, which PROTOCOL.md defines as the MEDIAN block time) and a small
   ``--retarget-every`` (default 10), from a genesis difficulty well off the mark. Once ``--settle``
   blocks are past, the median time between the next ``--blocks`` blocks of the chain the nodes
   agree on (from its timestamps), against the target; and their mean (about 1/ln 2 = 1.44 times
   the median when block times are exponential).
2. **Reads while mining.** ``POST /flower/predict`` ``--requests`` times, one after another, on a
   node that mines nothing (``--mine demand``) and then on one that mines all the time (``--mine
   always``, its default worker processes: one core fewer than the machine has, at least one): the
   p99 of each and their ratio. Two more sides say where a slow read's time goes: ``always`` with
   one worker per core (the default before), and the idle node beside as many hashing processes,
   outside the node, in the same idle scheduling class as the workers (if that costs as much as
   mining does, the cost is the machine's cores, not the node's code).

One run; writes difficulty.json to ``--out``. The machine may be shared: the figures say what it
was like during the run.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench.util import summarize
from blockchain.miner import usable_cores
from testkit.network import connect
from testkit.nodes import NodeProcess

MEASURES = {"sepal_length": 5.9, "sepal_width": 3.0, "petal_length": 5.1, "petal_width": 1.8}


def v3_args(target_ms: int, every: int, min_difficulty: int) -> tuple[str, ...]:
    return ("--protocol", "3", "--target-block-ms", str(target_ms), "--retarget-every", str(every),
            "--min-difficulty", str(min_difficulty))


def chain_times(node: NodeProcess) -> list[tuple[int, int]]:
    """(timestamp_ms, difficulty) of every block of ``node``'s main chain, page by page."""
    out: list[tuple[int, int]] = []
    while True:
        page = node.get(f"/blocks?from={len(out)}&limit=500", timeout=60).json()["blocks"]
        if not page:
            return out
        out.extend((b["timestamp_ms"], b["difficulty"]) for b in page)


def block_time(workdir: Path, target_ms: int, every: int, start: int, min_difficulty: int, settle: int,
               blocks: int, timeout_s: float) -> dict:
    args = (*v3_args(target_ms, every, min_difficulty), "--mine", "always", "--miners", "1", "--sync-interval", "0.5")
    nodes = [NodeProcess(workdir, f"miner-{i}", difficulty=start, extra_args=args) for i in range(3)]
    try:
        for node in nodes:
            node.start()
        for a in nodes:
            for b in nodes:
                if a is not b:
                    connect(a, b)
        need = settle + blocks
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if min(n.get("/health").json()["height"] for n in nodes) >= need:
                break
            time.sleep(1)
        heights = [n.get("/health").json()["height"] for n in nodes]
        times = chain_times(nodes[0])
    finally:
        for node in nodes:
            node.stop()
    gaps = [b[0] - a[0] for a, b in zip(times, times[1:], strict=False)][1:]  # genesis is stamped 0
    measured = gaps[settle - 1:settle - 1 + blocks] if len(gaps) >= settle else []
    median = statistics.median(measured) if measured else None
    ds = [b for _, b in times]
    settled = ds[settle:settle + blocks]
    mean = statistics.fmean(measured) if measured else None
    return {"nodes": 3, "target_block_ms": target_ms, "retarget_every": every, "start_difficulty": start,
            "min_difficulty": min_difficulty, "settle_blocks": settle, "blocks_measured": len(measured),
            "heights": heights, "median_block_ms": median,
            "ratio_to_target": round(median / target_ms, 3) if median else None,
            "mean_block_ms": round(mean, 1) if mean is not None else None,
            "mean_over_median": round(mean / median, 2) if mean is not None and median else None,
            "difficulty_settled": [min(settled), max(settled)] if settled else None,
            "difficulty_by_retarget": ds[::every]}


BURNER = "import hashlib\nx = b''\nwhile True:\n    x = hashlib.sha256(x).digest()\n"


def burners(n: int) -> list[subprocess.Popen]:
    """``n`` processes that hash forever, in the idle scheduling class where there is one (as the
    node's mining workers are: blockchain/miner.py)."""
    procs = []
    for _ in range(n):
        proc = subprocess.Popen([sys.executable, "-c", BURNER])
        try:
            os.sched_setscheduler(proc.pid, os.SCHED_IDLE, os.sched_param(0))
        except (AttributeError, OSError):
            pass
        procs.append(proc)
    return procs


def predict_p99(workdir: Path, mode: str, requests_n: int, target_ms: int, every: int, start: int,
                min_difficulty: int, seconds: float, extra: tuple[str, ...] = (), label: str = "",
                beside: int = 0) -> dict:
    """Predict latency on a node that mines nothing (``demand``) or all the time (``always``): at
    least ``requests_n`` requests and at least ``seconds`` of them, so that the tail covers many
    blocks found and committed, not the few of a one-second burst."""
    node = NodeProcess(workdir, f"predict-{label or mode}", difficulty=start,
                       extra_args=(*v3_args(target_ms, every, min_difficulty), "--mine", mode, *extra))
    node.start()
    hashing = burners(beside)
    try:
        samples: list[float] = []
        with requests.Session() as s:
            for _ in range(20):  # warm up
                s.post(node.url + "/flower/predict", json=MEASURES, timeout=60)
            height_before = node.get("/health").json()["height"]
            until = time.monotonic() + seconds
            while len(samples) < requests_n or time.monotonic() < until:
                started = time.perf_counter()
                r = s.post(node.url + "/flower/predict", json=MEASURES, timeout=60)
                samples.append(time.perf_counter() - started)
                if r.status_code != 200:
                    raise RuntimeError(f"predict answered {r.status_code}: {r.text[:200]}")
        height = node.get("/health").json()["height"]
    finally:
        for proc in hashing:
            proc.kill()
            proc.wait()
        node.stop()
    return {"mode": mode, "args": list(extra), "hashing_beside": beside, "start_difficulty": start,
            "seconds": seconds, "blocks_during": height - height_before, "height_after": height, **summarize(samples)}


def run(workdir: Path, target_ms: int = 2000, every: int = 10, start: int = 2**18, min_difficulty: int = 256,
        settle: int = 60, blocks: int = 200, requests_n: int = 400, timeout_s: float = 1800,
        predict_seconds: float = 40.0) -> dict:
    chain = block_time(workdir, target_ms, every, start, min_difficulty, settle, blocks, timeout_s)
    # The mining node starts at the difficulty the network settled at, so that its blocks come about
    # as often as a settled network's do (a fresh node at the genesis difficulty finds them far faster).
    by_retarget = chain.get("difficulty_by_retarget") or []
    settled = int(statistics.median(by_retarget[len(by_retarget) // 2:])) if by_retarget else start
    cores = usable_cores()
    sides = {"predict_idle": ("demand", (), 0), "predict_mining": ("always", (), 0),
             "predict_mining_every_core": ("always", ("--miners", str(cores)), 0),
             "predict_idle_beside_hashing": ("demand", (), cores)}
    result: dict = {"block_time": chain, "cores": cores}
    for name, (mode, extra, beside) in sides.items():
        result[name] = predict_p99(workdir, mode, requests_n, target_ms, every, settled, min_difficulty,
                                   predict_seconds, extra, name, beside)
    idle = result["predict_idle"]
    for name in ("predict_mining", "predict_mining_every_core", "predict_idle_beside_hashing"):
        suffix = name.removeprefix("predict_")
        result[f"p99_ratio_{suffix}"] = round(result[name]["p99_ms"] / idle["p99_ms"], 2)
        result[f"median_ratio_{suffix}"] = round(result[name]["median_ms"] / idle["median_ms"], 2)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.difficulty", description=__doc__.splitlines()[0])
    parser.add_argument("--target-ms", type=int, default=2000)
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--start-difficulty", type=int, default=2**18, help="hashes a block at genesis")
    parser.add_argument("--min-difficulty", type=int, default=256)
    parser.add_argument("--settle", type=int, default=60)
    parser.add_argument("--blocks", type=int, default=200)
    parser.add_argument("--requests", type=int, default=400, help="predict requests at least, on each node")
    parser.add_argument("--predict-seconds", type=float, default=40.0,
                        help="predict requests for at least this long on each node (many blocks at the target)")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        result = run(Path(tmp), args.target_ms, args.every, args.start_difficulty, args.min_difficulty, args.settle,
                     args.blocks, args.requests, predict_seconds=args.predict_seconds)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "difficulty.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

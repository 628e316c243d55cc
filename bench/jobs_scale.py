"""A node holding many settled training jobs, against the same chain without them:
``.venv/bin/python -m bench.jobs_scale [--jobs 1000] [--repeats 5] [--quick] [--out DIR]``.

Two chains are built in process by the real miner (``bench.jobs_chain``): the same blocks, each
with its REWARD and one FLOWER_DATA, one of them also holding ``--jobs`` settled jobs (commitments,
test sets, model reveals and JOB_SETTLEs); a third has the same blocks with, in each, as many
TRANSFERs as the job chain's block holds job transactions (the cost of the jobs beside the cost of
as many ordinary transactions). For each, in one run, medians of ``--repeats``:

- restart: opening the SQLite data directory without a snapshot (full check and replay), and with one;
- sync: a fresh ``python app.py`` taking the chain from a serving one by headers-first sync over
  HTTP on loopback, from registration to its tip;
- audit: ``audit_chain`` in process, and ``python -m blockchain.verify`` on the exported chain;
- endpoints: the node serving each chain, each endpoint's median against the HTTP floor
  (``bench.floor_app``), ``POST /flower/predict`` and ``GET /jobs`` included.

Each repeat measures the three chains in turn (so a change in a shared machine's load falls on all
three alike, not on one chain's block of runs).

and each ratio with jobs / without (and / with transfers), with its interquartile range over every pair of samples.
Writes jobs_scale.json and jobs_scale.md to ``--out`` (``--quick``: 40 jobs, 1 repeat, a scratch
folder unless ``--out`` is given).
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import requests

from blockchain import Blockchain, SQLiteStore, audit_chain
from blockchain.snapshots import SNAPSHOT_KEY
from ml import ledger_model

from . import jobs_chain
from .jobs_chain import DIFFICULTY, NODE_ARGS, TEST_ROWS
from .protocol import write_dir
from .util import ROOT, FloorProcess, NodeProcess, Progress, output_dir, ratio_spread, spread_ms, summarize, timed

#: the measures also taken in CPU time (in the bench's process, or the verifier's)
CPU_MEASURES = {"restart without snapshot": "cold", "restart with snapshot": "warm", "audit_chain": "audit",
                "python -m blockchain.verify": "verify"}
QUIET = ("--sync-interval", "300", "--durability", "os", *NODE_ARGS)
MEASURES = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}


def _clock() -> float:
    return time.time()


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the verifier's runs): unlike the
    wall clock, it does not count the time other work on a shared machine takes the cores."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def open_dir(data_dir: Path) -> tuple[Blockchain, float, float]:
    t, c = time.perf_counter(), cpu_seconds()
    chain = jobs_chain.open_chain(SQLiteStore(data_dir / "chain.sqlite3", durability="os"), _clock)
    return chain, time.perf_counter() - t, cpu_seconds() - c


def restart_once(data_dir: Path) -> dict[str, tuple[float, float]]:
    """(wall, CPU) seconds to open ``data_dir`` without a snapshot (a full check and replay), then
    with the one the clean stop in between wrote."""
    store = SQLiteStore(data_dir / "chain.sqlite3", durability="os")
    store.set_meta(SNAPSHOT_KEY, "")  # no snapshot: a full check and replay
    store.close()
    chain, *cold = open_dir(data_dir)
    chain.close()  # a clean stop writes the snapshot
    chain, *warm = open_dir(data_dir)
    chain.close()
    return {"cold": (cold[0], cold[1]), "warm": (warm[0], warm[1])}


def audit_once(dicts: list[dict[str, Any]]) -> tuple[float, float]:
    t, c = time.perf_counter(), cpu_seconds()
    result = audit_chain(dicts, ledger_model())
    seconds, cpu = time.perf_counter() - t, cpu_seconds() - c
    assert result.valid, result.issues[:3]
    return seconds, cpu


def verify_once(path: Path) -> tuple[float, float]:
    t, c = time.perf_counter(), cpu_seconds()
    run = subprocess.run([sys.executable, "-m", "blockchain.verify", str(path)], cwd=ROOT, capture_output=True,
                         text=True, timeout=1800)
    seconds, cpu = time.perf_counter() - t, cpu_seconds() - c
    if run.returncode != 0:
        raise RuntimeError(f"the verifier refused {path}: {run.stdout[-500:]} {run.stderr[-500:]}")
    return seconds, cpu


def wait_tip(node: NodeProcess, tip_hash: str, timeout: float) -> float:
    started = time.perf_counter()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if node.api.tip().hash == tip_hash:
            return time.perf_counter() - started
        time.sleep(0.02)
    raise RuntimeError(f"{node.name} did not reach {tip_hash[:16]} within {timeout}s:\n{node.log()[-2000:]}")


def sync_once(work: Path, name: str, source: NodeProcess, r: int, last: bool) -> tuple[float, dict[str, Any]]:
    """A fresh node syncs from ``source``: the seconds, and (``last``) what it serves then (its tip,
    and the settled jobs it lists through ``GET /jobs``)."""
    tip = source.api.tip()
    served: dict[str, Any] = {}
    fresh = NodeProcess(work, f"fresh-{name}-{r}", difficulty=DIFFICULTY, extra_args=QUIET, ephemeral=True).start()
    try:
        t = time.perf_counter()
        fresh.api.register([source.url])
        wait_tip(fresh, tip.hash, timeout=1800)
        seconds = time.perf_counter() - t
        if last:
            settled = fresh.api.jobs("settled", limit=1).count
            served = {"height": fresh.api.tip().height, "tip": fresh.api.tip().hash,
                      "settled_jobs": settled, "all_jobs": fresh.api.jobs(limit=1).count,
                      "model_hash_agrees": fresh.api.health().model_hash == source.api.health().model_hash}
    finally:
        fresh.stop()
    return seconds, served


def endpoints(node: NodeProcess, floor: FloorProcess, job_id: str | None, n: int) -> dict[str, Any]:
    """Each endpoint's median on ``node`` and its ratio to the floor (GET /ping or POST /echo)."""
    s, fs = requests.Session(), requests.Session()
    for _ in range(30):
        fs.get(floor.url + "/ping")
        s.get(node.url + "/health")
    floor_get = summarize(timed(fs, "GET", floor.url + "/ping", n, "floor GET /ping"))
    floor_post = summarize(timed(fs, "POST", floor.url + "/echo", n, "floor POST /echo", expect=201,
                                 body_fn=lambda i: {**MEASURES, "sender": f"f{i}"}))
    cases: list[tuple[str, str, str, Callable[[int], Any] | None]] = [
        ("GET /health", "GET", "/health", None),
        ("GET /model/info", "GET", "/model/info", None),
        ("POST /flower/predict", "POST", "/flower/predict",
         lambda i: {**MEASURES, "sepal_length": round(4.5 + (i % 30) / 10, 2)}),
        ("GET /jobs", "GET", "/jobs", None),
        ("GET /jobs?state=settled", "GET", "/jobs?state=settled", None),
    ]
    if job_id is not None:
        cases += [("GET /jobs/<id>", "GET", f"/jobs/{job_id}", None),
                  ("POST /jobs/<id>/predict", "POST", f"/jobs/{job_id}/predict", lambda i: {"rows": TEST_ROWS})]
    rows = {}
    for label, method, path, body in cases:
        stats = summarize(timed(s, method, node.url + path, n, label, body_fn=body))
        base = floor_post if method == "POST" else floor_get
        rows[label] = {"median_ms": stats["median_ms"], "p95_ms": stats["p95_ms"], "floor_median_ms": base["median_ms"],
                       "x_floor": round(stats["median_ms"] / base["median_ms"], 2)}
    return rows


def serve(work: Path, name: str, data_dir: Path) -> NodeProcess:
    copy = work / f"{name}-served"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(data_dir, copy)
    return NodeProcess(work, name, difficulty=DIFFICULTY, data_dir=copy, extra_args=QUIET).start(600)


def measure(work: Path, chains: dict[str, tuple[Blockchain, list[str]]], repeats: int, n: int,
            floor: FloorProcess) -> dict[str, dict[str, Any]]:
    """Every measure of each chain. Each repeat measures the chains in turn (restart, audit, verify;
    then sync), so a change in the shared machine's load falls on all of them alike."""
    out: dict[str, dict[str, Any]] = {}
    dicts, paths, data_dirs = {}, {}, {}
    for name, (chain, job_ids) in chains.items():
        dicts[name] = [b.to_dict() for b in chain.blocks()]
        out[name] = {"blocks": chain.height, "transactions": sum(len(b["transactions"]) for b in dicts[name]),
                     "settled_jobs": jobs_chain.settled(chain, job_ids)}
        data_dirs[name] = work / f"{name}-data"
        write_dir(chain, data_dirs[name])
        paths[name] = work / f"{name}.json"
        paths[name].write_text(json.dumps({"chain": dicts[name]}))
        out[name]["chain_json_bytes"] = paths[name].stat().st_size
    kinds = ("cold", "warm", "audit", "verify")
    samples: dict[str, dict[str, list[float]]] = {name: {k: [] for k in (*kinds, *(f"{k}_cpu" for k in kinds),
                                                                      "sync")} for name in chains}
    bar = Progress(f"restart, audit, verify x {len(chains)}", repeats * len(chains))
    for _ in range(repeats):
        for name in chains:
            took = restart_once(data_dirs[name])   # leaves the snapshot, for the serving node
            took["audit"] = audit_once(dicts[name])
            took["verify"] = verify_once(paths[name])
            for k, (wall, cpu) in took.items():
                samples[name][k].append(wall)
                samples[name][f"{k}_cpu"].append(cpu)
            bar.step()
    sources: dict[str, NodeProcess] = {}
    try:
        for name in chains:
            sources[name] = serve(work, f"source-{name}", data_dirs[name])
        bar = Progress(f"sync x {len(chains)}", repeats * len(chains))
        for r in range(repeats):
            for name in chains:
                seconds, served = sync_once(work, name, sources[name], r, r == repeats - 1)
                samples[name]["sync"].append(seconds)
                if served:
                    out[name]["synced_node"] = served
                bar.step()
        for name, (_, job_ids) in chains.items():
            out[name]["endpoints"] = endpoints(sources[name], floor, job_ids[0] if job_ids else None, n)
    finally:
        for source in sources.values():
            source.stop()
    for name in chains:
        got = samples[name]
        out[name].update({"restart": {"without_snapshot": spread_ms(got["cold"]),
                                      "with_snapshot": spread_ms(got["warm"])},
                          "audit": spread_ms(got["audit"]), "verify_cli": spread_ms(got["verify"]),
                          "sync": spread_ms(got["sync"]),
                          "cpu": {label: spread_ms(got[f"{k}_cpu"]) for label, k in CPU_MEASURES.items()}})
    return out


def run(work: Path, jobs: int, repeats: int, n: int, blocks: int = 0, transfers: bool = True) -> dict[str, Any]:
    """Every measure; ``blocks``: grow both chains to that height after the jobs (``build``);
    ``transfers=False``: no third chain (its ratios are left out)."""
    with_jobs, ids = jobs_chain.build(jobs, blocks=blocks)
    without, _ = jobs_chain.build(jobs, with_jobs=False, blocks=blocks)
    assert with_jobs.height == without.height
    chains = {"with-jobs": (with_jobs, ids), "without-jobs": (without, [])}
    if transfers:
        chains["with-transfers"] = (jobs_chain.build_transfers(jobs_chain.job_transactions(with_jobs)), [])
        assert chains["with-transfers"][0].height == with_jobs.height
    floor = FloorProcess(work)
    try:
        measured = measure(work, chains, repeats, n, floor)
    finally:
        floor.stop()
    runs = {"with_jobs": measured["with-jobs"], "without_jobs": measured["without-jobs"]}
    if transfers:
        runs["with_transfers"] = measured["with-transfers"]
    a, b, c = runs["with_jobs"], runs["without_jobs"], runs.get("with_transfers")
    metrics = {"restart without snapshot": ("restart", "without_snapshot"),
               "restart with snapshot": ("restart", "with_snapshot"),
               "sync over HTTP": ("sync",), "audit_chain": ("audit",), "python -m blockchain.verify": ("verify_cli",)}

    def pick(r: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
        for k in keys:
            r = r[k]
        return r

    ratios, to_transfers = {}, {}
    for label, keys in metrics.items():
        x, y = pick(a, keys), pick(b, keys)
        ratios[label] = {"with_jobs_ms": x["median_ms"], "without_jobs_ms": y["median_ms"],
                         **ratio_spread(x["samples_ms"], y["samples_ms"]), **paired(x["samples_ms"], y["samples_ms"])}
        if c is None:
            continue
        z = pick(c, keys)
        to_transfers[label] = {"with_jobs_ms": x["median_ms"], "with_transfers_ms": z["median_ms"],
                               **ratio_spread(x["samples_ms"], z["samples_ms"]),
                               **paired(x["samples_ms"], z["samples_ms"])}
    cpu_ratios, cpu_to_transfers = {}, {}
    for label in CPU_MEASURES:
        x, y = a["cpu"][label], b["cpu"][label]
        cpu_ratios[label] = {"with_jobs_ms": x["median_ms"], "without_jobs_ms": y["median_ms"],
                             **ratio_spread(x["samples_ms"], y["samples_ms"]),
                             **paired(x["samples_ms"], y["samples_ms"])}
        if c is None:
            continue
        z = c["cpu"][label]
        cpu_to_transfers[label] = {"with_jobs_ms": x["median_ms"], "with_transfers_ms": z["median_ms"],
                                   **ratio_spread(x["samples_ms"], z["samples_ms"]),
                                   **paired(x["samples_ms"], z["samples_ms"])}
    return {"jobs": jobs, "blocks": blocks, "repeats": repeats,
            "requests_per_endpoint": n, "jobs_per_block": jobs_chain.JOBS_PER_BLOCK,
            "windows": jobs_chain.WINDOWS, "difficulty": DIFFICULTY, "runs": runs, "ratios": ratios,
            "ratios_to_transfers": to_transfers, "cpu_ratios": cpu_ratios, "cpu_ratios_to_transfers": cpu_to_transfers}


def paired(numerator_ms: list[float], denominator_ms: list[float]) -> dict[str, Any]:
    """The median of the ratios of the samples taken in the same repeat (one right after the other,
    so under the same load), with the smallest and largest of them."""
    ratios = sorted(a / b for a, b in zip(numerator_ms, denominator_ms, strict=True) if b > 0)
    return {"paired_ratio": round(statistics.median(ratios), 2), "paired_min": round(ratios[0], 2),
            "paired_max": round(ratios[-1], 2)}


def _table(head: str, ratios: dict[str, Any], to_transfers: dict[str, Any]) -> list[str]:
    """The works' rows: with jobs against without, and against the transfers chain when it was measured."""
    def cells(r: dict[str, Any]) -> str:
        return (f"| {r['ratio']} ({r['q1']} to {r['q3']}) "
                f"| {r['paired_ratio']} ({r['paired_min']} to {r['paired_max']}) |")

    columns = "| with jobs | without | ratio (IQR) | paired (range) |"
    if to_transfers:
        columns += " with transfers instead | ratio (IQR) | paired (range) |"
    lines = [f"| {head} {columns}", "|---" * columns.count("|") + "|"]
    for label, r in ratios.items():
        line = f"| {label} | {r['with_jobs_ms']:,.1f} ms | {r['without_jobs_ms']:,.1f} ms {cells(r)}"
        if to_transfers:
            t = to_transfers[label]
            line += f" {t['with_transfers_ms']:,.1f} ms {cells(t)}"
        lines.append(line)
    return lines


def render(result: dict[str, Any]) -> str:
    a, b = result["runs"]["with_jobs"], result["runs"]["without_jobs"]
    c = result["runs"].get("with_transfers")
    third = (f"and against the same blocks with as many TRANSFERs as there are job transactions, block by block "
             f"({c['transactions']:,} transactions, {c['chain_json_bytes'] / 2**20:.1f} MiB); ") if c else ""
    command = "python -m bench.jobs_scale" + (f" --blocks {result['blocks']}" if result.get("blocks") else "") + (
        "" if c else " --no-transfers")
    grown = (f" (the jobs in blocks {jobs_chain.FUNDING_BLOCKS + 1} to {jobs_chain.blocks_for(result['jobs'])}, "
             f"then blocks of a REWARD and a flower each)") if result.get("blocks") else ""
    lines = [f"A chain of {a['blocks']:,} blocks holding {a['settled_jobs']:,} settled jobs{grown} "
             f"({a['transactions']:,} transactions, {a['chain_json_bytes'] / 2**20:.1f} MiB as JSON) against the same "
             f"blocks without the jobs ({b['transactions']:,} transactions, {b['chain_json_bytes'] / 2**20:.1f} MiB), "
             f"{third}medians of {result['repeats']} (`{command}`).", "",
             *_table("work", result["ratios"], result["ratios_to_transfers"]),
             "", "The same in CPU time (of the bench's process; for the verifier, of its process), which does not "
             "count the time other work on a shared machine takes the cores:", "",
             *_table("work (CPU)", result["cpu_ratios"], result["cpu_ratios_to_transfers"])]
    lines += ["", "ratio: the median over every pair of samples, with its interquartile range; paired: the "
              "median of the ratios of the samples of one repeat (taken one after the other), with their range."]
    lines += ["", "| endpoint | with jobs: median, x floor | without jobs: median, x floor |", "|---|---|---|"]
    for label, r in a["endpoints"].items():
        other = b["endpoints"].get(label)
        theirs = f"{other['median_ms']} ms, {other['x_floor']}x" if other else "(no job)"
        lines.append(f"| `{label}` | {r['median_ms']} ms, {r['x_floor']}x | {theirs} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.jobs_scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=None, help="settled jobs on the chain (default 1000; --quick 40)")
    parser.add_argument("--repeats", type=int, default=None, help="repeats of each measure (default 5; --quick 1)")
    parser.add_argument("--requests", type=int, default=None, help="requests per endpoint (default 300; --quick 30)")
    parser.add_argument("--blocks", type=int, default=0,
                        help="grow the chains to this height after the jobs (default: the jobs' own height)")
    parser.add_argument("--no-transfers", action="store_true", help="leave out the chain with TRANSFERs instead")
    parser.add_argument("--quick", action="store_true", help="a small run, to a scratch folder unless --out")
    parser.add_argument("--out", type=Path, default=None, help="where to write (default bench/results)")
    args = parser.parse_args(argv)
    jobs = args.jobs or (40 if args.quick else 1000)
    repeats = args.repeats or (1 if args.quick else 5)
    n = args.requests or (30 if args.quick else 300)
    out = output_dir(args.out, args.quick, "bench/results")
    out.mkdir(parents=True, exist_ok=True)
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    with tempfile.TemporaryDirectory(prefix="iris-bench-jobs-") as tmp:
        result = run(Path(tmp), jobs, repeats, n, blocks=args.blocks, transfers=not args.no_transfers)
    result = {"started": started, "finished": time.strftime("%Y-%m-%d %H:%M:%S"), **result}
    (out / "jobs_scale.json").write_text(json.dumps(result, indent=1) + "\n")
    table = render(result)
    (out / "jobs_scale.md").write_text(table)
    print(table)
    print(f"wrote {out / 'jobs_scale.json'} and {out / 'jobs_scale.md'}")
    worst = max(r["ratio"] for r in result["ratios"].values())
    print(f"largest ratio with jobs / without: {worst}")
    if result["ratios_to_transfers"]:
        print(f"largest ratio with jobs / with as many transfers: "
              f"{max(r['ratio'] for r in result['ratios_to_transfers'].values())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

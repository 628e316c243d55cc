"""Protocol v2's costs: full verification, restart, reorg, prediction and mining at scale.

Chains of one FLOWER_DATA per block are built in memory at difficulty 2, written to SQLite data
directories, and then verified, restarted, reorganised and mined on exactly as a node does it.
Every figure is a median of the repeats of one run; the README table quotes them.
"""
from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

from blockchain import Blockchain, MemoryStore, SQLiteStore, audit_chain
from blockchain.pow import search_nonce
from ml import IrisModel
from ml.measurements import text
from testkit.factories import flower

from .util import ROOT, NodeProcess, Progress, summarize

DIFFICULTY = 2
CLASSES = ("setosa", "versicolor", "virginica")


def _flower(i: int, tag: str = "c"):
    features = (text(450 + (i * 7) % 400), text(200 + (i * 13) % 250), text(100 + (i * 11) % 600),
                text(10 + (i * 3) % 240))
    return flower(sender=f"{tag}{i}", features=features, label=CLASSES[i % 3], timestamp_ms=1_700_000_000_000 + i)


def grow(chain: Blockchain, blocks: int, tag: str, label: str) -> None:
    bar = Progress(label, blocks)
    for _ in range(blocks):
        chain.add_transaction(_flower(chain.height + 1, tag))
        chain.mine(f"miner-{tag}")
        bar.step()


_NOW = time.time()


def _clock() -> float:
    return _NOW  # fixed for the run, so that every block of a build has a stable time


def write_dir(chain: Blockchain, data_dir: Path) -> None:
    """Store ``chain`` in a node data directory (SQLite), as if a node had mined it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    store = SQLiteStore(data_dir / "chain.sqlite3", durability="os")
    store.replace_blocks(0, [b.to_dict() for b in chain.blocks()])
    store.close()


def open_dir(data_dir: Path) -> tuple[Blockchain, float]:
    t = time.perf_counter()
    chain = Blockchain(IrisModel(), DIFFICULTY, SQLiteStore(data_dir / "chain.sqlite3", durability="os"), clock=_clock)
    return chain, time.perf_counter() - t


def _median(xs) -> float:
    return round(statistics.median(xs), 3)


def verification(chain_dicts: list, repeats: int) -> dict:
    times = []
    bar = Progress(f"audit {len(chain_dicts) - 1} blocks", repeats)
    for _ in range(repeats):
        t = time.perf_counter()
        result = audit_chain(chain_dicts, IrisModel(), now_ms=None)
        times.append(time.perf_counter() - t)
        assert result.valid, result.issues[:3]
        bar.step()
    return {"blocks": len(chain_dicts) - 1, "audit_s": _median(times), "repeats": repeats}


def verifier_cli(path: Path) -> float:
    t = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "blockchain.verify", str(path)], cwd=ROOT, capture_output=True,
                         text=True, timeout=1800)
    elapsed = time.perf_counter() - t
    if run.returncode != 0:
        raise RuntimeError(f"the verifier failed: {run.stdout[-500:]} {run.stderr[-500:]}")
    return round(elapsed, 3)


def restart(data_dir: Path, repeats: int) -> dict:
    """Open a data directory without a snapshot (full check and replay), then with one."""
    cold, warm = [], []
    bar = Progress(f"restart {data_dir.name}", 2 * repeats)
    for _ in range(repeats):
        store = SQLiteStore(data_dir / "chain.sqlite3", durability="os")
        store.set_meta("snapshot_v2", "")  # no snapshot: a full check and replay
        store.close()
        chain, seconds = open_dir(data_dir)
        cold.append(seconds)
        chain.close()  # a clean stop writes the snapshot
        bar.step()
        chain, seconds = open_dir(data_dir)
        warm.append(seconds)
        chain.close()
        bar.step()
    return {"without_snapshot_s": _median(cold), "with_snapshot_s": _median(warm), "repeats": repeats}


def node_restart(workdir: Path, data_dir: Path) -> float:
    """``python app.py`` on a data directory with a snapshot: seconds until /health answers."""
    node = NodeProcess(workdir, "bench-restart", difficulty=DIFFICULTY, data_dir=data_dir)
    t = time.perf_counter()
    node.start(timeout=600)
    elapsed = time.perf_counter() - t
    node.stop()
    return round(elapsed, 3)


def reorg(workdir: Path, base_dir: Path, depth: int, repeats: int) -> dict:
    """A node at height H switches to a branch that forks ``depth`` blocks below its tip."""
    times = []
    bar = Progress(f"reorg of depth {depth}", repeats)
    for r in range(repeats):
        ours_dir, theirs_dir = workdir / f"reorg-ours-{r}", workdir / f"reorg-theirs-{r}"
        for target in (ours_dir, theirs_dir):
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(base_dir, target)
        ours, _ = open_dir(ours_dir)
        theirs, _ = open_dir(theirs_dir)
        grow(ours, depth, f"ours{r}-", "our branch")
        grow(theirs, depth + 1, f"theirs{r}-", "their branch")
        offered = [b.to_dict() for b in theirs.blocks()]
        t = time.perf_counter()
        replaced, _ = ours.replace_chain(offered)
        times.append(time.perf_counter() - t)
        assert replaced and ours.last_block.hash == theirs.last_block.hash
        assert ours.model.state_hash == theirs.model.state_hash
        height = ours.height
        ours.close()
        theirs.close()
        bar.step()
    return {"depth": depth, "height": height, "reorg_s": _median(times), "repeats": repeats}


def predict(chain: Blockchain, n: int) -> dict:
    model = chain.model
    queries = [[text(450 + i % 300), "3.00", text(100 + i % 500), "1.20"] for i in range(n)]
    times = []
    for q in queries:
        t = time.perf_counter()
        model.predict(q)
        times.append(time.perf_counter() - t)
    return {"rows": model.data_count, **summarize(times)}


def hash_rate(workdir: Path, blocks: int, difficulty: int = 4) -> dict:
    """Mining through ``POST /mine`` with the default miners, against one core's Python loop of the
    same hash in the same run. Hashes of a block: its nonce + 1 (the workers share the nonces
    0, 1, 2, ... between them, so about that many were tried)."""
    prefix = b'{"difficulty":4,"index":1,"merkle_root":"' + b"ab" * 32 + b'","previous_hash":"' + b"0" * 64 + \
        b'","timestamp_ms":1800000000000}:'
    tries = 2_000_000
    t = time.perf_counter()
    search_nonce(prefix, 32, limit=tries)  # nothing meets difficulty 32: exactly ``tries`` hashes
    one_core = tries / (time.perf_counter() - t)
    node = NodeProcess(workdir, "bench-hashrate", difficulty=difficulty, data_dir=workdir / "hashrate-data").start()
    s = requests.Session()  # timed: raw, so that the figure is the node's /mine, not the library's checks
    try:
        hashes, seconds, per_block = 0, 0.0, []
        bar = Progress(f"/mine at difficulty {difficulty}", blocks)
        for _ in range(blocks):
            t = time.perf_counter()
            block = s.post(node.url + "/mine", timeout=600).json()
            elapsed = time.perf_counter() - t
            hashes += block["nonce"] + 1
            seconds += elapsed
            per_block.append(elapsed)
            bar.step()
    finally:
        node.stop()
    rate = hashes / seconds
    return {"difficulty": difficulty, "blocks": blocks, "one_core_hashes_per_s": round(one_core),
            "mine_hashes_per_s": round(rate), "ratio": round(rate / one_core, 2),
            "mine_median_ms": round(statistics.median(per_block) * 1000, 1)}


def run(workdir: Path, sizes: list[int], repeats: int, reorg_depth: int, mine_blocks: int) -> dict:
    workdir = Path(workdir)
    out: dict = {"difficulty": DIFFICULTY, "verification": [], "restart": []}
    chain = Blockchain(IrisModel(), DIFFICULTY, MemoryStore(), clock=_clock)
    built = 0
    for size in sorted(sizes):
        grow(chain, size - built, "c", f"build a chain of {size} blocks")
        built = size
        dicts = [b.to_dict() for b in chain.blocks()]
        out["verification"].append(verification(dicts, repeats))
        data_dir = workdir / f"chain-{size}"
        write_dir(chain, data_dir)
        row = {"blocks": size, **restart(data_dir, repeats)}
        if size == max(sizes):
            path = workdir / f"chain-{size}.json"
            path.write_text(json.dumps({"chain": dicts}))
            row["verifier_cli_s"] = verifier_cli(path)
            row["node_process_restart_s"] = node_restart(workdir, data_dir)
        out["restart"].append(row)
        print(f"    {size} blocks: {out['verification'][-1]} {row}", flush=True)
        del dicts
    first, last = out["verification"][0], out["verification"][-1]
    out["linearity"] = round((last["audit_s"] / first["audit_s"]) / (last["blocks"] / first["blocks"]), 2)
    out["predict"] = predict(chain, 1000)
    out["reorg"] = reorg(workdir, workdir / f"chain-{max(sizes)}", reorg_depth, repeats)
    out["hash_rate"] = hash_rate(workdir, mine_blocks)
    return out

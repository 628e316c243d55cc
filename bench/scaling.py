"""How cost grows: training-set size, block size, pending pool, chain length."""
from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import requests

from blockchain import Block, Blockchain, MemoryStore, SQLiteStore
from client import Node
from ml import BaseData, IrisModel, iris_base
from ml.measurements import text
from testkit.factories import flower

from .util import NodeProcess, Progress, spread_ms, summarize, timed

MEASURES = {"sepal_length": 6.1, "sepal_width": 2.8, "petal_length": 4.7, "petal_width": 1.2}


def synthetic_base(rows: int, seed: int = 0) -> BaseData:
    """``rows`` training rows drawn around the Iris rows (labels kept), the 30 Iris test rows."""
    iris = iris_base()
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(iris.train), size=rows)
    x = np.clip(iris.train_units[pick] + rng.normal(0, 15, size=(rows, 4)), 1, 9900).round().astype(int)
    labels = [iris.train_labels[i] for i in pick]
    return BaseData.from_dict({"classes": list(iris.classes), "train": [[text(int(v)) for v in row] for row in x],
                               "train_labels": labels, "test": [list(r) for r in iris.test],
                               "test_labels": list(iris.test_labels)}, name=f"synthetic-{rows}")


def model_size(sizes: list[int], repeats: int) -> list[dict]:
    out = []
    bar = Progress("predict/evaluate vs training rows", len(sizes))
    for n in sizes:
        base = synthetic_base(n)
        t = time.perf_counter()
        model = IrisModel(base=base)
        fit_s = time.perf_counter() - t
        model.predict(list(MEASURES.values()))  # builds the KNN once, as the first request does
        pred = []
        for i in range(repeats):
            t = time.perf_counter()
            model.predict([f"6.{i % 10}0", "2.80", "4.70", "1.20"])
            pred.append(time.perf_counter() - t)
        evals = []
        for _ in range(max(3, repeats // 20)):
            model._evaluation = None  # measure the computation, not the per-model_hash cache
            t = time.perf_counter()
            model.evaluate_model()
            evals.append(time.perf_counter() - t)
        cached = []
        for _ in range(repeats):
            t = time.perf_counter()
            model.evaluate_model()
            cached.append(time.perf_counter() - t)
        out.append({"rows": n, "fit_ms": round(fit_s * 1000, 2), "predict": summarize(pred),
                    "evaluate_uncached": summarize(evals), "evaluate_cached": summarize(cached)})
        bar.step()
    return out


def http_predict_at(workdir, rows: int, n: int) -> dict:
    """/flower/predict through a node whose model has ``rows`` training rows (an experiment network)."""
    path = Path(workdir) / f"base-{rows}.json"
    path.write_text(json.dumps(synthetic_base(rows).to_dict()))
    node = NodeProcess(workdir, f"bench-rows-{rows}", difficulty=2, extra_args=("--base-data", str(path))).start()
    try:
        s = requests.Session()  # timed (and warmed) raw, as util.timed
        for _ in range(20):
            s.post(node.url + "/flower/predict", json=MEASURES)
        return {
            "rows": rows,
            **summarize(
                timed(
                    s,
                    "POST",
                    node.url + "/flower/predict",
                    n,
                    f"HTTP predict at {rows} rows",
                    body_fn=lambda i: MEASURES,
                )
            ),
        }
    finally:
        node.stop()


def block_apply(rows: int, sizes: list[int], repeats: int) -> list[dict]:
    """Time for a node to validate and apply a peer's block of k FLOWER_DATA (one refit per block)."""
    base = synthetic_base(rows, seed=1)
    out = []
    bar = Progress(f"apply a block of k flowers at {rows} rows", len(sizes) * repeats)
    for k in sizes:
        times = []
        for r in range(repeats):
            a, b = Blockchain(IrisModel(base=base), 1), Blockchain(IrisModel(base=base), 1)
            for i in range(k):
                a.add_transaction(
                    flower(
                        sender=f"k{k}-{r}-{i}",
                        features=(
                            f"{5 + (i % 20) // 10}.{(i % 20) % 10}0",
                            "3.00",
                            f"{(15 + i % 40) // 10}.{(15 + i % 40) % 10}0",
                            "0.40",
                        ),
                        label=["setosa", "versicolor", "virginica"][i % 3],
                    )
                )
            block = Block.from_dict(a.mine("a").to_dict())  # as it arrives from a peer
            t = time.perf_counter()
            b.add_block(block)
            times.append(time.perf_counter() - t)
            bar.step()
        out.append({"flower_data": k, "rows_before": rows, "median_ms": round(statistics.median(times) * 1000, 2)})
    return out


def mine_vs_pending(workdir, counts: list[int], repeats: int) -> list[dict]:
    node = NodeProcess(workdir, "bench-mine-pending", difficulty=4).start()
    s = requests.Session()  # timed: raw, as util.timed; the flowers go through the library
    out = []
    bar = Progress("/mine vs pending count", len(counts) * repeats)
    try:
        for p in counts:
            times = []
            for r in range(repeats):
                for i in range(p):
                    node.api.add_flower(f"p{p}-{r}-{i}", "versicolor", MEASURES)
                t = time.perf_counter()
                mined = s.post(node.url + "/mine", timeout=300).json()
                times.append(time.perf_counter() - t)
                assert len(mined["transactions"]) == 1 + p + (1 if p else 0)
                bar.step()
            out.append({"pending": p, **spread_ms(times)})
    finally:
        node.stop()
    return out


def build_chain_dir(data_dir: Path, blocks: int, difficulty: int) -> None:
    """A data directory holding ``blocks`` blocks of one FLOWER_DATA each, built in memory and written once."""
    chain = Blockchain(IrisModel(), difficulty, MemoryStore())
    bar = Progress(f"build a {blocks}-block chain", blocks)
    for i in range(blocks):
        chain.add_transaction(
            flower(
                sender=f"c{i}",
                features=(text(450 + (i % 40) * 10), "3.00", text(100 + (i % 60) * 10), text(20 + (i % 25) * 10)),
                label=["setosa", "versicolor", "virginica"][i % 3],
            )
        )
        chain.mine("builder")
        bar.step()
    store = SQLiteStore(data_dir / "chain.sqlite3")
    store.replace_blocks(0, [b.to_dict() for b in chain.blocks()])
    store.close()


def chain_length(workdir, lengths: list[int], difficulty: int, requests_n: int) -> list[dict]:
    out = []
    for length in lengths:
        data_dir = Path(workdir) / f"chain-{length}"
        build_chain_dir(data_dir, length, difficulty)
        row: dict[str, Any] = {"blocks": length + 1}
        node = NodeProcess(workdir, f"bench-len-{length}", difficulty=difficulty, data_dir=data_dir)
        t = time.perf_counter()
        node.start(timeout=600)
        row["start_full_replay_s"] = round(time.perf_counter() - t, 3)
        s = requests.Session()  # timed: raw, as util.timed
        row["chain"] = summarize(timed(s, "GET", node.url + "/chain", requests_n, f"GET /chain at {length} blocks"))
        t = time.perf_counter()
        report = Node(node.url, timeout=600).validate()
        row["validate_s"] = round(time.perf_counter() - t, 3)
        assert report.valid, report.errors[:3]
        tip = node.api.health().tip

        fresh = NodeProcess(workdir, f"bench-fresh-{length}", difficulty=difficulty).start()
        t = time.perf_counter()
        fresh.api.register([node.url])
        deadline = time.monotonic() + 900
        while fresh.api.health().tip != tip:
            if time.monotonic() > deadline:
                raise RuntimeError(f"a fresh node did not sync {length} blocks in 900 s")
            time.sleep(0.05)
        row["fresh_node_sync_s"] = round(time.perf_counter() - t, 3)
        fresh.stop()

        node.stop()  # a clean stop writes the model snapshot
        t = time.perf_counter()
        node.start(timeout=600)
        row["restart_snapshot_s"] = round(time.perf_counter() - t, 3)
        assert "verified snapshot" in node.log()
        node.stop()
        print(f"    {length} blocks: {row}", flush=True)
        out.append(row)
    return out

"""``python -m experiments.reproduce --out DIR [--quick]``: figures 4, 5 and 6 of the paper, made
through the chain.

Each run starts an experiment network (``python app.py --base-data``: its own genesis, a real node
process driven over HTTP), sends the data as
``FLOWER_DATA`` through ``POST /flower/add``, mines with ``POST /mine``, and reads accuracy,
confusion matrices, drift and history back from ``/model/evaluate``, ``/model/drift`` and
``/model/history``. Writes fig4_model_growth.png, fig5_drift.png, fig6_confusion.png,
results.json and the growth runs' chains (verifiable with ``python -m blockchain.verify``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.datasets import make_classification

from bench.util import NodeProcess, Progress, output_dir
from client import Node
from ml import FEATURE_NAMES, iris_base

NAMES = ("class_a", "class_b", "class_c")  # the synthetic classes (not Iris flowers)
PARAMS: dict[str, Any] = {
    "make_classification": {
        "n_features": 4,
        "n_informative": 3,
        "n_redundant": 1,
        "n_repeated": 0,
        "n_classes": 3,
        "n_clusters_per_class": 1,
        "class_sep": 1.5,
        "flip_y": 0.0,
    },
    "feature_shift": 10.0,  # added to every feature to bring them into 0.01..100.00 (PROTOCOL.md)
    "decimals": 2,  # measurements are whole hundredths of a centimetre (PROTOCOL.md)
    "base_samples": 30,
    "contributed_samples": 90,
    "test_samples": 60,
    "points_per_block": 10,
    "difficulty": 2,
    "drift": "concept drift: each contributed sample of class c is moved by d times (centroid of class c+1 "
    "minus centroid of class c), centroids from the base data, classes in the order setosa, versicolor, "
    "virginica, cyclic; it keeps its label c. The test rows are not moved.",
}
PAPER = {
    "fig4": "97% at 30 samples, 100% from 40-50 samples on, stable to 120",
    "fig5": "about 100% at no drift, about 57% at drift 0.1, back to about 97% at high drift",
    "fig6": "confusion matrices at 30, 60 and 120 training samples",
}


def synthetic(seed: int) -> dict:
    p = PARAMS
    n = p["base_samples"] + p["contributed_samples"] + p["test_samples"]
    x, y = make_classification(n_samples=n, random_state=seed, **p["make_classification"])
    x = np.round(x + p["feature_shift"], p["decimals"])
    if x.min() < 0.01 or x.max() > 100:
        raise ValueError(f"seed {seed}: shifted features must be 0.01 to 100.00; got {x.min()}..{x.max()}")
    labels = [NAMES[int(c)] for c in y]
    b, c = p["base_samples"], p["base_samples"] + p["contributed_samples"]
    if len(set(labels[:b])) < 3:
        raise ValueError(f"seed {seed}: the base samples must hold all three classes")
    return {
        "base": {
            "classes": list(NAMES),
            "train": rows_text(x[:b]),
            "train_labels": labels[:b],
            "test": rows_text(x[c:]),
            "test_labels": labels[c:],
        },
        "contributions": list(zip(rows_text(x[b:c]), labels[b:c], strict=True)),
    }


def rows_text(x) -> list[list[str]]:
    """Rows of centimetres as the protocol's measurement strings (two decimals)."""
    return [[f"{v:.2f}" for v in row] for row in np.asarray(x, dtype=float)]


def rows_cm(rows) -> np.ndarray:
    return np.asarray([[float(v) for v in row] for row in rows])


def iris_growth_data() -> dict:
    iris = iris_base()
    b = PARAMS["base_samples"]
    return {
        "base": {
            "classes": list(iris.classes),
            "train": [list(r) for r in iris.train[:b]],
            "train_labels": list(iris.train_labels[:b]),
            "test": [list(r) for r in iris.test],
            "test_labels": list(iris.test_labels),
        },
        "contributions": list(zip([list(r) for r in iris.train[b:]], iris.train_labels[b:], strict=True)),
    }


class Network:
    """One experiment network: a node of its own base data, driven through the client library."""

    def __init__(self, workdir: Path, name: str, base: dict) -> None:
        path = workdir / f"{name}.base.json"
        path.write_text(json.dumps(base))
        self.node = NodeProcess(
            workdir,
            name,
            difficulty=PARAMS["difficulty"],
            extra_args=("--base-data", str(path), "--durability", "os", "--miners", "1"),
        ).start()
        self.api = Node(self.node.url, timeout=120)

    def contribute(self, rows_labels, sender: str, per_block: int, bar: Progress | None = None, after_block=None):
        for start in range(0, len(rows_labels), per_block):
            for i, (row, label) in enumerate(rows_labels[start : start + per_block]):
                self.api.add_flower(f"{sender}-{start + i}", label, dict(zip(FEATURE_NAMES, row, strict=True)))
            self.api.mine()
            if after_block:
                after_block(self)
            if bar:
                bar.step()

    def close(self) -> None:
        self.api.session.close()
        self.node.stop()


def growth_run(workdir: Path, name: str, data: dict, out: Path, bar: Progress) -> dict:
    (out / f"base_{name}.json").write_text(json.dumps(data["base"]))  # to verify the chain: --base-data
    net = Network(workdir, name, data["base"])
    confusion = {}
    try:

        def snapshot(n: Network) -> None:
            ev = n.api.model_evaluate()
            if ev.data_points_trained in (30, 60, 120):
                confusion[ev.data_points_trained] = ev.confusion_matrix.to_dict()

        snapshot(net)
        net.contribute(data["contributions"], name, PARAMS["points_per_block"], bar, snapshot)
        history = list(net.api.iter_model_history())
        chain = net.api.call("GET", "/chain")  # written as the node sent it
        (out / f"chain_{name}.json").write_text(json.dumps(chain))
        return {
            "points": [h.data_points_trained for h in history],
            "accuracy": [h.accuracy for h in history],
            "history": [h.to_dict() for h in history],
            "confusion": {str(k): v for k, v in sorted(confusion.items())},
            "chain_length": chain["length"],
            "tip_hash": chain["chain"][-1]["hash"],
            "chain_file": f"chain_{name}.json",
            "base_file": f"base_{name}.json",
            "validate": net.api.validate().valid,
        }
    finally:
        net.close()


def drift_run(workdir: Path, seed: int, d: float) -> dict:
    data = synthetic(seed)
    base = rows_cm(data["base"]["train"])
    labels = np.asarray(data["base"]["train_labels"])
    centroid = {name: base[labels == name].mean(axis=0) for name in NAMES}
    step = {name: centroid[NAMES[(i + 1) % 3]] - centroid[name] for i, name in enumerate(NAMES)}
    drifted = [
        (rows_text([np.clip(rows_cm([row])[0] + d * step[label], 0.01, 100)])[0], label)
        for row, label in data["contributions"]
    ]
    net = Network(workdir, f"drift-{seed}-{d}", data["base"])
    try:
        net.contribute(drifted, f"d{d}", 30)
        ev = net.api.model_evaluate()
        signal = net.api.call("GET", "/model/drift", query={"window": len(drifted)})
        return {
            "seed": seed,
            "drift": d,
            "accuracy": ev.accuracy,
            "data_points_trained": ev.data_points_trained,
            "drifted_features": signal["drifted_features"],
            "max_ks": max(f["ks_statistic"] for f in signal["features"].values()),
            "mean_shift_std": {k: f["mean_shift_std"] for k, f in signal["features"].items()},
        }
    finally:
        net.close()


def drift_figure(mean: list[dict]):
    """Fig. 5: accuracy, the largest KS statistic and the share of seeds flagged, per drift. The legend
    sits below the axes, outside them, so that it can cover no point whatever the numbers are."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax1 = plt.subplots(figsize=(6.4, 4.6), layout="constrained")
    xs = [row["drift"] for row in mean]
    ax1.plot(xs, [row["accuracy"] * 100 for row in mean], "o-", color="tab:blue", label="accuracy (mean over seeds)")
    ax1.set_xscale("symlog", linthresh=0.1)
    ax1.set(
        xlabel="drift d (contributions moved d x toward the next class)",
        ylabel="test accuracy (%)",
        title="Fig. 5: data drift, with the node's /model/drift signal",
        ylim=(0, 102),
    )
    ax2 = ax1.twinx()
    ax2.plot(xs, [row["max_ks"] for row in mean], "s--", color="tab:red", label="max KS statistic (/model/drift)")
    ax2.plot(xs, [row["drift_flagged_in"] / row["runs"] for row in mean], "^:", color="tab:orange",
             label="share of seeds the monitor flagged")
    ax2.set(ylabel="KS statistic; share flagged", ylim=(0, 1.05))
    lines = ax1.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    labels = ax1.get_legend_handles_labels()[1] + ax2.get_legend_handles_labels()[1]
    fig.legend(lines, labels, loc="outside lower center", ncols=2, fontsize=8)
    return fig


def plot(results: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4))
    for name, style in (("synthetic", "o-"), ("iris", "s--")):
        g = results["growth"][name]
        ax.plot(g["points"], [a * 100 for a in g["accuracy"]], style, label=f"{name} (read from /model/history)")
    ax.set(
        xlabel="training samples (30 in the base, then 10 per mined block)",
        ylabel="test accuracy (%) - axis starts at 80",
        title="Fig. 4: accuracy as data arrives through the chain",
        ylim=(80, 101),
    )
    ax.annotate(
        "axis break: 0-80% not shown",
        xy=(0, 0),
        xycoords="axes fraction",
        xytext=(4, 4),
        textcoords="offset points",
        fontsize=7,
        color="gray",
    )
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "fig4_model_growth.png", dpi=110)
    plt.close(fig)

    fig = drift_figure(results["drift"]["mean"])
    fig.savefig(out / "fig5_drift.png", dpi=110)
    plt.close(fig)

    conf = results["growth"]["synthetic"]["confusion"]
    fig, axes = plt.subplots(1, len(conf), figsize=(4 * len(conf), 3.6))
    for ax, (points, cm) in zip(np.atleast_1d(axes), conf.items(), strict=True):
        m = np.asarray(cm["matrix"])
        ax.imshow(m, cmap="Blues")
        for (i, j), v in np.ndenumerate(m):
            ax.text(j, i, str(v), ha="center", va="center", color="white" if v > m.max() / 2 else "black")
        ax.set(
            xticks=range(3),
            yticks=range(3),
            xticklabels=cm["labels"],
            yticklabels=cm["labels"],
            xlabel="predicted",
            ylabel="true",
            title=f"{points} training samples",
        )
        ax.tick_params(axis="x", labelrotation=30)
    fig.suptitle("Fig. 6: confusion matrices (synthetic, from /model/evaluate)")
    fig.tight_layout()
    fig.savefig(out / "fig6_confusion.png", dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m experiments.reproduce",
        description="Figures 4, 5 and 6 of the paper, made through the chain: experiment networks get every "
        "sample as FLOWER_DATA and the figures are read back from the node's API.",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="where to write figures, results.json and chains (default: "
        "docs/figures for a full run, a fresh scratch folder, printed, for "
        "--quick)",
    )
    parser.add_argument("--quick", action="store_true", help="fewer drift values and one seed (seconds, for tests)")
    parser.add_argument("--seed", type=int, default=7, help="first seed (default 7)")
    args = parser.parse_args(argv)
    args.out = output_dir(args.out, args.quick, "docs/figures")
    seeds = [args.seed] if args.quick else [args.seed, args.seed + 1, args.seed + 2]
    drifts = [0.0, 0.5, 2.0, 8.0] if args.quick else [0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0]
    args.out.mkdir(parents=True, exist_ok=True)
    results = {"parameters": {**PARAMS, "seeds": seeds, "drifts": drifts, "quick": args.quick}, "paper": PAPER}
    with tempfile.TemporaryDirectory(prefix="iris-experiments-") as tmp:
        work = Path(tmp)
        bar = Progress("Fig. 4: growth runs (blocks)", 2 * 9)
        results["growth"] = {
            "synthetic": growth_run(work, "synthetic", synthetic(seeds[0]), args.out, bar),
            "iris": growth_run(work, "iris", iris_growth_data(), args.out, bar),
        }
        bar = Progress("Fig. 5: drift runs (networks)", len(seeds) * len(drifts))
        runs = []
        for seed in seeds:
            for d in drifts:
                runs.append(drift_run(work, seed, d))
                bar.step()
    mean = []
    for d in drifts:
        rows = [r for r in runs if r["drift"] == d]
        mean.append(
            {
                "drift": d,
                "accuracy": round(float(np.mean([r["accuracy"] for r in rows])), 6),
                "max_ks": round(float(np.mean([r["max_ks"] for r in rows])), 6),
                "drift_flagged_in": sum(bool(r["drifted_features"]) for r in rows),
                "runs": len(rows),
            }
        )
    results["drift"] = {"runs": runs, "mean": mean}
    plot(results, args.out)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    g = results["growth"]
    print("Fig. 4 synthetic:", dict(zip(g["synthetic"]["points"], g["synthetic"]["accuracy"], strict=True)))
    print("Fig. 4 iris:     ", dict(zip(g["iris"]["points"], g["iris"]["accuracy"], strict=True)))
    print("Fig. 5:", [(m["drift"], m["accuracy"], m["max_ks"]) for m in mean])
    print(f"wrote {args.out}/fig4_model_growth.png, fig5_drift.png, fig6_confusion.png, results.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())

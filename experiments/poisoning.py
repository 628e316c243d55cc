"""``python -m experiments.poisoning --out DIR [--quick]``: does a deposit make poisoning cost the
poisoner? Real node processes (``python app.py``), driven over HTTP the way users drive them.

Every run starts a fresh staked network (one node, difficulty 2, ``--min-deposit 1
--refund-wait 5``, or ``--min-deposit 0`` for the run without deposits). The node's own miner is
the bank: it mines until it can fund every agent with the same starting balance, by transfers.
Then, for a fixed number of blocks, every agent sends one flower per block:

- honest contributors send flowers sampled around the Iris training rows (the row plus a little
  noise, rounded to hundredths) with their true label;
- the attacker sends flowers sampled the same way with the next class's label (label flipping);
- with deposits, each flower locks ``deposit`` coins, and every agent, attacker included, follows
  the same claiming rule each block: refund its own contributions that are due and that the model
  agrees with, and report due contributions of others that the model disagrees with (once it has a
  refunded contribution of its own). Without deposits nobody locks or claims anything.

After the last contribution the network runs ``refund_wait + 1`` more blocks of claims only, so
every deposit that can come back does. The accuracy curve is each block's ``MODEL_UPDATE``
(``test_correct / test_rows``, carried forward over blocks without one); balances are read from
``/balance``. Each run writes its chain, which ``python -m blockchain.verify`` accepts.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from bench.util import Progress, output_dir
from ml import iris_base
from ml.measurements import text

from .node import Node

PARAMS: dict[str, Any] = {
    "difficulty": 2,
    "min_deposit": 1,
    "refund_wait": 5,
    "deposit": 1,
    "start_balance": 20,
    "honest": 2,
    "attackers": 1,
    "blocks": 60,
    "noise_cm": 0.1,
    "seeds": [1, 2, 3],
    "flip": "the attacker labels a flower of class c as class c+1 (setosa -> versicolor -> virginica -> setosa)",
}
QUICK: dict[str, Any] = {"blocks": 12, "seeds": [1], "start_balance": 6}
FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")


class Agent:
    def __init__(self, name: str, honest: bool) -> None:
        self.name, self.honest = name, honest

    def flower(self, rng: np.random.Generator) -> tuple[dict, str]:
        """Four measurements (the protocol's strings) and the label this agent gives them."""
        base = iris_base()
        i = int(rng.integers(0, len(base.train)))
        noise = np.rint(rng.normal(0, PARAMS["noise_cm"] * 100, size=4)).astype(int)
        units = np.clip(base.train_units[i] + noise, 1, 10_000)
        label = base.train_labels[i]
        if not self.honest:
            classes = list(base.classes)
            label = classes[(classes.index(label) + 1) % len(classes)]
        return {f: text(int(u)) for f, u in zip(FEATURES, units, strict=True)}, label


def claims(node: Node, agents: list[Agent], next_block: int) -> dict:
    """Every agent's claims for the next block; returns how many were sent of each kind."""
    sent = {"refund": 0, "report": 0}
    book = {a.name: node.all_contributions(a.name) for a in agents}
    for agent in agents:
        mine = book[agent.name]
        for c in mine.contributions:
            if c.left > 0 and c.claimable_from_block <= next_block and c.model_agrees:
                sent["refund"] += node.try_claim("refund", agent.name, c.flower_id)
        if mine.good < 1:
            continue
        for other in agents:
            if other is agent:
                continue
            for c in book[other.name].contributions:
                if (
                    c.left > 0
                    and c.claimable_from_block <= next_block
                    and not c.model_agrees
                    and agent.name not in c.reported_by
                ):
                    sent["report"] += node.try_claim("report", agent.name, c.flower_id)
    return sent


def run(workdir: Path, out: Path, seed: int, attack: bool, deposits: bool, params: dict) -> dict:
    name = f"seed{seed}-{'attack' if attack else 'clean'}-{'deposits' if deposits else 'free'}"
    node = Node(workdir, name, params["min_deposit"] if deposits else 0, params)
    rng = np.random.default_rng(seed)
    agents = [Agent(f"honest-{i}", True) for i in range(params["honest"])]
    if attack:
        agents += [Agent(f"attacker-{i}", False) for i in range(params["attackers"])]
    deposit = params["deposit"] if deposits else 0
    try:
        bank = node.health().address
        need = params["start_balance"] * len(agents)
        while node.balance(bank).balance < need:
            node.mine()
        for agent in agents:
            node.add_transaction({"sender": bank, "recipient": agent.name, "amount": params["start_balance"]})
        node.mine()
        first = node.health().height + 1
        totals = {"flowers": 0, "refund": 0, "report": 0, "skipped_broke": 0}
        bar = Progress(name, params["blocks"] + params["refund_wait"] + 1)
        for block in range(params["blocks"] + params["refund_wait"] + 1):
            next_block = node.health().height + 1
            if block < params["blocks"]:
                for agent in agents:
                    if node.balance(agent.name).available < deposit:
                        totals["skipped_broke"] += 1
                        continue
                    measures, label = agent.flower(rng)
                    node.add_flower(agent.name, label, measures, deposit)
                    totals["flowers"] += 1
            if deposits:
                for kind, n in claims(node, agents, next_block).items():
                    totals[kind] += n
            node.mine()
            bar.step()
        history = list(node.iter_model_history())
        height = node.health().height
        by_block = {h.block_index: h.accuracy for h in history}
        curve, current = [], by_block[0]
        for index in range(first - 1, height + 1):
            current = by_block.get(index, current)
            curve.append(current)
        balances = {a.name: node.balance(a.name).balance for a in agents}
        chain = node.call("GET", "/chain")  # written as the node sent it
        chain_file = f"chain_{name}.json"
        (out / chain_file).write_text(json.dumps(chain))
        contributed = {a.name: node.contributions(a.name, limit=1).count for a in agents}
        return {
            "seed": seed,
            "attack": attack,
            "deposits": deposits,
            "first_block": first,
            "accuracy": curve,
            "final_accuracy": curve[-1],
            "balances": balances,
            "balance_pct": {k: round(100 * v / params["start_balance"], 1) for k, v in balances.items()},
            "contributions": contributed,
            "totals": totals,
            "chain_file": chain_file,
            "tip": chain["chain"][-1]["hash"],
            "validate": node.validate().valid,
        }
    finally:
        node.stop()


def summarize(runs: list[dict]) -> dict:
    def mean(xs):
        return round(float(np.mean(xs)), 4)

    out = {}
    for key, label in (
        ((False, True), "no attack"),
        ((True, False), "attack, no deposits"),
        ((True, True), "attack, deposits"),
    ):
        group = [r for r in runs if (r["attack"], r["deposits"]) == key]
        if not group:
            continue
        names = sorted(group[0]["balance_pct"])
        out[label] = {
            "final_accuracy": mean([r["final_accuracy"] for r in group]),
            "final_accuracy_per_seed": [r["final_accuracy"] for r in group],
            "balance_pct": {n: mean([r["balance_pct"][n] for r in group]) for n in names},
            "balance_pct_per_seed": {n: [r["balance_pct"][n] for r in group] for n in names},
            "attacker_flowers": mean(
                [sum(v for k, v in r["contributions"].items() if k.startswith("attacker")) for r in group]
            ),
        }
    return out


GROUPS = {(False, True): "no attack", (True, False): "attack, no deposits", (True, True): "attack, deposits"}
# (colour, line style, width, opacity): the first is drawn wide and pale underneath, the others thin and
# dashed over it, so that a curve equal to another one still shows (the legend says when they are equal).
STYLES = {
    "no attack": ("tab:green", "-", 4.0, 0.45),
    "attack, no deposits": ("tab:red", "--", 1.8, 1.0),
    "attack, deposits": ("tab:blue", "-.", 1.8, 1.0),
}


def accuracy_curves(runs: list[dict]) -> list[tuple[str, str, np.ndarray]]:
    """(group, legend label, mean accuracy in % per block) for each group of runs, in STYLES order. The label
    says over what it is taken ("seed 1" or "mean of 3 seeds") and names an earlier group whose curve
    is the same, since that curve is drawn over the other."""
    curves: list[tuple[str, str, np.ndarray]] = []
    for label in STYLES:
        group = [r for r in runs if GROUPS[(r["attack"], r["deposits"])] == label]
        if not group:
            continue
        n = min(len(r["accuracy"]) for r in group)
        curve = np.mean([r["accuracy"][:n] for r in group], axis=0) * 100
        over = f"seed {group[0]['seed']}" if len(group) == 1 else f"mean of {len(group)} seeds"
        same = next((other for other, _, c in curves if len(c) == len(curve) and np.allclose(c, curve)), None)
        curves.append((label, f"{label} ({over})" + (f", the same curve as {same}" if same else ""), curve))
    return curves


def accuracy_figure(runs: list[dict], params: dict):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for group, legend, curve in accuracy_curves(runs):
        color, style, width, alpha = STYLES[group]
        ax.plot(range(len(curve)), curve, style, color=color, lw=width, alpha=alpha, label=legend)
    ax.axvline(params["blocks"], color="gray", lw=0.8, ls=":")
    ax.text(params["blocks"], ax.get_ylim()[0], " contributions end", color="gray", fontsize=8, va="bottom")
    ax.set(
        xlabel="blocks since the agents were funded",
        ylabel="test accuracy (%)",
        title="Label-flipping attack: test accuracy as blocks arrive",
    )
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig


def plot(runs: list[dict], summary: dict, params: dict, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = accuracy_figure(runs, params)
    fig.savefig(out / "poisoning_accuracy.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    labels = [lbl for lbl in ("no attack", "attack, no deposits", "attack, deposits") if lbl in summary]
    names = sorted({n for lbl in labels for n in summary[lbl]["balance_pct"]})
    width = 0.8 / len(labels)
    for i, label in enumerate(labels):
        values = [summary[label]["balance_pct"].get(n, np.nan) for n in names]
        bars = ax.bar(np.arange(len(names)) + i * width, values, width, label=label, color=STYLES[label][0], alpha=0.8)
        ax.bar_label(bars, labels=["" if np.isnan(v) else f"{v:.0f}%" for v in values], fontsize=8)
    ax.axhline(100, color="gray", lw=0.8, ls=":")
    ax.set_xticks(np.arange(len(names)) + width * (len(labels) - 1) / 2, names)
    ax.set(ylabel="final balance, % of the start", title="Who pays for poisoning (mean over seeds)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "poisoning_balances.png", dpi=110)
    plt.close(fig)
    return ["poisoning_accuracy.png", "poisoning_balances.png"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m experiments.poisoning",
        description="Does a deposit make poisoning cost the poisoner? Honest contributors and a label-flipping "
        "attacker on real node processes, with and without deposits.",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="where figures and results go (default: docs/figures for a full "
        "run, a fresh scratch folder, printed, for --quick)",
    )
    parser.add_argument("--quick", action="store_true", help="one seed, 12 blocks (for tests)")
    parser.add_argument(
        "--strategies",
        action="store_true",
        help="instead: attacks on the claim rule (flipper, planter, duplicator, front-runner, sybil, "
        "long-con), old rule (protocol 2) against new (3); see experiments/strategies.py",
    )
    args = parser.parse_args(argv)
    args.out = output_dir(args.out, args.quick, "docs/figures")
    if args.strategies:
        from .strategies import main_strategies

        args.out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="iris-strategies-") as tmp:
            return main_strategies(args.out, args.quick, Path(tmp))
    params = {**PARAMS, **(QUICK if args.quick else {})}
    args.out.mkdir(parents=True, exist_ok=True)
    runs = []
    with tempfile.TemporaryDirectory(prefix="iris-poisoning-") as tmp:
        for seed in params["seeds"]:
            for attack, deposits in ((False, True), (True, False), (True, True)):
                runs.append(run(Path(tmp), args.out, seed, attack, deposits, params))
    summary = summarize(runs)
    figures = plot(runs, summary, params, args.out)
    results = {"parameters": params, "summary": summary, "runs": runs, "figures": figures}
    (args.out / "poisoning_results.json").write_text(json.dumps(results, indent=1) + "\n")
    for label, s in summary.items():
        print(f"{label:>22}: final accuracy {s['final_accuracy']:.3f}  balances % of start {s['balance_pct']}")
    print(f"wrote {', '.join(figures)}, poisoning_results.json and the runs' chains to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

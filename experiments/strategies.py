"""``python -m experiments.poisoning --strategies``: attacks on the claim rule itself, old rule
(protocol 2) against the draft new one (protocol 3), through real node processes and several seeds.

Each run is a fresh staked network (one node, difficulty 2, ``--min-deposit 1 --refund-wait 5``,
``--protocol 2`` or ``3``). The bank funds two honest contributors and the attacker's addresses
with ``start_balance`` coins each. For ``blocks`` blocks each honest agent sends one flower per
block (an Iris training row plus noise, its true label, deposit 1), the attacker acts by its
strategy, and then ``refund_wait + 1`` blocks of claims only follow. Every agent, attacker
included, claims what the network allows each block: refunds of its own due flowers whose
``refund_allowed`` is true, reports (once it has a good record) of others' whose
``report_allowed`` is true; those two fields come from the node's ``/contributions`` and follow the
network's rule. Strategies (each flower deposits 1):

- ``none``: no attacker (the reference for accuracy);
- ``flipper``: one flower per block sampled like an honest one, labelled with the next class;
- ``planter``: copies (``copies`` of them) of an honest flower of the previous block, next label;
- ``duplicator``: ``copies`` copies of a random base training row, next label;
- ``front-runner``: ``copies`` copies, next label, of an honest flower still pending, so they land
  in the same block as the victim (honest agents send first, then the attacker reads the pool);
- ``sybil``: ``copies`` addresses each buy one good record (a true copy of a base row) in the
  first block, then report whatever the rule allows, and send one flipped flower per block from
  a rotating address;
- ``long-con``: honest for the first half (a long good record), then one flipped flower per block.

The attacker's balance is the sum over its addresses, as a % of what they started with.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from bench.util import Progress
from ml import iris_base
from ml.measurements import text

from .node import Node  # one node process and session, shared with the label-flipping experiment

PARAMS: dict[str, Any] = {"difficulty": 2, "min_deposit": 1, "refund_wait": 5, "start_balance": 20, "blocks": 30,
                          "honest": 2, "copies": 3, "noise_cm": 0.1, "seeds": [1, 2, 3], "protocols": [2, 3]}
QUICK: dict[str, Any] = {"blocks": 10, "seeds": [1], "start_balance": 6}
STRATEGIES = ("none", "flipper", "planter", "duplicator", "front-runner", "sybil", "long-con")
FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")


def _next(label: str) -> str:
    classes = list(iris_base().classes)
    return classes[(classes.index(label) + 1) % len(classes)]


def sample(rng: np.random.Generator, noise_cm: float) -> tuple[dict, str]:
    base = iris_base()
    i = int(rng.integers(0, len(base.train)))
    noise = np.rint(rng.normal(0, noise_cm * 100, size=4)).astype(int)
    units = np.clip(base.train_units[i] + noise, 1, 10_000)
    return {f: text(int(u)) for f, u in zip(FEATURES, units, strict=True)}, base.train_labels[i]


def base_row(rng: np.random.Generator) -> tuple[dict, str]:
    base = iris_base()
    i = int(rng.integers(0, len(base.train)))
    return dict(zip(FEATURES, base.train[i], strict=True)), base.train_labels[i]


def claims(node: Node, names: list[str], next_block: int) -> dict:
    sent = {"refund": 0, "report": 0}
    book = {n: node.all_contributions(n) for n in names}
    for name in names:
        for c in book[name].contributions:
            if c.refund_allowed:
                sent["refund"] += node.try_claim("refund", name, c.flower_id)
        if book[name].good < 1:
            continue
        for other in names:
            if other == name:
                continue
            for c in book[other].contributions:
                if c.report_allowed and name not in c.reported_by:
                    sent["report"] += node.try_claim("report", name, c.flower_id)
    return sent


def run(workdir: Path, out: Path, seed: int, protocol: int, strategy: str, params: dict) -> dict:
    name = f"v{protocol}-{strategy}-seed{seed}"
    node = Node(workdir, name, params["min_deposit"], params, protocol)
    rng = np.random.default_rng(seed)
    honest = [f"honest-{i}" for i in range(params["honest"])]
    attackers = [] if strategy == "none" else (
        [f"sybil-{i}" for i in range(params["copies"])] if strategy == "sybil" else ["attacker-0"])
    everyone = honest + attackers
    deposit, copies = params["min_deposit"], params["copies"]
    try:
        bank = node.health().address
        while node.balance(bank).balance < params["start_balance"] * len(everyone):
            node.mine()
        for who in everyone:
            node.add_transaction({"sender": bank, "recipient": who, "amount": params["start_balance"]})
        node.mine()
        first = node.health().height + 1
        last_honest: list[tuple[dict, str]] = []
        sent = {"flowers": 0, "attack_flowers": 0, "refund": 0, "report": 0}
        bar = Progress(name, params["blocks"] + params["refund_wait"] + 1)

        def add(sender: str, features: dict, label: str) -> bool:
            if node.balance(sender).available < deposit:
                return False
            node.add_flower(sender, label, features, deposit)
            sent["flowers"] += 1
            sent["attack_flowers"] += sender in attackers
            return True

        for block in range(params["blocks"] + params["refund_wait"] + 1):
            next_block = node.health().height + 1
            if block < params["blocks"]:
                this_block = []
                for who in honest:
                    features, label = sample(rng, params["noise_cm"])
                    if add(who, features, label):
                        this_block.append((features, label))
                a = attackers[0] if attackers else ""  # every strategy but "honest" has one
                if strategy == "flipper" or (strategy == "long-con" and block >= params["blocks"] // 2):
                    features, label = sample(rng, params["noise_cm"])
                    add(a, features, _next(label))
                elif strategy == "long-con":
                    add(a, *sample(rng, params["noise_cm"]))
                elif strategy in ("planter", "front-runner"):
                    victims = this_block if strategy == "front-runner" else last_honest
                    if victims:
                        features, label = victims[int(rng.integers(0, len(victims)))]
                        for _ in range(copies):
                            add(a, features, _next(label))
                elif strategy == "duplicator":
                    features, label = base_row(rng)
                    for _ in range(copies):
                        add(a, features, _next(label))
                elif strategy == "sybil":
                    if block == 0:
                        for s in attackers:
                            add(s, *base_row(rng))
                    else:
                        features, label = sample(rng, params["noise_cm"])
                        add(attackers[block % len(attackers)], features, _next(label))
                last_honest = this_block
            for kind, n in claims(node, everyone, next_block).items():
                sent[kind] += n
            node.mine()
            bar.step()
        history = list(node.iter_model_history())
        final = history[-1].accuracy
        balances = {n: node.balance(n).balance for n in everyone}
        start = params["start_balance"]
        result = {"seed": seed, "protocol": protocol, "strategy": strategy, "first_block": first,
                  "final_accuracy": final, "balances": balances,
                  "honest_pct": {n: round(100 * balances[n] / start, 1) for n in honest},
                  "attacker_pct": (round(100 * sum(balances[n] for n in attackers) / (start * len(attackers)), 1)
                                   if attackers else None),
                  "totals": sent, "valid": node.validate().valid}
        return result
    finally:
        node.stop()


def summarize(runs: list[dict], params: dict) -> dict:
    table = {}
    for protocol in params["protocols"]:
        reference = {
            r["seed"]: r["final_accuracy"] for r in runs if r["protocol"] == protocol and r["strategy"] == "none"
        }
        for strategy in STRATEGIES:
            group = [r for r in runs if r["protocol"] == protocol and r["strategy"] == strategy]
            if not group:
                continue
            attacker = [r["attacker_pct"] for r in group if r["attacker_pct"] is not None]
            honest = [v for r in group for v in r["honest_pct"].values()]
            drop = [100 * (reference[r["seed"]] - r["final_accuracy"]) for r in group]
            table[f"v{protocol} {strategy}"] = {
                "protocol": protocol, "strategy": strategy,
                "attacker_pct_mean": round(float(np.mean(attacker)), 1) if attacker else None,
                "attacker_pct_worst": max(attacker) if attacker else None,
                "honest_pct_mean": round(float(np.mean(honest)), 1), "honest_pct_worst": min(honest),
                "accuracy_mean": round(float(np.mean([r["final_accuracy"] for r in group])), 4),
                "accuracy_drop_points_worst": round(max(drop), 1),
                "targets_met": {"attacker_below_10pct": (max(attacker) < 10) if attacker else None,
                                "honest_at_least_100pct": min(honest) >= 100,
                                "accuracy_within_2_points": max(drop) <= 2.0},
            }
    return table


def plot(table: dict, params: dict, out: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    x = np.arange(len(STRATEGIES))
    width = 0.38
    for i, protocol in enumerate(params["protocols"]):
        rows = [table.get(f"v{protocol} {s}") for s in STRATEGIES]
        attacker = [r["attacker_pct_mean"] if r and r["attacker_pct_mean"] is not None else np.nan for r in rows]
        honest = [r["honest_pct_worst"] if r else np.nan for r in rows]
        label = "old rule (v2)" if protocol == 2 else "new rule (v3)"
        axes[0].bar(x + i * width, attacker, width, label=label, color="tab:red" if protocol == 2 else "tab:blue")
        axes[1].bar(x + i * width, honest, width, label=label, color="tab:red" if protocol == 2 else "tab:blue")
    axes[0].axhline(10, color="gray", ls=":", lw=0.8)
    axes[1].axhline(100, color="gray", ls=":", lw=0.8)
    for ax, title in ((axes[0], "attacker's final balance, % of start (mean of seeds)"),
                      (axes[1], "worst honest contributor, % of start")):
        ax.set_xticks(x + width / 2, STRATEGIES, rotation=30, fontsize=8)
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "claim_attacks.png", dpi=110)
    plt.close(fig)
    return "claim_attacks.png"


def main_strategies(out: Path, quick: bool, workdir: Path) -> int:
    params = {**PARAMS, **(QUICK if quick else {})}
    runs = [run(workdir, out, seed, protocol, strategy, params)
            for protocol in params["protocols"] for strategy in STRATEGIES for seed in params["seeds"]]
    table = summarize(runs, params)
    figure = plot(table, params, out)
    (out / "claim_attacks_results.json").write_text(json.dumps(
        {"parameters": params, "summary": table, "runs": runs, "figure": figure}, indent=1) + "\n")
    print(f"{'run':<18} {'attacker % (mean, worst)':>26} {'honest % (mean, worst)':>24} {'accuracy':>9} {'drop':>6}")
    for key, row in table.items():
        a = (
            "-"
            if row["attacker_pct_mean"] is None
            else f"{row['attacker_pct_mean']:.0f}, {row['attacker_pct_worst']:.0f}"
        )
        print(f"{key:<18} {a:>26} {row['honest_pct_mean']:>16.0f}, {row['honest_pct_worst']:>5.0f} "
              f"{100 * row['accuracy_mean']:>8.1f}% {row['accuracy_drop_points_worst']:>6.1f}")
    print(f"wrote {figure} and claim_attacks_results.json to {out}")
    return 0

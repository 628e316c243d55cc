"""``python -m experiments.market [--seeds N] [--quick] [--out DIR]``: the training-job market
(protocol 3, docs/jobs.md) with honest and dishonest agents, through a real node process.

Each seed starts a fresh protocol-3 node (``python app.py --protocol 3``, difficulty 1, mining on
``POST /mine``). Its own miner is the bank: it mines until it can give every agent the same start
balance, by transfers. Scikit-learn's digits are split by the seed into a training file (put in the
node's artifact store, ``PUT /artifacts``), a requester's hidden test set and a held-out set that no
agent ever sees; the network's own flowers (``{"flowers_to": 0}``: its 120 base training rows) train
the flower jobs, and the network's 30 public test rows are split into a hidden test set and a
held-out set (no agent reads them). On each of the two data sets, five jobs run side by side:

- ``linear``, ``tree``, ``knn``: the honest requester's; the honest worker of that kind, a lazy
  worker (a random model), a copycat (it copies the honest worker's commitment, the only thing it
  can see, and replays the honest worker's reveal from the pending pool: the node refuses the
  replay, because a model commitment binds its worker's address, so the copy is never revealed and
  its stake is burnt) and a silent worker (it commits and never reveals);
- ``withheld``: a linear job whose requester never reveals its test set; the honest linear worker
  and the lazy one are committed;
- ``self-dealt``: the self-dealing requester's job (``knn`` on flowers, ``tree`` on digits); its
  second address, the sybil, commits first a model fitted to the hidden test set, against the
  honest worker of that kind.

Every step goes through the node's API, signed by the agent's key (``client.Node``). Balances are
read from ``/balance``, settlements from ``/jobs/<id>``, and the winner's accuracy on the held-out
rows from ``POST /jobs/<id>/predict``. Writes ``market_results.json``, ``market_table.md``,
``market_balances.png`` and ``market_accuracy.png``.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from bench.util import NodeProcess, Progress, output_dir
from client import ApiError, Sealed, TestSet
from client import Node as ClientNode
from ml import datasets, iris_base, kinds
from ml.measurements import units
from worker.data import training_data

from .agents_market import ROLES, Agent, honest_model, lazy_model, self_dealt_model

PARAMS: dict[str, Any] = {
    "difficulty": 1,
    "seeds": [1, 2, 3],
    "bounty": 5,
    "stake": 2,
    "start_balance": 30,
    "commit_blocks": 3,
    "test_blocks": 2,
    "model_blocks": 2,
    "most_blocks": 60,
    "max_commits": 5,
    "flowers_test_rows": 15,   # of the network's 30 public test rows; the other 15 are held out
    "digits_test_rows": 200,
    "digits_held_out": 297,    # the rest of the 1,797 (1,300) is the training file
    "datasets": ["flowers", "digits"],
}
QUICK: dict[str, Any] = {"seeds": [1]}
HONEST = ("linear", "tree", "knn")


def jobs_of(dataset: str) -> list[dict[str, Any]]:
    """The five jobs run on one data set: name, kind, requester role, worker roles in commit order."""
    out = [{"name": k, "kind": k, "requester": "requester", "workers": [k, "lazy", "silent", "copycat"]}
           for k in HONEST]
    out.append({"name": "withheld", "kind": "linear", "requester": "stingy", "workers": ["linear", "lazy"]})
    dealt = "knn" if dataset == "flowers" else "tree"
    out.append({"name": "self-dealt", "kind": dealt, "requester": "self-dealer", "workers": ["sybil", dealt]})
    return out


class Market:
    """One seed's network: the node process, the agents and the data."""

    def __init__(self, workdir: Path, seed: int, params: dict[str, Any]) -> None:
        self.seed, self.params = seed, params
        self.rng = np.random.default_rng(seed)
        self.proc = NodeProcess(workdir, f"market-seed{seed}", difficulty=params["difficulty"],
                                extra_args=("--protocol", "3", "--min-difficulty", "1", "--target-block-ms", "1",
                                            "--durability", "os", "--miners", "1")).start()
        self.node = ClientNode(self.proc.url, timeout=120)
        self.agents = {role: Agent(role) for role in ROLES}
        self.role_of = {a.address: r for r, a in self.agents.items()}
        self.events: list[dict[str, Any]] = []

    def stop(self) -> None:
        self.node.session.close()
        self.proc.stop()

    def height(self) -> int:
        return self.node.health().height

    def mine_to(self, height: int) -> None:
        while self.height() < height:
            self.node.mine()

    def fund(self) -> None:
        bank = self.node.health().address
        need = self.params["start_balance"] * len(self.agents)
        while self.node.balance(bank).balance < need:
            self.node.mine()
        for agent in self.agents.values():
            self.node.add_transaction({"sender": bank, "recipient": agent.address,
                                       "amount": self.params["start_balance"]})
        self.node.mine()

    def attempt(self, job: str, role: str, what: str, call) -> bool:
        """A step an agent tries; refusals are recorded with the node's code and message."""
        try:
            call()
        except ApiError as exc:
            self.events.append({"job": job, "role": role, "step": what, "accepted": False, "status": exc.status,
                                "code": exc.code, "message": exc.message})
            return False
        self.events.append({"job": job, "role": role, "step": what, "accepted": True})
        return True

    # -- data --------------------------------------------------------------------------------
    def data(self, dataset: str) -> dict[str, Any]:
        """The training reference (``train``), features, classes, hidden test rows and held-out rows."""
        p = self.params
        if dataset == "flowers":
            base = iris_base()
            classes = list(base.classes)
            rows = [[units(v) for v in r] for r in base.test]
            labels = [classes.index(c) for c in base.test_labels]
            order = self.rng.permutation(len(rows))
            t, h = order[:p["flowers_test_rows"]], order[p["flowers_test_rows"]:]
            return {"train": {"flowers_to": 0}, "features": None, "classes": None, "n_classes": len(classes),
                    "test": ([rows[i] for i in t], [labels[i] for i in t]),
                    "held_out": ([rows[i] for i in h], [labels[i] for i in h])}
        digits = datasets.digits()
        order = self.rng.permutation(len(digits.rows))
        n_t, n_h = p["digits_test_rows"], p["digits_held_out"]
        t, h, tr = order[:n_t], order[n_t:n_t + n_h], np.sort(order[n_t + n_h:])
        training = datasets.from_arrays("digits-train", digits.features, digits.classes, digits.units,
                                        [digits.rows[i] for i in tr], [digits.labels[i] for i in tr])
        r = self.node.session.put(self.proc.url + "/artifacts", data=datasets.dump(training), timeout=60,
                                  headers={"Content-Type": "application/octet-stream"}, allow_redirects=False)
        if r.status_code not in (200, 201) or r.json()["sha256"] != training.sha256:
            raise RuntimeError(f"PUT /artifacts answered {r.status_code}: {r.text[:200]}")
        return {"train": {"artifact": training.sha256}, "features": list(digits.features),
                "classes": list(digits.classes), "n_classes": len(digits.classes),
                "test": ([list(digits.rows[i]) for i in t], [digits.labels[i] for i in t]),
                "held_out": ([list(digits.rows[i]) for i in h], [digits.labels[i] for i in h])}

    # -- one seed ----------------------------------------------------------------------------
    def run(self, bar: Progress) -> dict[str, Any]:
        """Post every job, then each block let every agent act on each job as its state allows
        (``GET /jobs/<id>``), and mine, until every job is settled."""
        p = self.params
        self.fund()
        bar.step()
        data = {d: self.data(d) for d in p["datasets"]}
        jobs: list[dict[str, Any]] = []
        for dataset in p["datasets"]:
            d = data[dataset]
            for spec in jobs_of(dataset):
                test = TestSet.make(*d["test"])
                posted = self.node.create_job(
                    self.agents[spec["requester"]].key, p["bounty"], spec["kind"], d["train"], test,
                    stake=p["stake"], max_commits=p["max_commits"], commit_blocks=p["commit_blocks"],
                    test_blocks=p["test_blocks"], model_blocks=p["model_blocks"], features=d["features"],
                    classes=d["classes"])
                jobs.append({**spec, "dataset": dataset, "id": posted.job_id, "test_set": test, "sealed": {},
                             "done": set()})
        self.node.mine()
        self.cache: dict[Any, Any] = {}
        for _ in range(p["most_blocks"]):
            views = {}
            for job in jobs:
                try:
                    views[job["id"]] = self.node.job(job["id"])
                except ApiError as exc:
                    if exc.code != "unknown_job":      # still pending: a job once it is in a block
                        raise
            if len(views) == len(jobs) and all(v.state == "settled" for v in views.values()):
                break
            for job in jobs:
                if job["id"] in views:
                    self.act(job, views[job["id"]], data[job["dataset"]])
            self.node.mine()
            bar.step()
        else:
            raise RuntimeError(f"the jobs were not all settled within {p['most_blocks']} blocks")
        return self.results(jobs, data)

    def model_for(self, job: dict[str, Any], role: str, view: Any, d: dict[str, Any]) -> dict[str, Any]:
        key = (job["dataset"], "data")
        if key not in self.cache:
            self.cache[key] = training_data(self.node, view)       # the node's public API only
        rows, labels = self.cache[key]
        if role == "sybil":
            test_rows, test_labels = d["test"]
            return self_dealt_model(job["kind"], rows, labels, test_rows, test_labels, d["n_classes"], self.seed)
        if role == "lazy":
            return lazy_model(job["kind"], rows, d["n_classes"], self.rng)
        trained = (job["dataset"], job["kind"])   # honest, or silent (an honest model it never reveals)
        if trained not in self.cache:
            self.cache[trained] = honest_model(job["kind"], rows, labels, d["n_classes"], self.seed)
        return dict(self.cache[trained])

    def act(self, job: dict[str, Any], view: Any, d: dict[str, Any]) -> None:
        """What each agent of ``job`` does in the next block, given the job's state."""
        done, name = job["done"], job["name"]
        if view.state == "commit" and "commit" not in done:
            done.add("commit")       # everyone but the copycat seals a model and commits, the sybil first
            for role in job["workers"]:
                if role == "copycat":
                    continue
                sealed = Sealed.make(self.model_for(job, role, view, d), self.agents[role].address)
                job["sealed"][role] = sealed
                self.attempt(name, role, "commit", lambda r=role, s=sealed: self.node.commit_job(
                    self.agents[r].key, job["id"], s.commitment))
        elif view.state == "commit" and "copycat" in job["workers"] and "copy" not in done:
            rival = self.agents[job["kind"]].address     # all it can see of the rival: a hash
            seen = next((c.model_commitment for c in view.commitments if c.worker == rival), None)
            if seen is not None:
                done.add("copy")
                self.attempt(name, "copycat", "commit a copy of the rival's commitment",
                             lambda: self.node.commit_job(self.agents["copycat"].key, job["id"], seen))
        elif view.state == "test" and "test" not in done:
            done.add("test")
            if job["requester"] != "stingy":
                self.attempt(name, job["requester"], "reveal the test set",
                             lambda: self.node.reveal_test(self.agents[job["requester"]].key, job["id"],
                                                           job["test_set"]))
        elif view.state == "model" and "model" not in done:
            done.add("model")
            for role in job["workers"]:
                if role in ("silent", "copycat") or role not in job["sealed"]:
                    continue
                self.attempt(name, role, "reveal its model", lambda r=role: self.node.reveal_model(
                    self.agents[r].key, job["id"], job["sealed"][r]))
            if "copycat" in job["workers"]:
                self.replay(job)

    def replay(self, job: dict[str, Any]) -> None:
        """The copycat takes the rival's reveal from the pending pool and sends it as its own."""
        rival = self.agents[job["kind"]].address
        pool = self.node.call("GET", "/transactions/pending", query={"limit": 1000})["transactions"]
        reveal = next((t for t in pool if t["type"] == "JOB_MODEL" and t["sender"] == rival
                       and job["id"] in json.dumps(t)), None)
        if reveal is None:
            self.events.append({"job": job["name"], "role": "copycat", "step": "replay the rival's reveal",
                                "accepted": False, "code": "not_found", "message": "no reveal in the pool"})
            return
        copied = Sealed(reveal["data"]["model"], reveal["data"]["salt"], self.agents["copycat"].address)
        self.attempt(job["name"], "copycat", "replay the rival's reveal",
                     lambda: self.node.reveal_model(self.agents["copycat"].key, job["id"], copied))

    def results(self, jobs: list[dict[str, Any]], data: dict[str, Any]) -> dict[str, Any]:
        out_jobs = []
        for job in jobs:
            view = self.node.job(job["id"])
            s = view.settlement or {}
            held_rows, held_labels = data[job["dataset"]]["held_out"]
            test_rows, test_labels = data[job["dataset"]]["test"]
            held = {self.role_of[w]: kinds.score(m, held_rows, held_labels) / len(held_rows)
                    for w, m in view.models.items()}
            winner = s.get("winner")
            winner_held = None
            if winner is not None:
                predicted: list[int] = []
                for i in range(0, len(held_rows), 256):
                    predicted += self.node.job_predict(job["id"], held_rows[i:i + 256]).predictions
                winner_held = float(np.mean(np.asarray(predicted) == np.asarray(held_labels)))
            in_test = None
            if winner is not None and view.models[winner]["kind"] == "knn":
                tests = {tuple(r) for r in test_rows}
                in_test = sum(tuple(r) in tests for r in view.models[winner]["rows"])
            out_jobs.append({
                "windows": view.windows.to_dict(),
                "dataset": job["dataset"], "job": job["name"], "kind": job["kind"], "id": job["id"],
                "requester": job["requester"], "workers": job["workers"], "state": view.state,
                "outcome": s.get("outcome"), "winner": None if winner is None else self.role_of[winner],
                "test_rows": len(test_rows), "held_out_rows": len(held_rows),
                "scores": {self.role_of[w]: n for w, n in s.get("scores", [])},
                "payouts": {self.role_of[w]: n for w, n in s.get("payouts", [])},
                "committed": [self.role_of[c.worker] for c in view.commitments],
                "revealed": [self.role_of[c.worker] for c in view.commitments if c.revealed],
                "held_out_accuracy": held, "winner_held_out_accuracy": winner_held,
                "winner_rows_in_test_set": in_test,
            })
        balances = {r: self.node.balance(a.address).balance for r, a in self.agents.items()}
        return {"seed": self.seed, "jobs": out_jobs, "balances": balances,
                "events": self.events, "valid": self.node.validate().valid, "height": self.height()}


def summarize(runs: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    start = params["start_balance"]
    roles = list(ROLES)
    change = {r: [run["balances"][r] - start for run in runs] for r in roles}
    summary: dict[str, Any] = {
        "balance_change": {r: round(float(np.mean(v)), 2) for r, v in change.items()},
        "balance_change_per_seed": change,
        "self_dealer_and_sybil": [run["balances"]["self-dealer"] + run["balances"]["sybil"] - 2 * start
                                  for run in runs],
        "jobs": {},
    }
    for dataset in params["datasets"]:
        for spec in jobs_of(dataset):
            group = [j for run in runs for j in run["jobs"] if j["dataset"] == dataset and j["job"] == spec["name"]]
            held = [j["winner_held_out_accuracy"] for j in group if j["winner_held_out_accuracy"] is not None]
            summary["jobs"][f"{dataset}/{spec['name']}"] = {
                "kind": spec["kind"], "requester": spec["requester"],
                "outcomes": [j["outcome"] for j in group], "winners": [j["winner"] for j in group],
                "winner_test_accuracy": [None if j["winner"] is None else j["scores"][j["winner"]] / j["test_rows"]
                                         for j in group],
                "winner_held_out_accuracy": held,
                "mean_winner_held_out_accuracy": round(float(np.mean(held)), 4) if held else None,
            }
    refused = [e for run in runs for e in run["events"] if not e["accepted"]]
    summary["refused_steps"] = sorted({(e["role"], e["step"], e.get("code", "")) for e in refused})
    replays = [e for run in runs for e in run["events"] if e["role"] == "copycat" and e["step"].startswith("replay")]
    summary["copycat_replays_accepted"] = sum(e["accepted"] for e in replays)
    summary["copycat_replays_refused"] = sum(not e["accepted"] for e in replays)
    return summary


def table(runs: list[dict[str, Any]], summary: dict[str, Any], params: dict[str, Any]) -> str:
    n = len(runs)
    lines = [f"Start balance {params['start_balance']} coins each; bounty {params['bounty']}, stake "
             f"{params['stake']}; {n} seed{'s' if n != 1 else ''} ({', '.join(str(r['seed']) for r in runs)}).", "",
             "| agent | what it does | balance change (mean) | per seed |", "|---|---|---:|---|"]
    for role, what in ROLES.items():
        per = summary["balance_change_per_seed"][role]
        lines.append(f"| {role} | {what} | {summary['balance_change'][role]:+.1f} | "
                     f"{', '.join(f'{v:+d}' for v in per)} |")
    lines += ["", "| data / job | kind | requester | winner (per seed) | winner's test score | "
              "winner's held-out accuracy |", "|---|---|---|---|---|---|"]
    for name, j in summary["jobs"].items():
        winners = ", ".join(w or "none" for w in j["winners"])
        test = ", ".join("-" if a is None else f"{100 * a:.0f}%" for a in j["winner_test_accuracy"])
        held = ", ".join(f"{100 * a:.0f}%" for a in j["winner_held_out_accuracy"]) or "- (no winner)"
        lines.append(f"| {name} | {j['kind']} | {j['requester']} | {winners} | {test} | {held} |")
    return "\n".join(lines) + "\n"


def plot(runs: list[dict[str, Any]], summary: dict[str, Any], params: dict[str, Any], out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    roles = list(ROLES)
    fig, ax = plt.subplots(figsize=(8.5, 4.5))
    values = [summary["balance_change"][r] for r in roles]
    colors = ["tab:red" if v < 0 else "tab:green" if v > 0 else "tab:gray" for v in values]
    bars = ax.bar(range(len(roles)), values, color=colors, alpha=0.8)
    ax.bar_label(bars, labels=[f"{v:+.1f}" for v in values], fontsize=8)
    for i, r in enumerate(roles):
        ax.plot([i] * len(runs), summary["balance_change_per_seed"][r], "k.", ms=4)
    ax.axhline(0, color="gray", lw=0.8)
    ax.set_xticks(range(len(roles)), roles, rotation=30, ha="right")
    over = f"seed {runs[0]['seed']}" if len(runs) == 1 else f"mean of {len(runs)} seeds, dots: each seed"
    ax.set(ylabel="coins won or lost", title=f"Who ends with what: balance change in the job market ({over})")
    fig.tight_layout()
    fig.savefig(out / "market_balances.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8.5, 4.5))
    names = [k for k, j in summary["jobs"].items() if j["winner_held_out_accuracy"]]
    test = [100 * float(np.mean([a for a in summary["jobs"][k]["winner_test_accuracy"] if a is not None]))
            for k in names]
    held = [100 * float(np.mean(summary["jobs"][k]["winner_held_out_accuracy"])) for k in names]
    x = np.arange(len(names))
    b1 = ax.bar(x - 0.2, test, 0.4, label="winner's score on the requester's test set", color="tab:blue")
    b2 = ax.bar(x + 0.2, held, 0.4, label="winner's accuracy on held-out rows no agent saw", color="tab:orange")
    ax.bar_label(b1, labels=[f"{v:.0f}" for v in test], fontsize=7)
    ax.bar_label(b2, labels=[f"{v:.0f}" for v in held], fontsize=7)
    ax.set_xticks(x, names, rotation=30, ha="right")
    ax.set(ylabel="%", ylim=(0, 110), title="The winning model: test score against held-out accuracy")
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(out / "market_accuracy.png", dpi=110)
    plt.close(fig)
    return ["market_balances.png", "market_accuracy.png"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m experiments.market",
        description="The training-job market on a real protocol-3 node: honest, lazy, copycat and silent workers, "
        "a requester that withholds its test set and one that competes in its own job.")
    parser.add_argument("--seeds", type=int, help="how many seeds (1, 2, ...; default 3, or 1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="one seed (for tests)")
    parser.add_argument("--out", type=Path, help="where results and figures go (default: docs/figures for a full "
                        "run, a fresh scratch folder, printed, for --quick)")
    args = parser.parse_args(argv)
    params = {**PARAMS, **(QUICK if args.quick else {})}
    if args.seeds is not None:
        if args.seeds < 1:
            parser.error("--seeds must be at least 1")
        params["seeds"] = list(range(1, args.seeds + 1))
    out = output_dir(args.out, args.quick, "docs/figures")
    out.mkdir(parents=True, exist_ok=True)
    runs = []
    with tempfile.TemporaryDirectory(prefix="iris-market-") as tmp:
        for seed in params["seeds"]:
            market = Market(Path(tmp), seed, params)
            try:
                runs.append(market.run(Progress(f"seed {seed}", 20)))
            finally:
                market.stop()
    summary = summarize(runs, params)
    figures = plot(runs, summary, params, out)
    md = table(runs, summary, params)
    (out / "market_table.md").write_text(md)
    results = {"parameters": params, "roles": ROLES, "summary": summary, "runs": runs, "figures": figures}
    (out / "market_results.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    print(md)
    print(f"wrote {', '.join(figures)}, market_table.md and market_results.json to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

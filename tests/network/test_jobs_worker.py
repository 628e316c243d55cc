"""Training jobs end to end through the commands a user runs: a requester with the wallet
(``python -m client job ...``) and two ``python -m worker`` processes on one protocol-3 node. Each
worker trains, commits in the commit window and reveals in the model window on its own; the model
with the better score on the hidden test set wins, and Ctrl-C stops each worker cleanly. A second
test drives a worker's side with the wallet alone (``job commit``, ``job reveal-model``). A worker
whose coins do not cover a job's stake says so and sends no commitment."""
import json
import signal
import subprocess
import sys
import time

import pytest

from blockchain import crypto
from ml import kinds
from ml.base import iris_base
from tests.helpers.nodes import ROOT

pytestmark = pytest.mark.network
V3 = ("--protocol", "3", "--difficulty", "1", "--min-difficulty", "1")


def wallet(url, *args):
    done = subprocess.run([sys.executable, "-m", "client", "--node", url, "job", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def poll(what, check, deadline=90.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"no {what} within {deadline}s")


class Chain:
    def __init__(self, node):
        self.node, self.api = node, node.api
        self.bank = self.api.health().address

    def mine_to(self, height):
        while self.api.health().height < height:
            self.api.mine()

    def fund(self, amounts):
        while self.api.balance(self.bank).balance < sum(amounts.values()):
            self.api.mine()
        for who, amount in amounts.items():
            assert self.node.post("/transactions/new", json={"sender": self.bank, "recipient": who,
                                                             "amount": amount}).status_code == 201
        self.api.mine()

    def pending(self, kind):
        return [t for t in self.api.pending().transactions if t.type == kind]


def keyfile(path):
    key = crypto.create_key_file(path)
    return crypto.address_of(crypto.public_key_hex(key))


def write_test_file(tmp_path):
    base = iris_base()
    path = tmp_path / "test.json"
    path.write_text(json.dumps({"rows": [[int(v.replace(".", "")) for v in r] for r in base.test],
                                "labels": list(base.test_labels)}))
    return path


def create(chain, tmp_path, kind):
    out = wallet(chain.node.url, "create", "--key", str(tmp_path / "req.key"), "--bounty", "20", "--kind", kind,
                 "--flowers-to", "0", "--test", str(write_test_file(tmp_path)), "--stake", "3", "--max-commits", "4",
                 "--commit-blocks", "2", "--test-blocks", "1", "--model-blocks", "2")
    job_id = out.split()[1]
    assert "kept in" in out and (tmp_path / "req.key.jobs").is_dir()
    chain.api.mine()
    return job_id, chain.api.job(job_id)


def test_two_workers_and_a_requester_the_better_model_wins(start_node, tmp_path):
    chain = Chain(start_node("market", extra_args=V3))
    requester, a, b = (keyfile(tmp_path / f"{n}.key") for n in ("req", "a", "b"))
    chain.fund({requester: 20, a: 3, b: 3})
    job_id, job = create(chain, tmp_path, "tree")
    workers, logs = [], []
    for name, extra in (("a", ()), ("b", ("--validation", "0.97"))):   # b fits on 1 row of each class in 40
        log = open(tmp_path / f"{name}.log", "w")
        logs.append(tmp_path / f"{name}.log")
        workers.append(subprocess.Popen([sys.executable, "-m", "worker", "--node", chain.node.url, "--kind", "tree",
                                         "--key", str(tmp_path / f"{name}.key"), "--poll", "0.2", *extra],
                                        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT))
        log.close()
    try:
        poll("two commitments", lambda: len(chain.pending("JOB_COMMIT")) == 2)
        chain.mine_to(job.windows.commit[1])
        assert {c.worker for c in chain.api.job(job_id).commitments} == {a, b}
        assert "revealed" in wallet(chain.node.url, "reveal-test", job_id, "--key", str(tmp_path / "req.key"))
        chain.mine_to(job.windows.test[1])
        poll("two model reveals", lambda: len(chain.pending("JOB_MODEL")) == 2)
        chain.mine_to(job.windows.settle)
    finally:
        for w in workers:
            w.send_signal(signal.SIGINT)   # Ctrl-C
        codes = [w.wait(30) for w in workers]
    assert codes == [0, 0]
    for log in logs:
        text = log.read_text()
        assert "validation score" in text and "committed" in text and "revealed" in text
        assert text.rstrip().endswith("worker stopped") and "Traceback" not in text
    job = chain.api.job(job_id)
    test = job.test
    scores = {w: kinds.score(m, test["rows"], test["labels"]) for w, m in job.models.items()}
    order = [c.worker for c in job.commitments]
    best = max(order, key=lambda w: (scores[w], -order.index(w)))
    assert job.settlement["outcome"] == "won" and job.settlement["winner"] == best == a
    assert scores[a] > scores[b]
    assert dict(map(tuple, job.settlement["scores"])) == scores
    shown = wallet(chain.node.url, "show", job_id)
    assert f"winner {best}" in shown and "settled" in shown


def test_the_wallet_alone_commits_and_reveals_a_model(start_node, tmp_path):
    chain = Chain(start_node("wallet", extra_args=V3))
    requester, worker = keyfile(tmp_path / "req.key"), keyfile(tmp_path / "w.key")
    chain.fund({requester: 20, worker: 3})
    job_id, job = create(chain, tmp_path, "linear")
    model = tmp_path / "model.json"
    model.write_text(json.dumps({"kind": "linear", "weights": [[0, 0, -1, 0], [0, 0, 0, 0], [0, 0, 1, 0]],
                                 "bias": [250, 0, -500]}))
    out = wallet(chain.node.url, "commit", job_id, "--key", str(tmp_path / "w.key"), "--model", str(model))
    assert "committed" in out and "stake 3" in out
    chain.mine_to(job.windows.commit[1])
    wallet(chain.node.url, "reveal-test", job_id, "--key", str(tmp_path / "req.key"))
    chain.mine_to(job.windows.test[1])
    assert "linear model revealed" in wallet(chain.node.url, "reveal-model", job_id, "--key", str(tmp_path / "w.key"))
    chain.mine_to(job.windows.settle)
    settled = chain.api.job(job_id)
    assert settled.settlement["winner"] == worker and chain.api.balance(worker).balance == 20 + 3
    listed = wallet(chain.node.url, "list", "--state", "settled")
    assert job_id in listed
    refused = subprocess.run([sys.executable, "-m", "client", "--node", chain.node.url, "job", "reveal-model", job_id,
                              "--key", str(tmp_path / "req.key")], cwd=ROOT, capture_output=True, text=True,
                             timeout=60)
    assert refused.returncode == 1 and "no commitment" in refused.stderr


def test_a_worker_that_cannot_cover_the_stake_says_so_and_sends_no_commit(start_node, tmp_path):
    chain = Chain(start_node("poor", extra_args=V3))
    requester, worker = keyfile(tmp_path / "req.key"), keyfile(tmp_path / "w.key")
    chain.fund({requester: 20, worker: 2})
    job_id, _ = create(chain, tmp_path, "tree")   # stake 3
    done = subprocess.run([sys.executable, "-m", "worker", "--node", chain.node.url, "--key", str(tmp_path / "w.key"),
                           "--once"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (f"job {job_id[:12]}: skipped: the stake is 3 and {worker} has 2 available; a commitment must lock the "
            "stake, so it would be refused") in done.stdout, done.stdout
    assert "training" not in done.stdout and "committed" not in done.stdout
    assert chain.pending("JOB_COMMIT") == [] and not list((tmp_path / "w.key.jobs").glob("model-*.json"))


def test_a_worker_trains_on_an_artifact_and_reveals_after_a_restart(start_node, tmp_path):
    """scikit-learn's digits as a dataset file on the node; a worker run once commits, and a second
    run (a restart) reveals from the model and salt the first one kept."""
    from client import TestSet
    from ml import datasets

    chain = Chain(start_node("digits", extra_args=V3))
    digits = datasets.digits()
    train = datasets.from_arrays("digits-train", digits.features, digits.classes, digits.units, digits.rows[:-60],
                                 digits.labels[:-60])
    r = chain.node.session.put(chain.node.url + "/artifacts", data=datasets.dump(train),
                               headers={"Content-Type": "application/octet-stream"}, timeout=60)
    assert r.status_code == 201 and r.json()["sha256"] == train.sha256
    requester = crypto.generate_private_key()
    worker = keyfile(tmp_path / "w.key")
    chain.fund({crypto.address_of(crypto.public_key_hex(requester)): 5, worker: 2})
    test = TestSet.make(digits.rows[-60:], digits.labels[-60:])
    job_id = chain.api.create_job(requester, 5, "linear", {"artifact": train.sha256}, test, stake=2, max_commits=2,
                                  commit_blocks=1, test_blocks=1, model_blocks=2, features=list(digits.features),
                                  classes=list(digits.classes)).job_id
    chain.api.mine()
    job = chain.api.job(job_id)

    def once():
        done = subprocess.run([sys.executable, "-m", "worker", "--node", chain.node.url, "--key",
                               str(tmp_path / "w.key"), "--once"], cwd=ROOT, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout
    out = once()
    assert "training a linear model on 1737 rows of 64 features, 10 classes" in out and "committed" in out
    chain.mine_to(job.windows.commit[1])
    chain.api.reveal_test(requester, job_id, test)
    chain.mine_to(job.windows.test[1])
    assert "revealed its linear model" in once()
    chain.mine_to(job.windows.settle)
    job = chain.api.job(job_id)
    assert job.settlement["winner"] == worker
    assert dict(map(tuple, job.settlement["scores"]))[worker] >= 54     # of 60 digits no model saw

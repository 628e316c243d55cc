"""``python scripts/build_job_chain_vectors.py``: writes tests/vectors/jobs-chains-v3.json, whole chains
of PROTOCOL.md "Version 3: training jobs" (``--check`` rebuilds it in memory and compares, byte for byte).

Each case is a valid chain built by a real in-process node (``blockchain.Blockchain`` with
``protocol=3``, difficulty 1 (v3: one hash a block on average; v2: one hex zero), a clock that
moves 1 s a block, so the difficulty stays at its minimum and the file is the same on every run)
that takes a job from its JOB to its JOB_SETTLE through ``add_transaction`` and ``mine``, with the
balances and settlements after it. Its invalid variants are the valid chain up to a block, then
one forged block (valid header and proof of work) that breaks one rule of the spec; every
implementation must refuse that block (``first_bad_block``).
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from blockchain import Blockchain, MemoryStore, Transaction  # noqa: E402
from blockchain.block import Block  # noqa: E402
from blockchain.encoding import canon, sha256_hex  # noqa: E402
from blockchain.pow import search_bits  # noqa: E402
from blockchain.transactions import reward, transfer_body  # noqa: E402
from ml import kinds, ledger_model  # noqa: E402
from testkit.vectorfile import write_or_check  # noqa: E402

OUT = ROOT / "tests" / "vectors" / "jobs-chains-v3.json"
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
CLASSES = ["setosa", "versicolor", "virginica"]
DIFFICULTY, TARGET_MS, RETARGET = 1, 1000, 10
MINER = "vector-miner"
T0 = 1_700_000_000_000  # in the past: a verifier refuses times more than 2 hours ahead of its clock
# Six rows of the Iris base test set in units (hundredths of a cm) and their class indices.
TEST_ROWS = [[610, 280, 470, 120], [570, 380, 170, 30], [770, 260, 690, 230], [600, 290, 450, 150],
             [680, 280, 480, 140], [540, 340, 150, 40]]
TEST_LABELS = [1, 0, 2, 1, 1, 0]
GOOD_TREE = {"kind": "tree", "nodes": [[2, 245, 1, 2], [0], [3, 165, 3, 4], [1], [2]]}  # scores 6 of 6
SETOSA_TREE = {"kind": "tree", "nodes": [[0]]}                                          # scores 2 of 6
VERSICOLOR_TREE = {"kind": "tree", "nodes": [[1]]}                                      # scores 3 of 6
BAD_TREE = {"kind": "tree", "nodes": [[4, 0, 1, 2], [0], [1]]}  # feature 4 of 4 features: not well formed
WINDOWS = {"commit_blocks": 2, "test_blocks": 2, "model_blocks": 2}


def salt(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def test_set(name: str = "test") -> dict[str, Any]:
    return {"rows": TEST_ROWS, "labels": TEST_LABELS, "salt": salt(name)}


def model_reveal(model: dict[str, Any], worker: str) -> dict[str, Any]:
    return {"model": model, "salt": salt("model-" + worker)}


def job_data(bounty_test: dict[str, Any], *, stake: int = 2, max_commits: int = 3, **windows: int) -> dict[str, Any]:
    return {"kind": "tree", "train": {"flowers_to": 0}, "features": FEATURES, "classes": CLASSES,
            "test_commitment": sha256_hex(canon(bounty_test)), "test_rows": len(bounty_test["rows"]),
            "stake": stake, "max_commits": max_commits, **{**WINDOWS, **windows}}


class Builder:
    def __init__(self, protocol: int = 3) -> None:
        self.t = T0
        extra: dict[str, Any] = ({"target_block_ms": TARGET_MS, "retarget_every": RETARGET,
                                  "min_difficulty": DIFFICULTY} if protocol == 3 else {})
        self.chain = Blockchain(ledger_model(), DIFFICULTY, MemoryStore(), protocol=protocol, clock=self.clock,
                                **extra)
        self.names: dict[str, str] = {}

    def clock(self) -> float:
        return self.t / 1000

    def tick(self) -> int:
        self.t += 1000
        return self.t

    def body(self, tx_type: str, sender: str, amount: int, **fields: Any) -> dict[str, Any]:
        return {"type": tx_type, "sender": sender, "recipient": "MODEL", "amount": amount, "timestamp_ms": self.tick(),
                **fields}

    def send(self, body: dict[str, Any]) -> str:
        tx = Transaction.create(body)
        self.chain.add_transaction(tx)
        return tx.id

    def mine(self, n: int = 1) -> None:
        for _ in range(n):
            self.tick()
            self.chain.mine(MINER)

    def mine_to(self, height: int) -> None:
        """Mine until the next block is ``height``."""
        while self.chain.height + 1 < height:
            self.mine()

    def fund(self, amounts: dict[str, int]) -> None:
        """Each address mines as many blocks as the coins it needs (a REWARD is 1)."""
        for who, amount in amounts.items():
            for _ in range(amount):
                self.tick()
                self.chain.mine(who)

    def job(self, requester: str, bounty: int, data: dict[str, Any]) -> str:
        return self.send(self.body("JOB", requester, bounty, data=data))

    def commit(self, worker: str, job_id: str, stake: int, model: dict[str, Any]) -> str:
        data = model_reveal(model, worker)
        return self.commit_hash(worker, job_id, stake, kinds.model_commitment(data["model"], data["salt"], worker))

    def commit_hash(self, worker: str, job_id: str, stake: int, commitment: str) -> str:
        """A JOB_COMMIT of ``worker`` carrying ``commitment`` (its own, or one it copied)."""
        return self.send(self.body("JOB_COMMIT", worker, stake, job_id=job_id, model_commitment=commitment))

    def reveal_test(self, requester: str, job_id: str, test: dict[str, Any]) -> str:
        return self.send(self.body("JOB_TEST", requester, 0, job_id=job_id, data=test))

    def reveal_model(self, worker: str, job_id: str, model: dict[str, Any]) -> str:
        return self.send(self.body("JOB_MODEL", worker, 0, job_id=job_id, data=model_reveal(model, worker)))

    def forged(self, tx_type: str, sender: str, amount: int, **fields: Any) -> Transaction:
        return Transaction.create(self.body(tx_type, sender, amount, **fields))

    def blocks(self) -> list[dict[str, Any]]:
        return [b.to_dict() for b in self.chain.blocks()]

    def windows(self, job_id: str) -> Any:
        job = self.chain.state.jobs[job_id]
        return job.windows

    def after(self, job_ids: list[str]) -> dict[str, Any]:
        state = self.chain.state
        return {"balances_after": dict(sorted(state.balances.items())),
                "jobs_after": {j: state.jobs[j].settlement for j in job_ids}}


def forge_block(chain: list[dict[str, Any]], txs: list[Transaction], *, settles: Optional[list[dict]] = None,
                bits: int = DIFFICULTY, pow_bits: int = DIFFICULTY) -> list[dict[str, Any]]:
    """``chain`` plus one block holding a REWARD, the ``settles`` (JOB_SETTLE bodies) and ``txs`` in
    that order, with a valid header and proof of work."""
    prev = chain[-1]
    index = prev["index"] + 1
    body = [reward(MINER, index), *(Transaction.create(s) for s in settles or []), *txs]
    stamp = prev["timestamp_ms"] + 1000
    draft = Block.assemble(index, stamp, prev["hash"], bits, body, 0)
    nonce = search_bits(draft.prefix(), pow_bits)
    assert nonce is not None  # no stop event: the search runs until it finds one
    return chain + [Block.assemble(index, stamp, prev["hash"], bits, body, nonce).to_dict()]


def settle_bodies(block: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in tx.items() if k != "id"} for tx in block["transactions"] if tx["type"] == "JOB_SETTLE"]


def variant(name: str, chain: list[dict[str, Any]], problem: str) -> dict[str, Any]:
    return {"name": name, "chain": chain, "problem": problem, "first_bad_block": len(chain) - 1}


def won() -> dict[str, Any]:
    """Three workers: a perfect tree, a poor one, and a malformed one committed and never revealed."""
    b = Builder()
    b.fund({"req": 5, "ann": 1, "bob": 1, "cat": 1})
    test = test_set()
    pre_job = b.blocks()
    job = b.job("req", 4, job_data(test, stake=1))
    b.mine()
    w = b.windows(job)
    pre_commit = b.blocks()
    b.commit("bob", job, 1, SETOSA_TREE)
    b.mine()
    b.commit("ann", job, 1, GOOD_TREE)
    b.commit("cat", job, 1, BAD_TREE)
    b.mine()
    b.mine_to(w.test_first)
    pre_test = b.blocks()
    b.reveal_test("req", job, test)
    b.mine()
    b.mine_to(w.model_first)
    pre_model = b.blocks()
    b.reveal_model("ann", job, GOOD_TREE)
    b.mine()
    after_ann = b.blocks()
    b.reveal_model("bob", job, SETOSA_TREE)
    b.mine()
    pre_settle = b.blocks()
    b.mine()
    chain = b.blocks()
    settle = settle_bodies(chain[-1])
    wrong = [dict(settle[0], data=dict(settle[0]["data"], winner="bob"))]
    unburnt = [dict(settle[0], data=dict(settle[0]["data"], burnt=0))]
    named = {"job_id": job}

    def commit(sender: str, amount: int, tag: str) -> Transaction:
        return b.forged("JOB_COMMIT", sender, amount, **named, model_commitment=salt(tag))

    def reveal(sender: str, model: dict[str, Any], tag: str) -> Transaction:
        return b.forged("JOB_MODEL", sender, 0, **named, data=model_reveal(model, tag))

    def late_settlement() -> list[dict[str, Any]]:
        """The settlement block with a user transaction before its JOB_SETTLE."""
        return forge_block(pre_settle, [Transaction.create(transfer_body("req", "bob", 1, b.tick())),
                                        Transaction.create(settle[0])])

    inv = [
        variant("bounty the sender cannot cover", forge_block(pre_job, [b.forged("JOB", "poor", 1,
                data=job_data(test))]), "the requester's balance must cover the bounty"),
        variant("commit in the test window", forge_block(pre_test, [commit("poor", 1, "x")]),
                "a JOB_COMMIT outside its commit window"),
        variant("second commitment by one worker", forge_block(pre_test[:w.commit_last], [commit("bob", 1, "again")]),
                "one commitment per worker"),
        variant("requester commits", forge_block(pre_commit, [commit("req", 1, "r")]),
                "the requester may not commit to its own job"),
        variant("stake of the wrong amount", forge_block(pre_commit, [commit("ann", 2, "w")]),
                "a JOB_COMMIT's amount must be the job's stake"),
        variant("stake the sender cannot cover", forge_block(pre_commit, [commit("poor", 1, "p")]),
                "the worker's balance must cover the stake"),
        variant("test revealed by another sender", forge_block(pre_test, [b.forged("JOB_TEST", "ann", 0, **named,
                data=test)]), "only the requester reveals the test set"),
        variant("test revealed in the commit window", forge_block(pre_commit, [b.forged("JOB_TEST", "req", 0,
                **named, data=test)]), "a JOB_TEST outside its test window"),
        variant("test revealed in the model window", forge_block(pre_model, [b.forged("JOB_TEST", "req", 0, **named,
                data=test)]), "a JOB_TEST outside its test window"),
        variant("test not matching its commitment", forge_block(pre_test, [b.forged("JOB_TEST", "req", 0, **named,
                data=test_set("other salt"))]), "H(canon(test set)) must equal the JOB's test_commitment"),
        variant("model revealed in the test window", forge_block(pre_test, [reveal("ann", GOOD_TREE, "ann")]),
                "a JOB_MODEL outside its model window"),
        variant("model not matching its commitment", forge_block(pre_model, [reveal("bob", VERSICOLOR_TREE, "bob")]),
                "H(canon({model, salt, worker: the sender})) must equal the sender's model_commitment"),
        variant("model not well formed", forge_block(pre_model, [reveal("cat", BAD_TREE, "cat")]),
                "a revealed model must be well formed for the job's kind, F and C"),
        variant("model by a non-committer", forge_block(pre_model, [reveal("poor", GOOD_TREE, "poor")]),
                "only a committed worker reveals a model"),
        variant("model revealed twice", forge_block(after_ann, [reveal("ann", GOOD_TREE, "ann")]),
                "a commitment is revealed once"),
        variant("settlement missing", forge_block(pre_settle, []), "block m+1 must hold the job's JOB_SETTLE"),
        variant("settlement wrong", forge_block(pre_settle, [], settles=wrong),
                "the JOB_SETTLE must equal the settlement every node computes (winner)"),
        variant("settlement with the wrong burnt", forge_block(pre_settle, [], settles=unburnt),
                "the JOB_SETTLE must equal the settlement every node computes (burnt)"),
        variant("settlement in the wrong block", forge_block(pre_settle[:-1], [], settles=[dict(
            settle[0], block_index=len(pre_settle) - 1)]), "a job settles in block m+1, not before"),
        variant("settlement of a settled job", forge_block(chain, [], settles=[dict(
            settle[0], block_index=len(chain))]), "a job is settled once, in block m+1"),
        variant("settlement after a user transaction", late_settlement(),
                "a JOB_SETTLE stands right after the REWARD"),
    ]
    return {"name": "won", "about": "ann's perfect tree (6 of 6) beats bob's (2 of 6, committed earlier) and wins "
                                    "the bounty 4; both get their stakes back; cat committed a malformed tree and "
                                    "never reveals it: its stake 1 is burnt",
            "chain": chain, **b.after([job]), "invalid": inv}


def tie() -> dict[str, Any]:
    """Two equal scores: the earlier commitment wins (same block: the smaller position)."""
    b = Builder()
    b.fund({"req": 3, "ann": 1, "bob": 1, "dan": 1})
    test = test_set()
    job = b.job("req", 3, job_data(test, stake=1, max_commits=2))
    b.mine()
    w = b.windows(job)
    b.commit("dan", job, 1, VERSICOLOR_TREE)   # pooled first: position 1 in block j+1
    b.commit("bob", job, 1, VERSICOLOR_TREE)   # the same model, its own salt: position 2
    b.mine()
    full = b.blocks()
    b.mine_to(w.test_first)
    b.reveal_test("req", job, test)
    b.mine()
    b.mine_to(w.model_first)
    b.reveal_model("bob", job, VERSICOLOR_TREE)
    b.reveal_model("dan", job, VERSICOLOR_TREE)
    b.mine()
    b.mine_to(w.settle + 1)
    chain = b.blocks()
    inv = [variant("max_commits exceeded", forge_block(full, [b.forged("JOB_COMMIT", "ann", 1, job_id=job,
                   model_commitment=salt("third"))]), "a job takes at most max_commits commitments")]
    return {"name": "tie", "about": "dan and bob both score 3 of 6; dan committed first (the same block, an earlier "
                                    "position) and wins the bounty 3",
            "chain": chain, **b.after([job]), "invalid": inv}


def copycat() -> dict[str, Any]:
    """A copycat front-runs ann: it copies ann's model_commitment and gets it ordered first. The
    commitment binds ann's address, so the copy can never be opened by cop: its replay of ann's reveal
    is refused, cop never reveals, its stake is burnt, and ann wins."""
    b = Builder()
    b.fund({"req": 3, "ann": 1, "cop": 1})
    test = test_set()
    job = b.job("req", 3, job_data(test, stake=1))
    b.mine()
    w = b.windows(job)
    data = model_reveal(GOOD_TREE, "ann")
    anns = kinds.model_commitment(data["model"], data["salt"], "ann")
    b.commit_hash("cop", job, 1, anns)   # the copy, pooled (so ordered) before the original: position 1
    b.commit("ann", job, 1, GOOD_TREE)   # the original: position 2
    b.mine()
    b.mine_to(w.test_first)
    b.reveal_test("req", job, test)
    b.mine()
    b.mine_to(w.model_first)
    b.reveal_model("ann", job, GOOD_TREE)
    b.mine()
    after_ann = b.blocks()
    b.mine_to(w.settle + 1)
    chain = b.blocks()
    replay = b.forged("JOB_MODEL", "cop", 0, job_id=job, data=data)   # ann's model and salt, sent by cop
    inv = [variant("a copied commitment's replayed reveal", forge_block(after_ann, [replay]),
                   "H(canon({model, salt, worker: cop})) is not the commitment cop copied: a commitment binds "
                   "its worker")]
    return {"name": "copycat", "about": "cop copies ann's model_commitment and is ordered before ann (the same "
                                        "block, an earlier position); the commitment binds ann, so cop can never "
                                        "open it: its replay of ann's reveal is refused, its stake 1 is burnt, and "
                                        "ann's tree (6 of 6) wins the bounty 3",
            "chain": chain, **b.after([job]), "invalid": inv}


def no_model() -> dict[str, Any]:
    """The test set is revealed, the one committed model is not: the bounty goes back, the stake is burnt."""
    b = Builder()
    b.fund({"req": 2, "ann": 2})
    test = test_set()
    job = b.job("req", 2, job_data(test, stake=2))
    b.mine()
    w = b.windows(job)
    b.commit("ann", job, 2, GOOD_TREE)
    b.mine_to(w.test_first)
    b.reveal_test("req", job, test)
    b.mine_to(w.settle + 1)
    chain = b.blocks()
    return {"name": "no_model", "about": "ann commits and never reveals: req gets its bounty 2 back, ann's stake 2 "
                                         "is burnt", "chain": chain, **b.after([job]), "invalid": []}


def withheld() -> dict[str, Any]:
    """Two jobs in one block (both settle in one block): one withholds its test set, split among
    three workers (bounty 5: 2, 2, 1); the other has no commitment and no test: its bounty goes back."""
    b = Builder()
    b.fund({"req": 6, "ann": 1, "bob": 1, "cat": 1, "eve": 1})
    test = test_set()
    first = b.job("req", 5, job_data(test, stake=1))
    second = b.job("eve", 1, job_data(test_set("eve")))
    b.mine()
    w = b.windows(first)
    pre_third = b.blocks()
    b.commit("cat", first, 1, GOOD_TREE)
    b.mine()
    b.commit("ann", first, 1, GOOD_TREE)
    b.commit("bob", first, 1, SETOSA_TREE)
    b.mine_to(w.model_first)
    pre_model = b.blocks()
    b.mine_to(w.settle + 1)
    chain = b.blocks()
    late = job_data(test_set("late"), commit_blocks=WINDOWS["commit_blocks"] - 1)  # settles with the other two
    inv = [
        variant("a third job settling in one block", forge_block(pre_third, [b.forged("JOB", "req", 1, data=late)]),
                "at most 2 jobs settle in one block"),
        variant("model revealed without the test set", forge_block(pre_model, [b.forged("JOB_MODEL", "cat", 0,
                job_id=first, data=model_reveal(GOOD_TREE, "cat"))]), "no model is revealed before the test set"),
        variant("settlements out of JOB order", forge_block(chain[:-1], [], settles=settle_bodies(chain[-1])[::-1]),
                "the JOB_SETTLEs of one block come in the order of their JOBs"),
    ]
    return {"name": "withheld", "about": "req withholds its test set: cat, ann and bob (in commitment order) get "
                                         "their stakes back and 2, 2, 1 of the bounty 5; eve's job had no "
                                         "commitment and no test: its bounty 1 goes back to eve",
            "chain": chain, **b.after([first, second]), "invalid": inv}


def protocol_2() -> dict[str, Any]:
    """A JOB on a protocol 2 network: refused."""
    b = Builder(protocol=2)
    b.mine()
    chain = b.blocks()
    bad = forge_block(chain, [b.forged("JOB", MINER, 1, data=job_data(test_set()))], pow_bits=4)  # v2: 1 hex digit
    return {"name": "protocol 2", "about": "a protocol 2 network has no jobs", "chain": chain,
            **b.after([]), "invalid": [variant("a JOB on a protocol 2 network", bad, "jobs are protocol 3's")]}


def render() -> str:
    """The vectors file's text, built from scratch."""
    cases = [won(), tie(), copycat(), no_model(), withheld(), protocol_2()]
    out = {"about": "PROTOCOL.md 'Version 3: training jobs', whole chains; built by "
                    "scripts/build_job_chain_vectors.py (--check rebuilds it byte for byte). Each case: a valid chain "
                    "from genesis (difficulty 1, blocks 1 s apart), every balance after it, and each job's "
                    "JOB_SETTLE data; each invalid variant is refused at its first_bad_block (the last block), "
                    "for the reason in 'problem'. The 'protocol 2' case's chain is a protocol 2 network's.",
           "cases": cases}
    return json.dumps(out, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    return write_or_check(OUT, render, __doc__.split("\n\n")[0], argv)


if __name__ == "__main__":
    sys.exit(main())

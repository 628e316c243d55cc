"""Chains for ``bench.jobs_scale``: one holding many settled training jobs and the same chain without
them, built in process by a real ``Blockchain`` (protocol 3) and its miner.

Both chains have the same blocks: each holds its REWARD and one FLOWER_DATA; the job chain's blocks
also hold the jobs. Four addresses take turns: block h is mined by ``ADDRESSES[h % 4]``; job n is
requested by ``ADDRESSES[n % 4]`` and the other three commit, reveal and are paid, the winner
turning with n, so that no address runs out of coins. With the shortest windows the rules allow
(PROTOCOL.md v3: commit 1, test 1, model 2) a JOB in block j takes its commitments in j+1, its test
set in j+2, its models in j+3 and settles in j+5; two JOBs a block (the most that may settle in one
block) keep a dozen jobs in flight at once.

Difficulty 1 (one hash a block on average), blocks 1 s apart on a clock of the build's own, so the
difficulty stays at its minimum and a build is the same on every run.
"""
from __future__ import annotations

import hashlib
from typing import Any, Callable


from blockchain import Blockchain, MemoryStore, Transaction
from blockchain.storage import ChainStore
from blockchain.transactions import transfer_body
from blockchain.encoding import canon, sha256_hex
from ml import ledger_model
from ml.measurements import text
from testkit.factories import flower

from .util import Progress

DIFFICULTY, TARGET_MS, RETARGET = 1, 1000, 10
NODE_ARGS = ("--protocol", "3", "--target-block-ms", str(TARGET_MS), "--retarget-every", str(RETARGET),
             "--min-difficulty", str(DIFFICULTY))
ADDRESSES = ("ann", "bob", "cat", "dan")
JOBS_PER_BLOCK = 2
FUNDING_BLOCKS = 80      # before the first job: twenty rewards for each address
WINDOWS = {"commit_blocks": 1, "test_blocks": 1, "model_blocks": 2}
SETTLE_AFTER = 1 + sum(WINDOWS.values())   # a JOB in block j settles in block j + SETTLE_AFTER
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
CLASSES = ["setosa", "versicolor", "virginica"]
CLASS_NAMES = ("setosa", "versicolor", "virginica")
T0 = 1_700_000_000_000
# Six rows of the Iris base test set (hundredths of a cm) and their class indices.
TEST_ROWS = [[610, 280, 470, 120], [570, 380, 170, 30], [770, 260, 690, 230], [600, 290, 450, 150],
             [680, 280, 480, 140], [540, 340, 150, 40]]
TEST_LABELS = [1, 0, 2, 1, 1, 0]
KINDS = ("tree", "linear", "knn")


def models(kind: str) -> list[dict[str, Any]]:
    """Three small models of ``kind``: the first scores best on the test rows."""
    if kind == "tree":
        return [{"kind": "tree", "nodes": [[2, 245, 1, 2], [0], [3, 165, 3, 4], [1], [2]]},   # 6 of 6
                {"kind": "tree", "nodes": [[1]]}, {"kind": "tree", "nodes": [[0]]}]            # 3, 2
    if kind == "linear":
        zero = [[0] * 4 for _ in CLASSES]
        return [{"kind": "linear", "weights": [[0, 0, -10, 0], [0, 0, 0, 0], [0, 0, 10, 0]], "bias": [3000, 0, -5500]},
                {"kind": "linear", "weights": zero, "bias": [0, 1, 0]},
                {"kind": "linear", "weights": zero, "bias": [1, 0, 0]}]
    three = [[500, 340, 150, 20], [600, 280, 450, 140], [650, 300, 580, 220]]
    return [{"kind": "knn", "rows": TEST_ROWS, "labels": TEST_LABELS, "weights": [1, 1, 1, 1], "k": 1},  # 6 of 6
            {"kind": "knn", "rows": three[:2], "labels": [0, 1], "weights": [1, 1, 1, 1], "k": 1},
            {"kind": "knn", "rows": three[:2], "labels": [0, 0], "weights": [1, 1, 1, 1], "k": 1}]


def _salt(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def open_chain(store: ChainStore, clock: Callable[[], float]) -> Blockchain:
    """A protocol 3 node's chain of this network on ``store``."""
    return Blockchain(ledger_model(), DIFFICULTY, store, protocol=3, clock=clock, target_block_ms=TARGET_MS,
                      retarget_every=RETARGET, min_difficulty=DIFFICULTY)


class Builder:
    """A protocol 3 chain on a clock that moves 1 s a block."""

    def __init__(self) -> None:
        self.t = T0
        self.chain = open_chain(MemoryStore(), self.clock)

    def clock(self) -> float:
        return self.t / 1000

    def tick(self) -> int:
        self.t += 1000
        return self.t

    def send(self, tx_type: str, sender: str, amount: int, **fields: Any) -> str:
        tx = Transaction.create({"type": tx_type, "sender": sender, "recipient": "MODEL", "amount": amount,
                                 "timestamp_ms": self.tick(), **fields})
        self.chain.add_transaction(tx)
        return tx.id

    def flower(self, i: int) -> None:
        features = (text(450 + (i * 7) % 400), text(200 + (i * 13) % 250), text(100 + (i * 11) % 600),
                    text(10 + (i * 3) % 240))
        self.chain.add_transaction(flower(sender=f"f{i}", features=features, label=CLASS_NAMES[i % 3],
                                          timestamp_ms=self.tick()))

    def mine(self) -> None:
        self.tick()
        self.chain.mine(ADDRESSES[(self.chain.height + 1) % len(ADDRESSES)])


class JobPlan:
    """Job ``n``: its requester, its workers (in commitment order), their models and its test set."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.kind = KINDS[n % len(KINDS)]
        self.requester = ADDRESSES[n % len(ADDRESSES)]
        others = [a for a in ADDRESSES if a != self.requester]
        turn = n // len(ADDRESSES) % len(others)
        self.workers = others[turn:] + others[:turn]     # the first commits first and holds the best model
        self.models = dict(zip(self.workers, models(self.kind), strict=True))
        self.test = {"rows": TEST_ROWS, "labels": TEST_LABELS, "salt": _salt(f"test-{n}")}
        self.job_id = ""

    def reveal(self, worker: str) -> dict[str, Any]:
        return {"model": self.models[worker], "salt": _salt(f"model-{self.n}-{worker}")}

    def data(self) -> dict[str, Any]:
        return {"kind": self.kind, "train": {"flowers_to": 0}, "features": FEATURES, "classes": CLASSES,
                "test_commitment": sha256_hex(canon(self.test)), "test_rows": len(TEST_ROWS), "stake": 1,
                "max_commits": 3, **WINDOWS}


def blocks_for(jobs: int) -> int:
    """The height of a chain holding ``jobs`` settled jobs."""
    job_blocks = -(-jobs // JOBS_PER_BLOCK)
    return FUNDING_BLOCKS + job_blocks + SETTLE_AFTER


def job_transactions(chain: Blockchain) -> list[int]:
    """How many job transactions (JOB, JOB_COMMIT, JOB_TEST, JOB_MODEL, JOB_SETTLE) each block holds."""
    return [sum(1 for tx in b.transactions if tx.type.startswith("JOB")) for b in chain.blocks()]


def build_transfers(per_block: list[int]) -> Blockchain:
    """The same blocks as ``build(jobs, with_jobs=False)`` (a REWARD and a flower each), block h also
    holding ``per_block[h]`` TRANSFERs of 1 coin round the four addresses in place of the jobs."""
    b = Builder()
    bar = Progress(f"build {len(per_block) - 1} blocks with transfers", len(per_block) - 1)
    sent = 0
    while b.chain.height < len(per_block) - 1:
        h = b.chain.height + 1
        b.flower(h)
        for _ in range(per_block[h]):
            sender, recipient = ADDRESSES[sent % 4], ADDRESSES[(sent + 1) % 4]
            b.chain.add_transaction(Transaction.create(transfer_body(sender, recipient, 1, b.tick())))
            sent += 1
        b.mine()
        bar.step()
    return b.chain


def build(jobs: int, with_jobs: bool = True, blocks: int = 0) -> tuple[Blockchain, list[str]]:
    """The chain with ``jobs`` settled jobs (or, ``with_jobs=False``, the same blocks without them),
    and the jobs' ids; with ``blocks`` above ``blocks_for(jobs)``, grown to that height with blocks of
    a REWARD and a flower each after the last job has settled."""
    b = Builder()
    height = max(blocks_for(jobs), blocks)
    bar = Progress(f"build {height} blocks {'with' if with_jobs else 'without'} {jobs} jobs", height)
    by_block: dict[int, list[JobPlan]] = {}
    ids: list[str] = []
    posted = 0
    while b.chain.height < height:
        h = b.chain.height + 1                     # the block being filled
        b.flower(h)
        if with_jobs and h > FUNDING_BLOCKS:
            for plan in by_block.get(h - 3, []):   # model window: j+3
                for worker in plan.workers:
                    b.send("JOB_MODEL", worker, 0, job_id=plan.job_id, data=plan.reveal(worker))
            for plan in by_block.get(h - 2, []):   # test window: j+2
                b.send("JOB_TEST", plan.requester, 0, job_id=plan.job_id, data=plan.test)
            for plan in by_block.get(h - 1, []):   # commit window: j+1
                for worker in plan.workers:
                    b.send("JOB_COMMIT", worker, 1, job_id=plan.job_id,
                           model_commitment=sha256_hex(canon({**plan.reveal(worker), "worker": worker})))
            fresh: list[JobPlan] = []
            while posted < jobs and len(fresh) < JOBS_PER_BLOCK:
                plan = JobPlan(posted)
                plan.job_id = b.send("JOB", plan.requester, 1, data=plan.data())
                ids.append(plan.job_id)
                fresh.append(plan)
                posted += 1
            by_block[h] = fresh
            by_block.pop(h - 4, None)
        b.mine()
        bar.step()
    return b.chain, ids


def settled(chain: Blockchain, job_ids: list[str]) -> int:
    """How many of ``job_ids`` the chain's state holds settled, each with a winner."""
    jobs = chain.state.jobs
    done = [jobs[j].settlement for j in job_ids if j in jobs]
    return sum(1 for s in done if s is not None and s.get("winner") is not None)

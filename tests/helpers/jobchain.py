"""Training jobs on an in-process protocol 3 node (PROTOCOL.md "Version 3: training jobs"): a
``Blockchain`` whose clock moves 1 s a block (the difficulty stays at its 1-bit minimum), and the
bodies of the four user job types, submitted through ``add_transaction`` like a client's."""
from __future__ import annotations

import hashlib

from blockchain import Blockchain, MemoryStore, Transaction
from blockchain.encoding import canon, sha256_hex
from ml import ledger_model

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
CLASSES = ["setosa", "versicolor", "virginica"]
TEST_ROWS = [[610, 280, 470, 120], [570, 380, 170, 30], [770, 260, 690, 230], [600, 290, 450, 150]]
TEST_LABELS = [1, 0, 2, 1]
GOOD_TREE = {"kind": "tree", "nodes": [[2, 245, 1, 2], [0], [3, 165, 3, 4], [1], [2]]}  # 4 of 4
SETOSA_TREE = {"kind": "tree", "nodes": [[0]]}                                          # 1 of 4
T0 = 1_700_000_000_000


def salt(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def a_test_set(tag: str = "test") -> dict:
    return {"rows": TEST_ROWS, "labels": TEST_LABELS, "salt": salt(tag)}


def reveal(model: dict, worker: str) -> dict:
    return {"model": model, "salt": salt("model-" + worker)}


def job_data(test: dict, *, stake: int = 1, max_commits: int = 3, commit_blocks: int = 2, test_blocks: int = 2,
             model_blocks: int = 2) -> dict:
    return {"kind": "tree", "train": {"flowers_to": 0}, "features": FEATURES, "classes": CLASSES,
            "test_commitment": sha256_hex(canon(test)), "test_rows": len(test["rows"]), "stake": stake,
            "max_commits": max_commits, "commit_blocks": commit_blocks, "test_blocks": test_blocks,
            "model_blocks": model_blocks}


class JobNode:
    """A protocol 3 node in-process, its clock set by the test."""

    def __init__(self, store=None, protocol: int = 3, **options) -> None:
        self.t = T0
        extra = {"target_block_ms": 1000, "retarget_every": 10, "min_difficulty": 1} if protocol == 3 else {}
        self.chain = Blockchain(ledger_model(), 1, store or MemoryStore(), protocol=protocol,
                                clock=lambda: self.t / 1000, **extra, **options)

    def tick(self) -> int:
        self.t += 1000
        return self.t

    def mine(self, n: int = 1, miner: str = "miner"):
        block = None
        for _ in range(n):
            self.tick()
            block = self.chain.mine(miner)
        return block

    def mine_to(self, height: int) -> None:
        """Mine until the next block is at ``height``."""
        while self.chain.height + 1 < height:
            self.mine()

    def earn(self, who: str, coins: int) -> None:
        self.mine(coins, miner=who)

    def tx(self, tx_type: str, sender: str, amount: int, **fields) -> Transaction:
        return Transaction.create({"type": tx_type, "sender": sender, "recipient": "MODEL", "amount": amount,
                                   "timestamp_ms": self.tick(), **fields})

    def send(self, tx: Transaction) -> str:
        self.chain.add_transaction(tx)
        return tx.id

    def job(self, requester: str, bounty: int, data: dict) -> str:
        return self.send(self.tx("JOB", requester, bounty, data=data))

    def commit(self, worker: str, job_id: str, stake: int, model: dict) -> str:
        return self.send(self.tx("JOB_COMMIT", worker, stake, job_id=job_id,
                                 model_commitment=sha256_hex(canon({**reveal(model, worker), "worker": worker}))))

    def reveal_test(self, requester: str, job_id: str, test: dict) -> str:
        return self.send(self.tx("JOB_TEST", requester, 0, job_id=job_id, data=test))

    def reveal_model(self, worker: str, job_id: str, model: dict) -> str:
        return self.send(self.tx("JOB_MODEL", worker, 0, job_id=job_id, data=reveal(model, worker)))

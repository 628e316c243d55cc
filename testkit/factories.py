"""Small builders for tests: transactions and ledgers."""
import itertools
import time

from blockchain import Blockchain, Transaction, claim_body, flower_body, transfer_body
from ml import IrisModel, from_number

_counter = itertools.count()
NAMES = ("sepal_length", "sepal_width", "petal_length", "petal_width")


def _now_ms() -> int:
    return int(time.time() * 1000) + next(_counter)  # distinct timestamps: distinct ids


def measurements(features) -> dict:
    """Feature values (numbers in cm or protocol strings) as the protocol's strings, by name."""
    return {n: v if isinstance(v, str) else from_number(v) for n, v in zip(NAMES, features, strict=True)}


def flower(sender="alice", features=(5.1, 3.5, 1.4, 0.2), label="setosa", timestamp_ms=None, deposit=0):
    ts = timestamp_ms if timestamp_ms is not None else _now_ms()
    return Transaction.create(flower_body(sender, measurements(features), label, ts, deposit))


def transfer(sender, recipient, amount, timestamp_ms=None):
    ts = timestamp_ms if timestamp_ms is not None else _now_ms()
    return Transaction.create(transfer_body(sender, recipient, amount, ts))


def claim(kind, sender, flower_id, timestamp_ms=None):
    ts = timestamp_ms if timestamp_ms is not None else _now_ms()
    return Transaction.create(claim_body(kind, sender, flower_id, ts))


def ledger(difficulty=1, store=None, **kwargs):
    return Blockchain(IrisModel(), difficulty, store, **kwargs)

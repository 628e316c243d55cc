"""Small builders for tests: transactions and ledgers."""
import itertools
import time

from blockchain import Blockchain, Transaction, flower_body, transfer_body
from ml import IrisModel

_counter = itertools.count()


def flower(sender="alice", features=(5.1, 3.5, 1.4, 0.2), label="setosa", timestamp=None):
    names = ("sepal_length", "sepal_width", "petal_length", "petal_width")
    ts = timestamp if timestamp is not None else time.time() + next(_counter) * 1e-6
    return Transaction.create(flower_body(sender, dict(zip(names, features)), label, ts))


def transfer(sender, recipient, amount, timestamp=None):
    ts = timestamp if timestamp is not None else time.time() + next(_counter) * 1e-6
    return Transaction.create(transfer_body(sender, recipient, amount, ts))


def ledger(difficulty=1, store=None, **kwargs):
    return Blockchain(IrisModel(), difficulty, store, **kwargs)

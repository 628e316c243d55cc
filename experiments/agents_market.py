"""The agents of the training-job market (experiments/market.py) and the models they submit.

Every agent is an Ed25519 key and an address on the node; what each one knows is only what the
node's public API shows it (the job, its commitments, the pending pool, the training data by
``worker.data``), except the self-dealing requester's second address, which also knows the
requester's hidden test set (that is the point of it).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from blockchain import crypto
from ml.training import knn_weights, train

# role -> what it does (the README and the results file show these words)
ROLES: dict[str, str] = {
    "requester": "an honest requester: posts jobs and reveals its test sets",
    "stingy": "a requester that withholds its test set",
    "self-dealer": "a requester that competes in its own job under a second address (sybil)",
    "sybil": "the self-dealer's second address: submits a model fitted to the hidden test set",
    "linear": "an honest worker: LogisticRegression as an integer linear model",
    "tree": "an honest worker: DecisionTreeClassifier as an integer tree",
    "knn": "an honest worker: a KNN on chosen prototypes",
    "lazy": "a lazy worker: a random model of the job's kind",
    "copycat": "copies a rival's commitment (the only thing it can see), then replays the rival's reveal: "
               "refused (the commitment binds its worker), so its stake is burnt",
    "silent": "commits an honest model and never reveals it",
}


@dataclass
class Agent:
    role: str
    key: Any = field(default_factory=crypto.generate_private_key)

    @property
    def address(self) -> str:
        return crypto.address_of(crypto.public_key_hex(self.key))


def honest_model(kind: str, rows: list[list[int]], labels: list[int], classes: int, seed: int) -> dict[str, Any]:
    return train(kind, rows, labels, classes, seed=seed).model


def lazy_model(kind: str, rows: list[list[int]], classes: int, rng: np.random.Generator) -> dict[str, Any]:
    """A model of ``kind`` drawn at random, with no look at the labels."""
    x = np.asarray(rows, dtype=np.int64)
    lo, hi = int(x.min()), int(x.max())
    features = x.shape[1]
    if kind == "linear":
        return {"kind": "linear", "weights": rng.integers(-3, 4, (classes, features)).tolist(),
                "bias": [0] * classes}
    if kind == "tree":
        f = int(rng.integers(0, features))
        return {"kind": "tree", "nodes": [[f, int(rng.integers(lo, hi + 1)), 1, 2],
                                          [int(rng.integers(0, classes))], [int(rng.integers(0, classes))]]}
    return {"kind": "knn", "rows": rng.integers(lo, hi + 1, (classes, features)).tolist(),
            "labels": rng.permutation(classes).tolist(), "weights": [1] * features, "k": 1}


def self_dealt_model(kind: str, rows: list[list[int]], labels: list[int], test_rows: list[list[int]],
                     test_labels: list[int], classes: int, seed: int) -> dict[str, Any]:
    """What the requester's second address submits, knowing the test set: a ``knn`` whose rows are
    the test rows (k = 1), or a ``tree`` fitted to the training rows and the test rows together."""
    if kind == "knn":
        weights = knn_weights(np.asarray(rows, dtype=np.int64))
        return {"kind": "knn", "rows": [list(r) for r in test_rows], "labels": list(test_labels),
                "weights": weights, "k": 1}
    if kind == "tree":
        return train("tree", [*rows, *test_rows], [*labels, *test_labels], classes, validation=0.0,
                     seed=seed).model
    raise ValueError(f"no self-dealt {kind} model")


__all__ = ["ROLES", "Agent", "honest_model", "lazy_model", "self_dealt_model"]

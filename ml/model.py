"""IrisModel: the exact integer KNN of PROTOCOL.md, trained from a base plus every accepted
contribution, with its model_hash commitments.

The model is held in incremental form: for each test row, its current k neighbours. A block's
rows cost O(test rows) each, whatever the training-set size; the state at any earlier size is
one vectorised pass over its rows (``at_size``). Learned state changes only through
``commit_data_points`` (one block, all or nothing); a state is an immutable object swapped in
with one assignment, so readers in other threads always see a whole model.
"""
from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

import numpy as np

from . import knn
from .base import FEATURE_NAMES, N_FEATURES, BaseData, iris_base
from .errors import BaseDataError, InvalidFeatures, InvalidLabel, MeasurementError, ModelError, SnapshotError
from .hashing import base_model_hash, next_model_hash
from .kinds import JobKinds
from .measurements import TEXTS, parse, text
from .metrics import classification_report, confusion_matrix
from .serialized import SNAPSHOT_FORMAT, check_serialized

K = 3
# (model_hash, neighbour distances, neighbour indices, predictions, test_correct) after a block
_Advance = tuple[str, np.ndarray, np.ndarray, np.ndarray, int]


def check_features(features: Any) -> list[int]:  # untrusted input: checked here
    """Four measurements (protocol strings, or numbers in cm that are whole hundredths) as units."""
    if isinstance(features, (str, bytes, dict)) or not hasattr(features, "__len__"):
        raise InvalidFeatures(
            f"features must be a sequence of {N_FEATURES} measurements; got {type(features).__name__}"
        )
    values = list(features)
    if len(values) != N_FEATURES:
        raise InvalidFeatures(f"features must have {N_FEATURES} values {FEATURE_NAMES}; got {len(values)}")
    out = []
    for name, value in zip(FEATURE_NAMES, values, strict=True):
        try:
            out.append(parse(value.item() if isinstance(value, np.generic) else value))
        except MeasurementError as exc:
            raise InvalidFeatures(f"{name} {exc}") from None
    return out


class _Rows:
    """The training rows, append-only, in a buffer that doubles: appending never moves the rows
    an older state reads (it reads only its own first ``n``)."""

    def __init__(self, x_units: np.ndarray, codes: np.ndarray, weights: np.ndarray, capacity: int = 0) -> None:
        n = len(x_units)
        cap = max(16, 2 * n, capacity)
        self.x = np.zeros((cap, N_FEATURES), dtype=np.int64)
        self.xw = np.zeros((cap, N_FEATURES), dtype=np.int64)
        self.y = np.zeros(cap, dtype=np.int64)
        self.x[:n], self.xw[:n], self.y[:n] = x_units, x_units * weights, codes
        self.n = n
        self.weights = weights

    def append(self, x_units: np.ndarray, codes: np.ndarray) -> "_Rows":
        """Add rows after the first ``n``; returns the object holding them (self, or a bigger copy)."""
        m, n = len(x_units), self.n
        target = self
        if n + m > len(self.y):
            target = _Rows(self.x[:n], self.y[:n], self.weights, capacity=2 * len(self.y) + m)
        target.x[n:n + m], target.xw[n:n + m], target.y[n:n + m] = x_units, x_units * self.weights, codes
        target.n = n + m
        return target


@dataclass(frozen=True)
class _State:
    rows: _Rows
    size: int                 # training rows in this state
    nb_dist: np.ndarray       # (test rows, k) distances of each test row's neighbours
    nb_idx: np.ndarray        # (test rows, k) their row indices
    test_pred: np.ndarray     # predicted class code per test row
    test_correct: int
    model_hash: str
    history_list: list[tuple[int, str]]  # (size, model_hash) after each committed update, oldest first; shared and
    updates: int              # append-only like _Rows: this state's history is its first ``updates``

    @property
    def history(self) -> list[tuple[int, str]]:
        return self.history_list[:self.updates]


class IrisModel(JobKinds):
    """The collaboratively trained classifier of one chain."""

    def __init__(self, base: Optional[BaseData] = None, k: int = K) -> None:
        self.base = base if base is not None else iris_base()
        self.n_neighbors = self.k = k
        self.classes_ = tuple(self.base.classes)
        self._codes = {label: code for code, label in enumerate(self.classes_)}
        if len(self.base.train) < k:
            raise BaseDataError(f"base data must have at least {k} training rows; got {len(self.base.train)}")
        self.weights = np.asarray(self.base.weights, dtype=np.int64)
        self._test_w = knn.weighted(self.base.test_units, self.weights)
        self._test_codes = self._encode(self.base.test_labels)
        self._lock = threading.Lock()
        self._staged: list[tuple[list[int], str]] = []
        self._evaluation: Optional[tuple[str, dict[str, Any]]] = None
        # ((parent hash, rows, labels), *the _advance result) of the last preview
        self._preview: Optional[tuple[tuple[str, bytes, tuple[str, ...]], *_Advance]] = None
        rows = _Rows(self.base.train_units, self._encode(self.base.train_labels), self.weights)
        self.state_ = self._state_from_rows(rows, len(self.base.train), base_model_hash(self.base.base_hash, k), [])

    # -- building states --------------------------------------------------------------
    def _encode(self, labels: Sequence[str]) -> np.ndarray:
        return np.asarray([self._codes[label] for label in labels], dtype=np.int64)

    def _predictions(self, nb_idx: np.ndarray, codes_of: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        valid = nb_idx != knn.NO_ROW
        codes = codes_of(np.where(valid, nb_idx, 0))
        return knn.predict_codes(knn.votes(codes, valid, len(self.classes_)))

    def _state_from_rows(self, rows: _Rows, size: int, model_hash: str, history: list[tuple[int, str]]) -> _State:
        nb_dist, nb_idx = knn.neighbours_of(self._test_w, rows.xw[:size], self.k)
        pred = self._predictions(nb_idx, lambda idx: rows.y[idx])
        correct = int(np.count_nonzero(pred == self._test_codes))
        return _State(rows, size, nb_dist, nb_idx, pred, correct, model_hash, list(history), len(history))

    def _advance(self, state: _State, x_units: np.ndarray, labels: Sequence[str]) -> _Advance:
        """(model_hash, neighbours, predictions, test_correct) after one block's rows.

        Only test rows with a new row strictly closer than their k-th neighbour change (a new
        row has the largest index, so it loses every tie); only their votes are counted again.
        """
        key = (state.model_hash, x_units.tobytes(), tuple(labels))
        cached = self._preview
        if cached is not None and cached[0] == key:
            return cached[1:]
        new_hash = next_model_hash(state.model_hash, [[TEXTS[v] for v in row] for row in x_units.tolist()], labels)
        codes = self._encode(labels)
        new_dist = knn.distance_matrix(self._test_w, knn.weighted(x_units, self.weights))
        touched = np.flatnonzero((new_dist < state.nb_dist[:, -1:]).any(axis=1))
        nb_dist, nb_idx, pred, correct = state.nb_dist, state.nb_idx, state.test_pred, state.test_correct
        if touched.size:
            new_idx = np.arange(state.size, state.size + len(x_units), dtype=np.int64)
            d, i = knn.merge(nb_dist[touched], nb_idx[touched], new_dist[touched], new_idx, self.k)
            nb_dist, nb_idx, pred = nb_dist.copy(), nb_idx.copy(), pred.copy()
            nb_dist[touched], nb_idx[touched] = d, i
            old_y, size = state.rows.y, state.size
            pred[touched] = self._predictions(i, lambda idx: np.where(idx >= size, codes[np.clip(idx - size, 0, None)],
                                                                       old_y[np.minimum(idx, size - 1)]))
            correct = int(np.count_nonzero(pred == self._test_codes))
        result: _Advance = (new_hash, nb_dist, nb_idx, pred, correct)
        self._preview = (key, *result)
        return result

    def _extend(self, state: _State, x_units: np.ndarray, labels: Sequence[str]) -> _State:
        """The state after one block's rows, with the rows written after the state's own."""
        new_hash, nb_dist, nb_idx, pred, correct = self._advance(state, x_units, labels)
        if state.rows.n != state.size:
            raise ModelError("the model's rows moved under a commit")  # a bug, never input
        rows = state.rows.append(x_units, self._encode(labels))
        size = state.size + len(x_units)
        if len(state.history_list) != state.updates:
            raise ModelError("the model's history moved under a commit")  # a bug, never input
        state.history_list.append((size, new_hash))
        return _State(rows, size, nb_dist, nb_idx, pred, correct, new_hash, state.history_list, state.updates + 1)

    def _check_point(self, features: Any, label: str) -> list[int]:
        values = check_features(features)
        if label not in self._codes:
            raise InvalidLabel(f"label must be one of {', '.join(self.classes_)}; got {label!r:.40}")
        return values

    def _summary(self, state: _State) -> dict[str, Any]:
        return {"data_points_trained": state.size, "model_hash": state.model_hash,
                "test_correct": state.test_correct, "test_rows": len(self._test_codes)}

    # -- the LedgerModel seam ---------------------------------------------------------
    def genesis_params(self) -> dict[str, Any]:
        """What the network's genesis commits to about this model."""
        return {"base_hash": self.base.base_hash, "classes": list(self.classes_), "k": self.k,
                "weights": [int(w) for w in self.weights]}

    @property
    def state_hash(self) -> str:
        return self.state_.model_hash

    @property
    def data_count(self) -> int:
        return self.state_.size

    def summary(self) -> dict[str, Any]:
        """``MODEL_UPDATE.data`` of the current state."""
        return self._summary(self.state_)

    def preview_update(self, rows: Sequence[Sequence[Any]], labels: Sequence[str]) -> dict[str, Any]:
        """The summary after one block carrying ``rows``/``labels``; the model does not change."""
        checked = [self._check_point(r, label) for r, label in zip(rows, labels, strict=True)]
        state = self.state_
        with self._lock:
            new_hash, _, _, _, correct = self._advance(state, np.asarray(checked, dtype=np.int64), list(labels))
        return {"data_points_trained": state.size + len(checked), "model_hash": new_hash, "test_correct": correct,
                "test_rows": len(self._test_codes)}

    def add_data_point(self, features: Any, label: str) -> bool:
        """Stage one data point for the next commit (the paper's entry point). False, and nothing
        staged, when it is not a valid point."""
        try:
            values = self._check_point(features, label)
        except ModelError:
            return False
        with self._lock:
            self._staged.append((values, label))
        return True

    def commit_data_points(self) -> dict[str, Any]:
        """Fold every staged point into the model as one update: one hash step, all or nothing."""
        with self._lock:
            staged, self._staged = self._staged, []
            if staged:
                x = np.asarray([r for r, _ in staged], dtype=np.int64)
                self.state_ = self._extend(self.state_, x, [label for _, label in staged])
                self._preview = None
        return self.summary()

    def discard_data_points(self) -> None:
        with self._lock:
            self._staged = []

    def fresh(self) -> "IrisModel":
        """A new model in the base state (same base data)."""
        return IrisModel(self.base, self.k)

    def at_size(self, size: int) -> "IrisModel":
        """A new model in the state it had with ``size`` training rows (after some committed
        update, or the base): one vectorised pass over those rows, never a block-by-block refit."""
        state = self.state_
        sizes = [len(self.base.train)] + [s for s, _ in state.history]
        pos = bisect.bisect_left(sizes, size)
        if pos == len(sizes) or sizes[pos] != size:
            raise ModelError(f"the model never had {size} training rows; it had {sizes[-3:]} ...")
        model = IrisModel.__new__(IrisModel)
        model.__dict__.update({k: v for k, v in self.__dict__.items()
                               if k not in ("_lock", "_staged", "_evaluation", "_preview")})
        model._lock, model._staged, model._evaluation, model._preview = threading.Lock(), [], None, None
        history = state.history[:pos]
        model_hash = history[-1][1] if history else base_model_hash(self.base.base_hash, self.k)
        rows = _Rows(state.rows.x[:size], state.rows.y[:size], self.weights)
        model.state_ = self._state_from_rows(rows, size, model_hash, history)
        return model

    def loo_predict(self, row: int) -> str:
        """The leave-one-out prediction of training row ``row``: its neighbours among every other row."""
        state = self.state_
        if not 0 <= row < state.size:
            raise ModelError(f"row must be 0 to {state.size - 1}; got {row}")
        dist = knn.distances(state.rows.xw[:state.size], state.rows.xw[row])
        dist[row] = knn.NO_ROW
        idx = knn.nearest(dist, self.k + 1)
        idx = idx[idx != row][:self.k]
        counts = np.bincount(state.rows.y[idx], minlength=len(self.classes_))
        return self.classes_[int(np.argmax(counts))]

    # -- using the model --------------------------------------------------------------
    def neighbours(self, features: Any) -> list[dict[str, Any]]:
        """The k nearest training rows of a query: row index, integer distance, label."""
        q = np.asarray(check_features(features), dtype=np.int64) * self.weights
        state = self.state_
        dist = knn.distances(state.rows.xw[:state.size], q)
        idx = knn.nearest(dist, self.k)
        return [{"row": int(i), "distance": int(dist[i]), "label": self.classes_[int(state.rows.y[i])]} for i in idx]

    def predict(self, features: Any) -> dict[str, Any]:
        """The predicted class, the share of the k neighbours in each class, and the neighbours."""
        found = self.neighbours(features)
        counts = [sum(1 for n in found if n["label"] == label) for label in self.classes_]
        prediction = self.classes_[int(np.argmax(counts))]
        return {"prediction": prediction,
                "probabilities": {label: round(c / self.k, 6) for label, c in zip(self.classes_, counts, strict=True)},
                "neighbours": found}

    def base_rows(self) -> list[tuple[list[str], str]]:
        """The base training rows as (measurement strings, label), row i at position i."""
        return [(list(row), label) for row, label in zip(self.base.train, self.base.train_labels, strict=True)]

    def row(self, index: int) -> tuple[list[str], str]:
        """Training row ``index`` as (measurement strings, label)."""
        state = self.state_
        if not 0 <= index < state.size:
            raise ModelError(f"row must be 0 to {state.size - 1}; got {index}")
        return [text(int(v)) for v in state.rows.x[index]], self.classes_[int(state.rows.y[index])]

    @property
    def accuracy(self) -> float:
        return self.state_.test_correct / len(self._test_codes)

    def evaluate_model(self) -> dict[str, Any]:
        """Accuracy, per-class metrics and the confusion matrix on the test rows, once per state."""
        state = self.state_
        cached = self._evaluation
        if cached is not None and cached[0] == state.model_hash:
            return cached[1]
        predicted = np.asarray(self.classes_, dtype=object)[state.test_pred]
        truth = list(self.base.test_labels)
        labels = list(self.classes_)
        report = classification_report(truth, list(predicted), labels)
        result = {
            "accuracy": state.test_correct / len(truth),
            "test_correct": state.test_correct,
            "test_rows": len(truth),
            "data_points_trained": state.size,
            "test_samples": len(truth),
            "class_metrics": report,
            "confusion_matrix": {"labels": labels,
                                 "matrix": confusion_matrix(truth, list(predicted), labels)},
            "model_hash": state.model_hash,
        }
        self._evaluation = (state.model_hash, result)
        return result

    def info(self) -> dict[str, Any]:
        state = self.state_
        return {"trained": True, "data_count": state.size, "classes": list(self.classes_),
                "n_neighbors": self.k, "weights": [int(w) for w in self.weights], "model_hash": state.model_hash,
                "test_correct": state.test_correct, "test_rows": len(self._test_codes),
                "accuracy": state.test_correct / len(self._test_codes), "base_data": self.base.name,
                "base_hash": self.base.base_hash}

    # -- snapshots: plain JSON-able data, never pickle ----------------------------------
    def update_history(self) -> list[tuple[int, str]]:
        """``(training rows, model_hash)`` after each committed update, oldest first."""
        return list(self.state_.history)

    def serialize(self) -> dict[str, Any]:
        """The paper's ``serialize``: this model as JSON-safe data (never pickle), namely the
        contributed rows (integer units), their label codes, the training size after each update
        and the model_hash. ``deserialize`` rebuilds it from the base data and checks every hash."""
        state = self.state_
        base_n = len(self.base.train)
        return {
            "format": SNAPSHOT_FORMAT,
            "k": self.k,
            "base_hash": self.base.base_hash,
            "rows": state.rows.x[base_n:state.size].tolist(),
            "labels": state.rows.y[base_n:state.size].tolist(),
            "sizes": [s for s, _ in state.history],
            "model_hash": state.model_hash,
        }

    @classmethod
    def deserialize(cls, data: object, base: Optional[BaseData] = None) -> "IrisModel":
        """The paper's ``deserialize``: a model rebuilt from ``serialize()`` data of ``base`` (the
        Iris base by default). SnapshotError unless the data is exactly that shape (no extra keys,
        whole numbers that are not booleans, known label codes, sizes that match the rows) and every
        model_hash of its history recomputes."""
        base = base if base is not None else iris_base()
        k, rows, labels, sizes, model_hash = check_serialized(data, base)
        model, base_n = cls(base, k), len(base.train)
        expected = base_model_hash(base.base_hash, k)
        history, start = [], 0
        row_texts = [[TEXTS[v] for v in row] for row in rows]
        label_texts = [model.classes_[c] for c in labels]
        for size in sizes:
            end = size - base_n
            expected = next_model_hash(expected, row_texts[start:end], label_texts[start:end])
            history.append((size, expected))
            start = end
        if expected != model_hash:
            raise SnapshotError(f"snapshot model_hash must be the recomputed {expected}; got {model_hash!r:.80}")
        x = np.asarray(rows, dtype=np.int64).reshape(-1, N_FEATURES)
        all_rows = _Rows(np.vstack([base.train_units, x]),
                         np.concatenate([model._encode(base.train_labels), np.asarray(labels, dtype=np.int64)]),
                         model.weights)
        model.state_ = model._state_from_rows(all_rows, base_n + len(rows), expected, history)
        return model

    # The chain's port (blockchain/model_port.py) calls them snapshot and restore.
    def snapshot(self) -> dict[str, Any]:
        """``serialize()``: this model as plain JSON-able data."""
        return self.serialize()

    def restore(self, data: object) -> "IrisModel":
        """``deserialize(data)`` for this model's base data and k."""
        if isinstance(data, dict) and data.get("k") != self.k:
            raise SnapshotError("snapshot must be of this model's base data and k")
        return type(self).deserialize(data, base=self.base)

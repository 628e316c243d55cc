"""IrisModel: a KNN classifier (k=3) on standardised features, trained from a base data set
plus every accepted contribution, with the model_hash commitments of PROTOCOL.md.

Learned state changes only through ``commit_data_points`` (one block's points, all or nothing);
``add_data_point`` merely stages a point. A fitted state is an immutable snapshot swapped in
with one assignment, so predictions from other threads always see a whole model.
"""
from __future__ import annotations

import math
import threading
from typing import Optional, Sequence

import numpy as np
from sklearn.metrics import classification_report, confusion_matrix
from sklearn.neighbors import KDTree, KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

from .base import FEATURE_NAMES, N_FEATURES, BaseData, BaseDataError, iris_base
from .hashing import base_model_hash, next_model_hash


class ModelError(ValueError):
    """Root of the errors ``ml`` raises for bad input."""


class InvalidFeatures(ModelError):
    pass


class InvalidLabel(ModelError):
    pass


class SnapshotError(ModelError):
    """A snapshot that is malformed or does not match the model_hash it carries."""


SNAPSHOT_FORMAT = "iris-chain-model/1"


class _Fitted:
    """One fitted state, never changed after it is made (the KNN is built on first use)."""

    __slots__ = ("model_hash", "x", "y", "scaler", "accuracy", "test_pred", "_knn", "_tree", "_n_neighbors")

    def __init__(self, model_hash: str, x: np.ndarray, y: np.ndarray, scaler: StandardScaler, accuracy: float,
                 test_pred: np.ndarray, n_neighbors: int) -> None:
        self.model_hash, self.x, self.y, self.scaler = model_hash, x, y, scaler
        self.accuracy, self.test_pred, self._n_neighbors = accuracy, test_pred, n_neighbors
        self._knn: Optional[KNeighborsClassifier] = None
        self._tree: Optional[KDTree] = None

    def neighbour_counts(self, scaled: np.ndarray, n_classes: int) -> np.ndarray:
        """Per query, how many of the k nearest training rows are in each class: exactly what
        ``KNeighborsClassifier.predict_proba`` counts (see ``vote_counts``)."""
        k = self._n_neighbors
        if k >= self.x.shape[0] // 2:
            return np.rint(self.knn.predict_proba(scaled) * k).astype(np.int64)
        tree = self._tree
        if tree is None:
            tree = self._tree = KDTree(self.scaler.transform(self.x), leaf_size=30, metric="euclidean")
        return vote_counts(tree, self.y, scaled, k, n_classes)

    @property
    def knn(self) -> KNeighborsClassifier:
        """``KNeighborsClassifier(n_neighbors)`` on the scaled rows, built once, when first needed."""
        knn = self._knn
        if knn is None:
            knn = KNeighborsClassifier(n_neighbors=self._n_neighbors).fit(self.scaler.transform(self.x), self.y)
            self._knn = knn
        return knn


def vote_counts(tree: KDTree, train_codes: np.ndarray, queries: np.ndarray, k: int, n_classes: int) -> np.ndarray:
    """Per query, the classes of its k nearest training rows, counted (one row per query)."""
    neighbours = tree.query(queries, k=k, return_distance=False)
    counts = np.zeros((len(queries), n_classes), dtype=np.int64)
    np.add.at(counts, (np.repeat(np.arange(len(queries)), k), train_codes[neighbours].ravel()), 1)
    return counts


def knn_predict_codes(train_scaled: np.ndarray, train_codes: np.ndarray, queries: np.ndarray, k: int,
                      n_classes: int) -> np.ndarray:
    """What ``KNeighborsClassifier(k).fit(train_scaled, train_codes).predict(queries)`` answers.

    For 4 features and more than 2k rows scikit-learn's default ("auto") uses a KD-tree
    (leaf_size 30, euclidean) and, among the k neighbours, the smallest most frequent class.
    The same KDTree and the same rule are used here without the estimator's per-call overhead,
    which dominates a chain replay. Smaller sets go through the estimator itself.
    tests/unit/test_model.py checks the equivalence on data full of ties.
    """
    if k >= train_scaled.shape[0] // 2:
        return KNeighborsClassifier(n_neighbors=k).fit(train_scaled, train_codes).predict(queries)
    tree = KDTree(train_scaled, leaf_size=30, metric="euclidean")
    return np.argmax(vote_counts(tree, train_codes, queries, k, n_classes), axis=1)  # first max: smallest class


def check_features(features) -> list[float]:
    """Four finite numbers (not booleans, not strings), as floats."""
    if isinstance(features, (str, bytes)) or not isinstance(features, Sequence) and not isinstance(features, np.ndarray):
        raise InvalidFeatures(f"features must be a sequence of {N_FEATURES} numbers; got {type(features).__name__}")
    values = list(features)
    if len(values) != N_FEATURES:
        raise InvalidFeatures(f"features must have {N_FEATURES} values {FEATURE_NAMES}; got {len(values)}")
    out = []
    for name, v in zip(FEATURE_NAMES, values):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise InvalidFeatures(f"{name} must be a number; got {v!r:.40}")
        v = float(v)
        if not math.isfinite(v):
            raise InvalidFeatures(f"{name} must be finite; got {v}")
        out.append(v)
    return out


class IrisModel:
    """The collaboratively trained classifier of one chain."""

    def __init__(self, n_neighbors: int = 3, base: Optional[BaseData] = None) -> None:
        self.n_neighbors = n_neighbors
        self.base = base if base is not None else iris_base()
        self.classes_ = tuple(sorted(set(self.base.train_labels)))
        self._codes = {label: code for code, label in enumerate(self.classes_)}
        if len(self.base.train_rows) < n_neighbors:
            raise BaseDataError(f"base data must have at least {n_neighbors} training rows; got {len(self.base.train_rows)}")
        self._test_x = np.asarray(self.base.test_rows, dtype=float)
        self._test_labels = np.asarray(self.base.test_labels, dtype=object)
        self._test_codes = np.asarray([self._codes.get(label, -1) for label in self.base.test_labels], dtype=np.int64)
        self._lock = threading.Lock()
        self._staged: list[tuple[list[float], str]] = []
        self._preview: Optional[tuple[str, _Fitted]] = None  # (parent hash, fitted) of the last preview
        self._evaluation: Optional[tuple[str, dict]] = None
        self.updates_: list[tuple[list[list[float]], list[str]]] = []  # one (rows, labels) per committed block
        self.hashes_: list[str] = []  # model_hash after each of updates_
        base_hash = base_model_hash(n_neighbors, [list(r) for r in self.base.train_rows], self.base.train_labels)
        self.fitted_ = self._fit(base_hash, np.asarray(self.base.train_rows, dtype=float),
                                 self._encode(self.base.train_labels))

    # -- fitting ----------------------------------------------------------------------
    def _encode(self, labels) -> np.ndarray:
        return np.asarray([self._codes[label] for label in labels], dtype=np.int64)

    def _fit(self, model_hash: str, x: np.ndarray, codes: np.ndarray) -> _Fitted:
        scaler = StandardScaler().fit(x)
        predicted = knn_predict_codes(scaler.transform(x), codes, scaler.transform(self._test_x), self.n_neighbors,
                                      len(self.classes_))
        accuracy = round(float(np.mean(predicted == self._test_codes)), 6)
        return _Fitted(model_hash, x, codes, scaler, accuracy, predicted, self.n_neighbors)

    def _fit_with(self, rows: Sequence[Sequence[float]], labels: Sequence[str]) -> _Fitted:
        current = self.fitted_
        new_hash = next_model_hash(current.model_hash, rows, labels)
        cached = self._preview
        if cached is not None and cached[0] == current.model_hash and cached[1].model_hash == new_hash:
            return cached[1]
        x = np.vstack([current.x, np.asarray(rows, dtype=float)])
        y = np.concatenate([current.y, self._encode(labels)])
        return self._fit(new_hash, x, y)

    def _check_point(self, features, label) -> list[float]:
        values = check_features(features)
        if label not in self.classes_:
            raise InvalidLabel(f"label must be one of {', '.join(self.classes_)}; got {label!r:.40}")
        return values

    # -- the LedgerModel seam ---------------------------------------------------------
    @property
    def state_hash(self) -> str:
        return self.fitted_.model_hash

    @property
    def data_count(self) -> int:
        return len(self.fitted_.y)

    def summary(self) -> dict:
        fitted = self.fitted_
        return {"data_points_trained": len(fitted.y), "model_hash": fitted.model_hash,
                "accuracy": fitted.accuracy}

    def preview_update(self, rows: Sequence[Sequence[float]], labels: Sequence[str]) -> dict:
        """The summary after one block carrying ``rows``/``labels``; the model does not change."""
        checked = [self._check_point(r, label) for r, label in zip(rows, labels, strict=True)]
        with self._lock:
            fitted = self._fit_with(checked, list(labels))
            self._preview = (self.fitted_.model_hash, fitted)
        return {"data_points_trained": len(fitted.y), "model_hash": fitted.model_hash,
                "accuracy": fitted.accuracy}

    def add_data_point(self, features, label) -> bool:
        """Stage one data point for the next commit. False (nothing staged) when it is not valid."""
        try:
            values = self._check_point(features, label)
        except ModelError:
            return False
        with self._lock:
            self._staged.append((values, label))
        return True

    def commit_data_points(self) -> dict:
        """Fold every staged point into the model as one update (one hash step, one refit)."""
        with self._lock:
            staged, self._staged = self._staged, []
            if staged:
                rows, labels = [r for r, _ in staged], [label for _, label in staged]
                self.fitted_ = self._fit_with(rows, labels)
                self.updates_.append((rows, labels))
                self.hashes_.append(self.fitted_.model_hash)
                self._preview = None
        return self.summary()

    def discard_data_points(self) -> None:
        with self._lock:
            self._staged = []

    def fresh(self) -> "IrisModel":
        return IrisModel(self.n_neighbors, self.base)

    # -- using the model --------------------------------------------------------------
    def predict(self, features) -> tuple[str, dict[str, float]]:
        """The predicted class and the share of the k neighbours in each class."""
        values = check_features(features)
        fitted = self.fitted_
        counts = fitted.neighbour_counts(fitted.scaler.transform(np.asarray([values])), len(self.classes_))[0]
        probabilities = {label: round(float(c) / self.n_neighbors, 6) for label, c in zip(self.classes_, counts)}
        return self.classes_[int(np.argmax(counts))], probabilities

    def evaluate_model(self) -> dict:
        """Accuracy and per-class metrics on the held-out test rows, computed once per model state."""
        fitted = self.fitted_
        cached = self._evaluation
        if cached is not None and cached[0] == fitted.model_hash:
            return cached[1]
        predicted = np.asarray(self.classes_, dtype=object)[fitted.test_pred]
        labels = list(self.classes_)
        report = classification_report(self._test_labels, predicted, labels=labels, output_dict=True, zero_division=0)
        result = {
            "accuracy": fitted.accuracy,
            "data_points_trained": len(fitted.y),
            "test_samples": len(self._test_labels),
            "class_metrics": report,
            "confusion_matrix": {"labels": labels,
                                 "matrix": confusion_matrix(self._test_labels, predicted, labels=labels).tolist()},
            "model_hash": fitted.model_hash,
        }
        self._evaluation = (fitted.model_hash, result)
        return result

    def info(self) -> dict:
        fitted = self.fitted_
        return {"trained": True, "data_count": len(fitted.y), "classes": list(self.classes_),
                "n_neighbors": self.n_neighbors, "model_hash": fitted.model_hash,
                "accuracy": fitted.accuracy, "base_data": self.base.name}

    # -- snapshots: plain JSON-able data, never pickle ----------------------------------
    def snapshot(self) -> dict:
        """LedgerModel seam: this model as plain data (``serialize``)."""
        return self.serialize()

    def restore(self, data) -> "IrisModel":
        """LedgerModel seam: a verified model from ``snapshot()`` data of this same base and k."""
        model = IrisModel.deserialize(data)
        if model.base != self.base or model.n_neighbors != self.n_neighbors:
            raise SnapshotError("snapshot must be of this model's base data and n_neighbors")
        return model

    def update_history(self) -> list[tuple[list[list[float]], list[str], str, int]]:
        """(rows, labels, model_hash after, data points after) for every committed update."""
        out, count = [], len(self.base.train_rows)
        for (rows, labels), model_hash in zip(self.updates_, self.hashes_):
            count += len(rows)
            out.append((rows, labels, model_hash, count))
        return out

    def serialize(self) -> dict:
        """Everything needed to rebuild this model and to re-check its model_hash, as plain data."""
        fitted = self.fitted_
        return {
            "format": SNAPSHOT_FORMAT,
            "n_neighbors": self.n_neighbors,
            "base": {"name": self.base.name, **self.base.to_dict()},
            "updates": [{"features": rows, "labels": labels} for rows, labels in self.updates_],
            "data_count": len(fitted.y),
            "model_hash": fitted.model_hash,
            "accuracy": fitted.accuracy,
        }

    @classmethod
    def deserialize(cls, data) -> "IrisModel":
        """Rebuild a model from ``serialize()`` output; SnapshotError unless its model_hash recomputes.

        The hash chain is recomputed over the base and every update, and the model is fitted
        once on the resulting training set, so it predicts exactly like the original.
        """
        if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
            raise SnapshotError(f"snapshot must be an object with format {SNAPSHOT_FORMAT!r}")
        try:
            base_data = dict(data["base"])
            name = base_data.pop("name", "custom")
            base = BaseData.from_dict(base_data, name=name)
            model = cls(int(data["n_neighbors"]), base)
            updates = data["updates"]
            if not isinstance(updates, list):
                raise SnapshotError("snapshot updates must be a list")
            model_hash = model.fitted_.model_hash
            x, y = [model.fitted_.x], [model.fitted_.y]
            for i, update in enumerate(updates):
                rows = [model._check_point(r, label) for r, label in zip(update["features"], update["labels"], strict=True)]
                labels = list(update["labels"])
                if not rows:
                    raise SnapshotError(f"snapshot update {i} must carry at least one data point")
                model_hash = next_model_hash(model_hash, rows, labels)
                model.updates_.append((rows, labels))
                model.hashes_.append(model_hash)
                x.append(np.asarray(rows, dtype=float))
                y.append(model._encode(labels))
        except SnapshotError:
            raise
        except (KeyError, TypeError, ValueError, BaseDataError) as exc:
            raise SnapshotError(f"snapshot is malformed: {exc}") from None
        if model_hash != data.get("model_hash"):
            raise SnapshotError(f"snapshot model_hash must be the recomputed {model_hash}; got {data.get('model_hash')!r:.80}")
        if updates:
            model.fitted_ = model._fit(model_hash, np.vstack(x), np.concatenate(y))
        if data.get("data_count") != model.data_count or data.get("accuracy") != model.fitted_.accuracy:
            raise SnapshotError("snapshot data_count and accuracy must match the rebuilt model")
        return model

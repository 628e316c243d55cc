"""Training for jobs: scikit-learn models turned into the integer kinds of ``ml/kinds.py``, exactly.

A worker trains with floats and reveals integers, and only the integers are scored. So each
conversion says how close it is:

- ``LogisticRegression`` -> ``linear``: the float model's class scores ``W x + b`` (a scaler folded
  in, so ``x`` is the integer features as they are) are multiplied by the largest factor that keeps
  every weight within 10^9 and every bias within 10^15, and rounded. The argmax of the integer
  scores is the float model's except where two classes were within a rounding error of each other;
  ``agreement`` reports how often it is the same on the rows given.
- ``DecisionTreeClassifier`` -> ``tree``: sklearn's node list is already depth first, children after
  their parent; a split ``x <= t`` on a float ``t`` is, on integer features, ``x <= floor(t)``, so the
  integer tree predicts exactly what the float tree predicts (``agreement`` 1.0 on any rows).
- ``knn``: a chosen subset of the training rows (at most 128 rows and 1,024 values), weights ``~ 1/std``
  of each feature scaled to the bound on their squares, and ``k``; the subset and ``k`` are the best
  of a few candidates on a validation split of the training rows. It is integers from the start
  (``agreement`` None).

Every model is checked with ``kinds.check_model`` before it is returned, and its validation score is
``kinds.score`` on rows the fit did not see. Knows nothing of the chain.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from . import kinds


class TrainingError(ValueError):
    """The data cannot be trained on (out of bounds, too few rows); the message says why."""


@dataclass(frozen=True)
class Trained:
    """An integer model and what is known of it before any test set is seen."""

    kind: str
    model: dict[str, Any]
    fit_rows: int                 # rows the model was fitted on
    validation_rows: int          # rows held out from the fit
    validation_correct: int       # kinds.score of the integer model on them
    agreement: float | None       # linear/tree: share of all given rows where integer and float agree
    held_out: tuple[int, ...] = ()  # the indices (into the rows given) of the validation rows

    @property
    def validation_accuracy(self) -> float:
        return self.validation_correct / self.validation_rows if self.validation_rows else 0.0


def _check_data(rows: np.ndarray, labels: np.ndarray, classes: int) -> None:
    if rows.ndim != 2 or len(rows) < 2 or rows.shape[1] < 1:
        raise TrainingError("training needs at least 2 rows of at least 1 feature")
    if len(labels) != len(rows):
        raise TrainingError(f"{len(rows)} rows but {len(labels)} labels")
    if rows.shape[1] > kinds.MAX_FEATURES or not kinds.MIN_CLASSES <= classes <= kinds.MAX_CLASSES:
        raise TrainingError(f"a job has at most {kinds.MAX_FEATURES} features and {kinds.MIN_CLASSES} to "
                            f"{kinds.MAX_CLASSES} classes")
    if np.abs(rows).max() > kinds.MAX_ABS_FEATURE:
        raise TrainingError(f"feature values must be integers from {-kinds.MAX_ABS_FEATURE} to {kinds.MAX_ABS_FEATURE}")
    if labels.min() < 0 or labels.max() >= classes:
        raise TrainingError(f"labels must be class indices 0 to {classes - 1}")


def _as_arrays(rows: Sequence[Sequence[int]], labels: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(rows, dtype=np.int64)
    y = np.asarray(labels, dtype=np.int64)
    return x.reshape(len(x), -1), y


# -- linear -----------------------------------------------------------------------------------------

def linear_from_sklearn(clf: Any, classes: int, mean: np.ndarray | None = None,
                        scale: np.ndarray | None = None) -> dict[str, Any]:
    """A fitted ``LogisticRegression`` (on features standardised by ``mean`` and ``scale``, if given)
    as a ``linear`` model on the raw integer features of ``classes`` classes."""
    coef = np.asarray(clf.coef_, dtype=np.float64)
    intercept = np.asarray(clf.intercept_, dtype=np.float64)
    present = [int(c) for c in clf.classes_]
    if len(present) == 2 and coef.shape[0] == 1:   # binary: class 1 iff w x + b > 0; class 0 scores 0
        coef = np.vstack([np.zeros_like(coef[0]), coef[0]])
        intercept = np.array([0.0, intercept[0]])
    if scale is not None:                           # w (x - mu) / s + b = (w / s) x + (b - w . mu / s)
        coef = coef / scale
        intercept = intercept - coef @ (mean if mean is not None else np.zeros(coef.shape[1]))
    features = coef.shape[1]
    top_w, top_b = float(np.abs(coef).max()), float(np.abs(intercept).max())
    factor = min(kinds.MAX_ABS_WEIGHT / top_w if top_w else math.inf,
                 (kinds.MAX_ABS_BIAS - 1) / top_b if top_b else math.inf)
    if not math.isfinite(factor):
        factor = 1.0
    cap_b = kinds.MAX_ABS_BIAS - 1
    weights = [[0] * features for _ in range(classes)]
    bias = [0] * classes
    for row, c in enumerate(present):
        weights[c] = [max(-kinds.MAX_ABS_WEIGHT, min(kinds.MAX_ABS_WEIGHT, int(round(v * factor))))
                      for v in coef[row]]
        bias[c] = max(-cap_b, min(cap_b, int(round(intercept[row] * factor))))
    first = present[0]
    for c in range(classes):   # a class never seen in training scores 1 below the first seen: it never wins
        if c not in present:
            weights[c], bias[c] = list(weights[first]), bias[first] - 1
    return {"kind": "linear", "weights": weights, "bias": bias}


def _fit_linear(x: np.ndarray, y: np.ndarray, classes: int, seed: int) -> tuple[dict[str, Any], Any]:
    from sklearn.linear_model import LogisticRegression

    if len(set(y.tolist())) < 2:
        only = int(y[0])
        bias = [-kinds.MAX_ABS_BIAS] * classes
        bias[only] = 0
        return {"kind": "linear", "weights": [[0] * x.shape[1] for _ in range(classes)], "bias": bias}, None
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    clf = LogisticRegression(max_iter=2000, random_state=seed)
    clf.fit((x - mean) / scale, y)

    def float_predict(rows: np.ndarray) -> np.ndarray:
        return np.asarray(clf.predict((rows - mean) / scale))
    return linear_from_sklearn(clf, classes, mean, scale), float_predict


# -- tree -------------------------------------------------------------------------------------------

def tree_from_sklearn(clf: Any) -> dict[str, Any]:
    """A fitted ``DecisionTreeClassifier`` (labels are class indices) as a ``tree`` model: ``x <= t``
    becomes ``x <= floor(t)``, exact on integer features."""
    t = clf.tree_
    present = [int(c) for c in clf.classes_]
    nodes: list[list[int]] = []
    for i in range(t.node_count):
        left, right = int(t.children_left[i]), int(t.children_right[i])
        if left == -1:
            nodes.append([present[int(np.argmax(t.value[i][0]))]])
            continue
        if not (left > i and right > i):
            raise TrainingError("the tree's children do not come after their parent")  # sklearn's order
        threshold = math.floor(float(t.threshold[i]))
        threshold = max(-kinds.MAX_ABS_THRESHOLD, min(kinds.MAX_ABS_THRESHOLD, threshold))
        nodes.append([int(t.feature[i]), threshold, left, right])
    return {"kind": "tree", "nodes": nodes}


def _fit_tree(x: np.ndarray, y: np.ndarray, classes: int, seed: int,
              max_depth: int | None = None) -> tuple[dict[str, Any], Any]:
    from sklearn.tree import DecisionTreeClassifier

    depth = min(max_depth or kinds.MAX_DEPTH, kinds.MAX_DEPTH)
    clf = DecisionTreeClassifier(max_depth=depth, max_leaf_nodes=(kinds.MAX_NODES + 1) // 2, random_state=seed)
    clf.fit(x, y)
    return tree_from_sklearn(clf), lambda rows: np.asarray(clf.predict(rows))


# -- knn --------------------------------------------------------------------------------------------

def knn_weights(x: np.ndarray) -> list[int]:
    """``w_j ~ 1 / std_j`` (0 for a constant feature), scaled so that ``sum w_j^2`` is at most the bound."""
    std = x.std(axis=0)
    inverse = np.where(std > 0, 1.0 / np.where(std > 0, std, 1.0), 0.0)
    total = float((inverse ** 2).sum())
    if total == 0:
        return [1] * x.shape[1]
    c = math.sqrt(kinds.MAX_KNN_WEIGHT_SQUARES / total)
    weights = [int(math.floor(c * v)) for v in inverse]
    while sum(w * w for w in weights) > kinds.MAX_KNN_WEIGHT_SQUARES:   # floor keeps it below; be sure
        weights = [max(0, w - 1) for w in weights]
    return weights if any(weights) else [1] * x.shape[1]


def _knn_candidates(x: np.ndarray, y: np.ndarray, most: int, rng: np.random.Generator,
                    tries: int) -> list[np.ndarray]:
    """Row subsets of at most ``most`` rows: all of them if they fit, else per-class prototypes
    (the row nearest each k-means centre of its class, rows shared by class size) and stratified samples."""
    n = len(x)
    if n <= most:
        return [np.arange(n)]
    present = sorted(set(y.tolist()))
    counts = np.array([(y == c).sum() for c in present], dtype=np.float64)
    share = np.maximum(1, np.floor(counts / counts.sum() * most)).astype(int)
    while share.sum() > most:
        share[int(np.argmax(share))] -= 1
    out = []
    from sklearn.cluster import KMeans

    proto = []
    for c, m in zip(present, share, strict=True):
        members = np.flatnonzero(y == c)
        if m <= 0:
            continue
        if len(members) <= m:
            proto.extend(members.tolist())
            continue
        km = KMeans(n_clusters=int(m), n_init=3, random_state=int(rng.integers(2**31))).fit(x[members])
        for centre in km.cluster_centers_:
            d = ((x[members] - centre) ** 2).sum(axis=1)
            proto.append(int(members[int(np.argmin(d))]))
    out.append(np.array(sorted(set(proto)), dtype=np.int64))
    for _ in range(tries):
        pick: list[int] = []
        for c, m in zip(present, share, strict=True):
            members = np.flatnonzero(y == c)
            pick.extend(rng.choice(members, size=min(int(m), len(members)), replace=False).tolist())
        out.append(np.array(sorted(pick), dtype=np.int64))
    return out


def _fit_knn(x: np.ndarray, y: np.ndarray, classes: int, seed: int, tries: int = 6) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    most = min(kinds.MAX_KNN_ROWS, kinds.MAX_KNN_CELLS // x.shape[1])
    weights = knn_weights(x)
    # choose the subset and k on an inner split of the fit rows (all rows when there are few)
    order = rng.permutation(len(x))
    inner = max(1, len(x) // 5) if len(x) >= 10 else 0
    check, pool = (order[:inner], order[inner:]) if inner else (order, order)
    best: tuple[int, dict[str, Any]] | None = None
    for subset in _knn_candidates(x[pool], y[pool], most, rng, tries):
        rows = x[pool][subset]
        labels = y[pool][subset]
        for k in (1, 3, 5, 7):
            if k > len(rows):
                break
            model = {"kind": "knn", "rows": rows.tolist(), "labels": [int(v) for v in labels],
                     "weights": weights, "k": k}
            s = kinds.score(model, x[check], y[check].tolist())
            if best is None or s > best[0]:
                best = (s, model)
    assert best is not None
    return best[1]


# -- the entry point --------------------------------------------------------------------------------

def _split(y: np.ndarray, fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (fit, validation): ``fraction`` of each class held out, at least one row kept to fit."""
    fit, held = [], []
    for c in sorted(set(y.tolist())):
        members = rng.permutation(np.flatnonzero(y == c))
        n_held = int(round(len(members) * fraction)) if len(members) > 1 else 0
        held.extend(members[:n_held].tolist())
        fit.extend(members[n_held:].tolist())
    return np.array(sorted(fit), dtype=np.int64), np.array(sorted(held), dtype=np.int64)


def train(kind: str, rows: Sequence[Sequence[int]], labels: Sequence[int], classes: int, *,
          validation: float = 0.2, seed: int = 0, max_depth: int | None = None) -> Trained:
    """Fit a model of ``kind`` on integer ``rows`` and class-index ``labels``, holding out
    ``validation`` of each class to score it; the model is checked by ``kinds.check_model``."""
    if kind not in kinds.KINDS:
        raise TrainingError(f"kind must be one of {', '.join(kinds.KINDS)}; got {kind!r}")
    if not 0 <= validation < 1:
        raise TrainingError("validation must be a fraction from 0 to below 1")
    x, y = _as_arrays(rows, labels)
    _check_data(x, y, classes)
    rng = np.random.default_rng(seed)
    fit, held = _split(y, validation, rng)
    float_predict = None
    if kind == "linear":
        model, float_predict = _fit_linear(x[fit], y[fit], classes, seed)
    elif kind == "tree":
        model, float_predict = _fit_tree(x[fit], y[fit], classes, seed, max_depth)
    else:
        model = _fit_knn(x[fit], y[fit], classes, seed)
    problem = kinds.check_model(kind, model, x.shape[1], classes)
    if problem:
        raise TrainingError(f"the converted model is not well formed: {problem}")  # a bug: say so loudly
    agreement = None
    if kind != "knn":
        if float_predict is None:
            agreement = 1.0
        else:
            agreement = float(np.mean(np.asarray(kinds.predict_all(model, x)) == float_predict(x)))
    correct = kinds.score(model, x[held], y[held].tolist()) if len(held) else 0
    return Trained(kind, model, len(fit), len(held), correct, agreement, tuple(int(i) for i in held))


__all__ = ["Trained", "TrainingError", "train", "linear_from_sklearn", "tree_from_sklearn", "knn_weights"]

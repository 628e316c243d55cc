"""The model kinds of training jobs (PROTOCOL.md "Version 3: training jobs"): exact integer inference.

A model is a JSON object of integers and lists, one of three kinds:

- ``{"kind": "linear", "weights": [[C x F]], "bias": [C]}``: class scores ``bias[c] + sum_j
  weights[c][j] * x[j]``; the largest wins, a tie goes to the lowest class index;
- ``{"kind": "tree", "nodes": [...]}``: node 0 is the root; an internal node is ``[feature,
  threshold, left, right]`` (``x[feature] <= threshold`` goes to ``left``), a leaf is ``[class]``;
  children have larger indices than their parent, so the tree is acyclic;
- ``{"kind": "knn", "rows": [[F]], "labels": [...], "weights": [F], "k": k}``: the network's rule
  (distance ``sum_j (w_j (a_j - b_j))^2``, the k rows of smallest ``(distance, row index)``, the
  class with the most of them, a tie to the lowest class index).

The bounds below keep every intermediate value below 2^53 in absolute value (so a browser's
numbers are exact) and the settlement of the largest job the protocol allows fast; PROTOCOL.md
gives the arithmetic. ``predict`` is the reference (plain Python integers); ``predict_all`` and
``score`` compute the same for many rows at once (linear and knn in numpy int64, where nothing can
overflow under these bounds; a tree by the reference walk, at most 32 steps a row).

Knows nothing of the chain: pure functions on integers and lists.
"""
from __future__ import annotations

import re
from typing import Any, Sequence

import numpy as np

from .hashing import canon, sha256_hex

KINDS = ("linear", "tree", "knn")
MIN_FEATURES, MAX_FEATURES = 1, 256
MIN_CLASSES, MAX_CLASSES = 2, 16
MAX_ABS_FEATURE = 10_000            # every feature value x: -10^4 <= x <= 10^4
MAX_TEST_ROWS = 256                 # a test set has 1 to 256 rows ...
MAX_TEST_CELLS = 16_384             # ... and rows x features <= 2^14
MAX_ABS_WEIGHT = 10**9              # linear weights
MAX_ABS_BIAS = 10**15               # linear bias
MAX_NODES, MAX_DEPTH = 4096, 32     # tree
MAX_ABS_THRESHOLD = MAX_ABS_FEATURE
MAX_KNN_ROWS, MAX_KNN_CELLS, MAX_K = 128, 1024, 32
MAX_KNN_WEIGHT_SQUARES = 2 * 10**7  # knn: sum_j w_j^2, each w_j >= 0
LARGEST_MODEL_BYTES = 94_215       # canon(model) of the largest model these bounds allow (a tree)
LARGEST_TEST_BYTES = 116_063        # canon(test set) of the largest test set
SALT = re.compile(r"[0-9a-f]{64}")
LIMIT = 2**53

_KEYS = {"linear": {"kind", "weights", "bias"}, "tree": {"kind", "nodes"},
         "knn": {"kind", "rows", "labels", "weights", "k"}}


def _is_int(v: object, lo: int, hi: int) -> bool:
    return type(v) is int and lo <= v <= hi


def _int_list(v: object, n: int, lo: int, hi: int) -> bool:
    return type(v) is list and len(v) == n and all(_is_int(x, lo, hi) for x in v)


def _matrix_problem(name: str, rows: object, width: int, lo: int, hi: int, most: int) -> str | None:
    if type(rows) is not list or not 1 <= len(rows) <= most:
        return f"{name} must be a list of 1 to {most} rows"
    for i, row in enumerate(rows):
        if not _int_list(row, width, lo, hi):
            return f"{name}[{i}] must be a list of {width} integers from {lo} to {hi}"
    return None


def _linear_problem(model: dict[str, Any], features: int, classes: int) -> str | None:
    weights, bias = model["weights"], model["bias"]
    if type(weights) is not list or len(weights) != classes:
        return f"weights must have one row per class ({classes})"
    problem = _matrix_problem("weights", weights, features, -MAX_ABS_WEIGHT, MAX_ABS_WEIGHT, classes)
    if problem:
        return problem
    if not _int_list(bias, classes, -MAX_ABS_BIAS, MAX_ABS_BIAS):
        return f"bias must be a list of {classes} integers from {-MAX_ABS_BIAS} to {MAX_ABS_BIAS}"
    return None


def _tree_problem(model: dict[str, Any], features: int, classes: int) -> str | None:
    nodes = model["nodes"]
    if type(nodes) is not list or not 1 <= len(nodes) <= MAX_NODES:
        return f"nodes must be a list of 1 to {MAX_NODES} nodes"
    n = len(nodes)
    for i, node in enumerate(nodes):
        if type(node) is not list or len(node) not in (1, 4):
            return f"nodes[{i}] must be [class] or [feature, threshold, left, right]"
        if len(node) == 1:
            if not _is_int(node[0], 0, classes - 1):
                return f"nodes[{i}]: a leaf's class must be 0 to {classes - 1}"
            continue
        feature, threshold, left, right = node
        if not _is_int(feature, 0, features - 1):
            return f"nodes[{i}]: feature must be 0 to {features - 1}"
        if not _is_int(threshold, -MAX_ABS_THRESHOLD, MAX_ABS_THRESHOLD):
            return f"nodes[{i}]: threshold must be {-MAX_ABS_THRESHOLD} to {MAX_ABS_THRESHOLD}"
        if not (_is_int(left, i + 1, n - 1) and _is_int(right, i + 1, n - 1)):
            return f"nodes[{i}]: children must be nodes {i + 1} to {n - 1} (after their parent)"
    if tree_depth(nodes) > MAX_DEPTH:
        return f"the tree is deeper than {MAX_DEPTH}"
    return None


def tree_depth(nodes: Sequence[Sequence[int]]) -> int:
    """The most internal nodes on a path from node 0 to a leaf (a well-formed node list)."""
    depth = [0] * len(nodes)
    for i in range(len(nodes) - 1, -1, -1):
        node = nodes[i]
        if len(node) == 4:
            depth[i] = 1 + max(depth[node[2]], depth[node[3]])
    return depth[0]


def _knn_problem(model: dict[str, Any], features: int, classes: int) -> str | None:
    rows, labels, weights, k = model["rows"], model["labels"], model["weights"], model["k"]
    most = min(MAX_KNN_ROWS, MAX_KNN_CELLS // features)
    problem = _matrix_problem("rows", rows, features, -MAX_ABS_FEATURE, MAX_ABS_FEATURE, most)
    if problem:
        return problem
    if not _int_list(labels, len(rows), 0, classes - 1):
        return f"labels must be a list of {len(rows)} class indices (0 to {classes - 1})"
    if not _int_list(weights, features, 0, MAX_KNN_WEIGHT_SQUARES):
        return f"weights must be a list of {features} integers >= 0"
    if sum(w * w for w in weights) > MAX_KNN_WEIGHT_SQUARES:
        return f"the weights' squares must sum to at most {MAX_KNN_WEIGHT_SQUARES}"
    if not _is_int(k, 1, min(MAX_K, len(rows))):
        return f"k must be 1 to {min(MAX_K, len(rows))}"
    return None


_CHECKS = {"linear": _linear_problem, "tree": _tree_problem, "knn": _knn_problem}


def check_model(kind: str, model: object, features: int, classes: int) -> str | None:
    """The first problem of ``model`` as a model of ``kind`` on ``features`` and ``classes``, or None."""
    if kind not in _CHECKS:
        return f"kind must be one of {', '.join(KINDS)}"
    if not _is_int(features, MIN_FEATURES, MAX_FEATURES) or not _is_int(classes, MIN_CLASSES, MAX_CLASSES):
        return f"a job has {MIN_FEATURES} to {MAX_FEATURES} features and {MIN_CLASSES} to {MAX_CLASSES} classes"
    if type(model) is not dict or set(model) != _KEYS[kind] or model.get("kind") != kind:
        return f"a {kind} model has exactly the keys {', '.join(sorted(_KEYS[kind]))} and kind {kind!r}"
    return _CHECKS[kind](model, features, classes)


def check_reveal(kind: str, data: object, features: int, classes: int) -> str | None:
    """The first problem of a ``JOB_MODEL``'s ``data`` ``{"model", "salt"}``, or None (the commitment
    is checked by whoever knows it: ``model_commitment(data["model"], data["salt"])``)."""
    if type(data) is not dict or set(data) != {"model", "salt"}:
        return "a model reveal has exactly the keys model, salt"
    if type(data["salt"]) is not str or SALT.fullmatch(data["salt"]) is None:
        return "salt must be 64 lowercase hex characters"
    return check_model(kind, data["model"], features, classes)


def check_test_set(test: object, features: int, classes: int, rows: int) -> str | None:
    """The first problem of a revealed test set ``{"rows", "labels", "salt"}``, or None."""
    if type(test) is not dict or set(test) != {"rows", "labels", "salt"}:
        return "a test set has exactly the keys labels, rows, salt"
    if not _is_int(rows, 1, min(MAX_TEST_ROWS, MAX_TEST_CELLS // max(features, 1))):
        return f"a test set has 1 to {MAX_TEST_ROWS} rows and at most {MAX_TEST_CELLS} values"
    if type(test["rows"]) is not list or len(test["rows"]) != rows:
        return f"rows must be a list of the job's {rows} test rows"
    problem = _matrix_problem("rows", test["rows"], features, -MAX_ABS_FEATURE, MAX_ABS_FEATURE, rows)
    if problem:
        return problem
    if not _int_list(test["labels"], rows, 0, classes - 1):
        return f"labels must be a list of {rows} class indices (0 to {classes - 1})"
    if type(test["salt"]) is not str or SALT.fullmatch(test["salt"]) is None:
        return "salt must be 64 lowercase hex characters"
    return None


def model_commitment(model: object, salt: str) -> str:
    """``H(canon({"model": model, "salt": salt}))``: what a JOB_COMMIT carries."""
    return sha256_hex(canon({"model": model, "salt": salt}))


def test_commitment(rows: Sequence[Sequence[int]], labels: Sequence[int], salt: str) -> str:
    """``H(canon({"rows": rows, "labels": labels, "salt": salt}))``: what a JOB carries."""
    return sha256_hex(canon({"rows": [list(r) for r in rows], "labels": list(labels), "salt": salt}))


def _argmax_first(values: Sequence[int]) -> int:
    best = 0
    for c in range(1, len(values)):
        if values[c] > values[best]:
            best = c
    return best


def predict(model: dict[str, Any], row: Sequence[int]) -> int:
    """The class index a well-formed model gives one row (the reference, in Python integers)."""
    kind = model["kind"]
    if kind == "linear":
        return _argmax_first([b + sum(w * x for w, x in zip(ws, row, strict=True))
                              for ws, b in zip(model["weights"], model["bias"], strict=True)])
    if kind == "tree":
        nodes, i = model["nodes"], 0
        while len(nodes[i]) == 4:
            feature, threshold, left, right = nodes[i]
            i = left if row[feature] <= threshold else right
        return int(nodes[i][0])
    if kind == "knn":
        w = model["weights"]
        ranked = sorted((sum((wj * (a - b)) ** 2 for wj, a, b in zip(w, r, row, strict=True)), i)
                        for i, r in enumerate(model["rows"]))
        counts: dict[int, int] = {}
        for _, i in ranked[:model["k"]]:
            counts[model["labels"][i]] = counts.get(model["labels"][i], 0) + 1
        top = max(counts.values())
        return min(c for c, n in counts.items() if n == top)
    raise ValueError(f"unknown kind {kind!r}")


def predict_all(model: dict[str, Any], rows: Sequence[Sequence[int]] | np.ndarray) -> list[int]:
    """``predict`` of every row, vectorised (numpy int64: every value stays below 2^53)."""
    x = np.asarray(rows, dtype=np.int64).reshape(len(rows), -1)
    kind = model["kind"]
    if kind == "linear":
        scores = x @ np.asarray(model["weights"], dtype=np.int64).T + np.asarray(model["bias"], dtype=np.int64)
        return [int(c) for c in np.argmax(scores, axis=1)]   # argmax takes the first maximum
    if kind == "tree":   # a walk visits at most 32 nodes a row: plain Python beats building arrays
        return [predict(model, r) for r in x.tolist()]
    if kind == "knn":
        return _knn_all(model, x)
    raise ValueError(f"unknown kind {kind!r}")


def _knn_all(model: dict[str, Any], x: np.ndarray) -> list[int]:
    w = np.asarray(model["weights"], dtype=np.int64)
    points = np.asarray(model["rows"], dtype=np.int64) * w
    labels = np.asarray(model["labels"], dtype=np.int64)
    k = int(model["k"])
    queries = x * w
    # sum_j (q_j - p_j)^2 = |q|^2 + |p|^2 - 2 q.p, exactly: each term is below 2^53 (|q|^2 <= 10^8 * sum w^2
    # <= 2 * 10^15, |q.p| <= |q| |p|), so no int64 sum overflows and the result is the exact distance
    dist = (np.einsum("qj,qj->q", queries, queries)[:, None] + np.einsum("pj,pj->p", points, points)[None, :]
            - 2 * (queries @ points.T))
    kth = np.partition(dist, k - 1, axis=1)[:, k - 1:k]  # the k-th smallest distance of each query
    closer = dist < kth
    tied = dist == kth
    need = k - closer.sum(axis=1, keepdims=True)
    if not (tied.sum(axis=1, keepdims=True) == need).all():  # ties at the k-th: the lowest row indices win
        tied &= np.cumsum(tied, axis=1) <= need
    q, col = np.nonzero(closer | tied)                   # exactly k per query
    classes = int(labels.max()) + 1
    counts = np.bincount(q * classes + labels[col], minlength=len(x) * classes).reshape(len(x), classes)
    return [int(c) for c in np.argmax(counts, axis=1)]   # the first maximum: the lowest class index


def score(model: dict[str, Any], rows: Sequence[Sequence[int]] | np.ndarray, labels: Sequence[int]) -> int:
    """How many of ``rows`` a well-formed model predicts as their ``labels``: a job's score."""
    if len(rows) == 0:
        return 0
    return sum(1 for p, y in zip(predict_all(model, rows), labels, strict=True) if p == y)


def scores(models: Sequence[dict[str, Any]], rows: Sequence[Sequence[int]], labels: Sequence[int]) -> list[int]:
    """The score of each model on one test set (what a settlement computes; the rows are converted once)."""
    x = np.asarray(rows, dtype=np.int64).reshape(len(rows), -1)
    return [score(m, x, labels) for m in models]


class JobKinds:
    """The model port's job methods (``blockchain.model_port.JobKinds``), for a LedgerModel to inherit:
    the chain's job rules check and score models through them, never importing this module."""

    def check_job_model(self, kind: str, model: Any, features: int, classes: int) -> str | None:
        return check_model(kind, model, features, classes)

    def check_job_test(self, test: Any, features: int, classes: int, rows: int) -> str | None:
        return check_test_set(test, features, classes, rows)

    def score_job_models(self, models: Sequence[Any], rows: Sequence[Sequence[int]],
                         labels: Sequence[int]) -> list[int]:
        return scores(models, rows, labels)

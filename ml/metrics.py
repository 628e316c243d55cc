"""The test-set scores of ``GET /model/evaluate``, computed with numpy.

The same numbers, keys and order as scikit-learn's ``classification_report(..., output_dict=True,
zero_division=0)`` and ``confusion_matrix`` (tests/unit/test_metrics.py compares them), without
importing ``sklearn.metrics``: that import took about a second on a fresh node's first evaluate.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np


def confusion_matrix(truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> list[list[int]]:
    """``matrix[i][j]``: test rows of class ``labels[i]`` predicted as ``labels[j]`` (others are left out)."""
    index = {label: i for i, label in enumerate(labels)}
    counts = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for t, p in zip(truth, predicted, strict=True):
        if t in index and p in index:
            counts[index[t], index[p]] += 1
    return [[int(v) for v in row] for row in counts]


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, 0 where the denominator is 0 (zero_division=0)."""
    out = np.zeros(len(numerator), dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def classification_report(truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Per class ``precision``, ``recall``, ``f1-score`` and ``support``, then ``accuracy``,
    ``macro avg`` and ``weighted avg``; every value a float, 0.0 where a ratio has nothing to divide."""
    matrix = np.asarray(confusion_matrix(truth, predicted, labels), dtype=np.float64).reshape(len(labels),
                                                                                              len(labels))
    tp = np.diag(matrix)
    support = matrix.sum(axis=1)
    predicted_as = matrix.sum(axis=0)
    precision = _ratio(tp, predicted_as)
    recall = _ratio(tp, support)
    f1 = _ratio(2 * tp, support + predicted_as)
    report: dict[str, Any] = {}
    for i, label in enumerate(labels):
        report[label] = {"precision": float(precision[i]), "recall": float(recall[i]), "f1-score": float(f1[i]),
                         "support": float(support[i])}
    total = float(support.sum())
    known = set(labels)
    if set(truth) | set(predicted) <= known:  # scikit-learn gives "accuracy" only when the labels cover all
        report["accuracy"] = float(tp.sum() / len(truth)) if len(truth) else 0.0
    else:
        report["micro avg"] = _micro(tp, support, predicted_as)
    report["macro avg"] = {"precision": float(precision.mean()), "recall": float(recall.mean()),
                           "f1-score": float(f1.mean()), "support": total}
    weights = support / total if total else np.zeros(len(labels))
    report["weighted avg"] = {"precision": float(precision @ weights), "recall": float(recall @ weights),
                              "f1-score": float(f1 @ weights), "support": total}
    return report


def _micro(tp: np.ndarray, support: np.ndarray, predicted_as: np.ndarray) -> dict[str, float]:
    t, s, p = float(tp.sum()), float(support.sum()), float(predicted_as.sum())
    precision, recall = (t / p if p else 0.0), (t / s if s else 0.0)
    f1 = 2 * t / (s + p) if s + p else 0.0
    return {"precision": precision, "recall": recall, "f1-score": f1, "support": s}

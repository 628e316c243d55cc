"""Data drift: do recent contributions look like the base training data, feature by feature?

Two signals per feature: the two-sample Kolmogorov-Smirnov statistic with its asymptotic
p-value (the Kolmogorov distribution), and the standardized mean shift (difference of means in
units of the base standard deviation). A feature has drifted when the KS p-value is below
``alpha``. Plain numpy: the p-value series is the textbook one (e.g. Numerical Recipes, "probks").
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from .base import FEATURE_NAMES

DEFAULT_ALPHA = 0.01
MIN_POINTS = 5


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """sup |F_a - F_b| over the pooled sample points."""
    a, b = np.sort(a), np.sort(b)
    points = np.concatenate([a, b])
    fa = np.searchsorted(a, points, side="right") / len(a)
    fb = np.searchsorted(b, points, side="right") / len(b)
    return float(np.max(np.abs(fa - fb)))


def ks_pvalue(statistic: float, n: int, m: int) -> float:
    """Asymptotic two-sided p-value of the two-sample KS statistic."""
    ne = n * m / (n + m)
    lam = (math.sqrt(ne) + 0.12 + 0.11 / math.sqrt(ne)) * statistic
    if lam < 1e-3:
        return 1.0
    total = sum(2 * (-1) ** (k - 1) * math.exp(-2 * k * k * lam * lam) for k in range(1, 101))
    return float(min(1.0, max(0.0, total)))


def drift_report(base_rows: Sequence[Sequence[float]], recent_rows: Sequence[Sequence[float]],
                 alpha: float = DEFAULT_ALPHA) -> dict[str, Any]:
    """Per-feature drift of ``recent_rows`` against ``base_rows``."""
    base = np.asarray(base_rows, dtype=float)
    recent = np.asarray(recent_rows, dtype=float).reshape(-1, len(FEATURE_NAMES))
    out = {"test": "two-sample Kolmogorov-Smirnov (asymptotic p-value) and standardized mean shift",
           "alpha": alpha, "base_points": len(base), "recent_points": len(recent), "min_points": MIN_POINTS}
    if len(recent) < MIN_POINTS:
        out.update({"enough_data": False, "drifted": False, "drifted_features": [], "features": {},
                    "message": f"need at least {MIN_POINTS} recent contributions; have {len(recent)}"})
        return out
    features = {}
    for j, name in enumerate(FEATURE_NAMES):
        d = ks_statistic(base[:, j], recent[:, j])
        p = ks_pvalue(d, len(base), len(recent))
        std = float(np.std(base[:, j])) or 1.0
        features[name] = {"ks_statistic": round(d, 6), "p_value": round(p, 6),
                          "mean_shift_std": round(float((recent[:, j].mean() - base[:, j].mean()) / std), 6),
                          "drifted": p < alpha}
    drifted = [name for name, f in features.items() if f["drifted"]]
    out.update({"enough_data": True, "drifted": bool(drifted), "drifted_features": drifted, "features": features})
    return out

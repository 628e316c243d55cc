"""Base data a network's model starts from (PROTOCOL.md "Genesis", "Base data").

A base is ``{"classes", "train", "train_labels", "test", "test_labels"}`` with measurements as
protocol strings. The Iris base (``load_iris()`` split 120/30 by ``train_test_split(test_size=0.2,
random_state=42)``) is shipped as data in ``ml/data/iris-base.json``, so that nobody needs
scikit-learn, or a particular version of it, to agree on genesis.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from math import isqrt
from pathlib import Path
from typing import Any

import numpy as np

from .errors import BaseDataError, MeasurementError
from .hashing import canon, sha256_hex
from .measurements import units

N_FEATURES = 4
FEATURE_NAMES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
CLASS_NAME = re.compile(r"[a-z0-9_-]{1,32}")
BASE_KEYS = ("classes", "train", "train_labels", "test", "test_labels")
IRIS_FILE = Path(__file__).resolve().parent / "data" / "iris-base.json"
MAX_WEIGHT = 4096


def weights(train_units: np.ndarray) -> list[int]:
    """The frozen standardisation of PROTOCOL.md: ``w_j = 2^17 / std_j`` in exact integers.

    ``Q = n * sum(x^2) - (sum x)^2``; ``w = 1`` if ``Q == 0``, else
    ``min(4096, max(1, isqrt(2^34 * n^2 // Q)))``. Python integers: nothing can overflow.
    """
    n = int(train_units.shape[0])
    out = []
    for j in range(train_units.shape[1]):
        column = [int(v) for v in train_units[:, j]]
        q = n * sum(v * v for v in column) - sum(column) ** 2
        out.append(1 if q == 0 else min(MAX_WEIGHT, max(1, isqrt((1 << 34) * n * n // q))))
    return out


@dataclass(frozen=True)
class BaseData:
    classes: tuple[str, ...]
    train: tuple[tuple[str, ...], ...]
    train_labels: tuple[str, ...]
    test: tuple[tuple[str, ...], ...]
    test_labels: tuple[str, ...]
    name: str = "iris"

    @classmethod
    def from_dict(cls, data: Any, name: str = "custom") -> "BaseData":
        """Check a base against PROTOCOL.md and build it; BaseDataError names the first problem."""
        if not isinstance(data, dict):
            raise BaseDataError(f"base data must be a JSON object; got {type(data).__name__}")
        if set(data) != set(BASE_KEYS):
            raise BaseDataError(f"base data must have exactly the keys {list(BASE_KEYS)}; got {sorted(map(str, data))}")
        classes = data["classes"]
        if (not isinstance(classes, list) or not 2 <= len(classes) <= 16
                or not all(isinstance(c, str) and CLASS_NAME.fullmatch(c) for c in classes)
                or len(set(classes)) != len(classes)):
            raise BaseDataError('classes must be 2 to 16 distinct names of [a-z0-9_-]{1,32}; got '
                                f"{classes!r:.120}")
        parts: dict[str, tuple[Any, ...]] = {}
        for rows_key, labels_key, least in (("train", "train_labels", 3), ("test", "test_labels", 1)):
            rows, labels = data[rows_key], data[labels_key]
            if not isinstance(rows, list) or not isinstance(labels, list) or len(rows) != len(labels):
                raise BaseDataError(f"{rows_key} and {labels_key} must be lists of the same length")
            if len(rows) < least:
                raise BaseDataError(f"{rows_key} must hold at least {least} rows; got {len(rows)}")
            for i, row in enumerate(rows):
                if not isinstance(row, list) or len(row) != N_FEATURES:
                    raise BaseDataError(f"{rows_key}[{i}] must be a list of {N_FEATURES} measurements; got {row!r:.80}")
                for value in row:
                    try:
                        units(value)
                    except MeasurementError as exc:
                        raise BaseDataError(f"{rows_key}[{i}]: a measurement {exc}") from None
            for i, label in enumerate(labels):
                if label not in classes:
                    raise BaseDataError(f"{labels_key}[{i}] must be one of the classes {classes}; got {label!r:.40}")
            parts[rows_key] = tuple(tuple(row) for row in rows)
            parts[labels_key] = tuple(labels)
        return cls(classes=tuple(classes), name=name, **parts)

    @classmethod
    def from_file(cls, path: str | Path) -> "BaseData":
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BaseDataError(f"cannot read base data from {path}: {exc}") from exc
        return cls.from_dict(data, name=path.stem)

    def to_dict(self) -> dict[str, Any]:
        return {"classes": list(self.classes), "train": [list(r) for r in self.train],
                "train_labels": list(self.train_labels), "test": [list(r) for r in self.test],
                "test_labels": list(self.test_labels)}

    @cached_property
    def base_hash(self) -> str:
        return sha256_hex(canon(self.to_dict()))

    @cached_property
    def train_units(self) -> np.ndarray:
        return np.array([[units(v) for v in row] for row in self.train], dtype=np.int64)

    @cached_property
    def test_units(self) -> np.ndarray:
        return np.array([[units(v) for v in row] for row in self.test], dtype=np.int64)

    @cached_property
    def weights(self) -> list[int]:
        return weights(self.train_units)


@lru_cache(maxsize=1)
def iris_base() -> BaseData:
    """The Iris base of PROTOCOL.md, from the file shipped with this package."""
    return BaseData.from_dict(json.loads(IRIS_FILE.read_text(encoding="utf-8")), name="iris")

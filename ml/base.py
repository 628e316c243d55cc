"""Base data sets a model starts from: the Iris split of PROTOCOL.md, or one read from a file."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

N_FEATURES = 4
FEATURE_NAMES = ("sepal_length", "sepal_width", "petal_length", "petal_width")


class BaseDataError(ValueError):
    """A base data set that cannot be used."""


@dataclass(frozen=True)
class BaseData:
    train_rows: tuple[tuple[float, ...], ...]
    train_labels: tuple[str, ...]
    test_rows: tuple[tuple[float, ...], ...]
    test_labels: tuple[str, ...]
    name: str = "iris"

    @classmethod
    def from_dict(cls, data: Any, name: str = "custom") -> "BaseData":
        """Check and build a base from ``{"train_rows", "train_labels", "test_rows", "test_labels"}``."""
        if not isinstance(data, dict):
            raise BaseDataError(f"base data must be a JSON object; got {type(data).__name__}")
        keys = ("train_rows", "train_labels", "test_rows", "test_labels")
        missing = [k for k in keys if k not in data]
        if missing:
            raise BaseDataError(f"base data must have the keys {list(keys)}; missing {missing}")
        parts = {}
        for rows_key, labels_key in (("train_rows", "train_labels"), ("test_rows", "test_labels")):
            rows, labels = data[rows_key], data[labels_key]
            if not isinstance(rows, list) or not isinstance(labels, list) or len(rows) != len(labels) or not rows:
                raise BaseDataError(f"{rows_key} and {labels_key} must be non-empty lists of the same length")
            for i, row in enumerate(rows):
                if (not isinstance(row, list) or len(row) != N_FEATURES
                        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in row)):
                    raise BaseDataError(f"{rows_key}[{i}] must be a list of {N_FEATURES} finite numbers; got {row!r:.80}")
            if not all(isinstance(label, str) and label for label in labels):
                raise BaseDataError(f"{labels_key} must be non-empty strings")
            parts[rows_key] = tuple(tuple(float(v) for v in row) for row in rows)
            parts[labels_key] = tuple(labels)
        if len(set(parts["train_labels"])) < 2:
            raise BaseDataError("train_labels must hold at least two classes")
        return cls(name=name, **parts)

    @classmethod
    def from_file(cls, path: str | Path) -> "BaseData":
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BaseDataError(f"cannot read base data from {path}: {exc}") from exc
        return cls.from_dict(data, name=path.stem)

    def to_dict(self) -> dict:
        return {"train_rows": [list(r) for r in self.train_rows], "train_labels": list(self.train_labels),
                "test_rows": [list(r) for r in self.test_rows], "test_labels": list(self.test_labels)}


@lru_cache(maxsize=1)
def iris_base() -> BaseData:
    """``load_iris()`` split by ``train_test_split(test_size=0.2, random_state=42)``: 120 + 30 rows."""
    from sklearn.datasets import load_iris
    from sklearn.model_selection import train_test_split

    iris = load_iris()
    rows = [[float(v) for v in row] for row in iris.data]
    labels = [str(iris.target_names[t]) for t in iris.target]
    x_train, x_test, y_train, y_test = train_test_split(rows, labels, test_size=0.2, random_state=42)
    return BaseData(tuple(map(tuple, x_train)), tuple(y_train), tuple(map(tuple, x_test)), tuple(y_test), "iris")

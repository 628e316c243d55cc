"""The shape of ``IrisModel.serialize()`` data, checked before anything is rebuilt from it: exactly
its keys, whole numbers that are not booleans, rows of units, known label codes, sizes that match
the rows. The hashes are recomputed by ``IrisModel.deserialize``."""
from __future__ import annotations

from itertools import pairwise

from .base import N_FEATURES, BaseData
from .errors import SnapshotError

SNAPSHOT_FORMAT = "iris-chain-model/2"
_SNAPSHOT_KEYS = frozenset({"format", "k", "base_hash", "rows", "labels", "sizes", "model_hash"})


def _whole(value: object) -> bool:
    """An int that is not a bool (JSON's true is not 1 here)."""
    return isinstance(value, int) and not isinstance(value, bool)


def check_serialized(data: object, base: BaseData) -> tuple[int, list[list[int]], list[int], list[int], str]:
    """(k, rows, labels, sizes, model_hash) of well-formed data for ``base``; SnapshotError else."""
    if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
        raise SnapshotError(f"snapshot must be an object with format {SNAPSHOT_FORMAT!r}")
    if set(data) != _SNAPSHOT_KEYS:
        raise SnapshotError(
            f"snapshot must have exactly the keys {sorted(_SNAPSHOT_KEYS)}; got {sorted(map(str, data))!r:.200}"
        )
    k, rows, labels, sizes, model_hash = (data[key] for key in ("k", "rows", "labels", "sizes", "model_hash"))
    if not _whole(k) or not 1 <= k <= len(base.train):
        raise SnapshotError(f"snapshot k must be a whole number 1 to {len(base.train)}; got {k!r:.40}")
    if data["base_hash"] != base.base_hash:
        raise SnapshotError("snapshot must be of this model's base data")
    if not isinstance(model_hash, str):
        raise SnapshotError("snapshot model_hash must be a string")
    if not isinstance(rows, list) or not all(
            isinstance(row, list) and len(row) == N_FEATURES and all(_whole(v) and 1 <= v <= 10_000 for v in row)
            for row in rows):
        raise SnapshotError(
            f"snapshot rows must be lists of {N_FEATURES} whole numbers 1 to 10000 (hundredths of a cm)"
        )
    if not isinstance(labels, list) or len(labels) != len(rows) or not all(
            _whole(c) and 0 <= c < len(base.classes) for c in labels):
        raise SnapshotError(f"snapshot labels must be one class code 0 to {len(base.classes) - 1} per row")
    base_n = len(base.train)
    if (not isinstance(sizes, list) or not all(_whole(n) for n in sizes)
            or any(b <= a for a, b in pairwise(sizes))
            or (sizes and (sizes[0] <= base_n or sizes[-1] != base_n + len(rows))) or (not sizes and rows)):
        raise SnapshotError("snapshot sizes must increase from above the base's rows to base rows + len(rows)")
    return k, rows, labels, sizes, model_hash

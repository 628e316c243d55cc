"""The model_hash commitments of PROTOCOL.md ("The model state").

``ml`` may not import ``blockchain``, so the canonical encoding is restated here; the unit
tests check both against the same protocol vectors.
"""
from __future__ import annotations

import hashlib
import json
from typing import Sequence


def _canon(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def base_model_hash(n_neighbors: int, rows: Sequence[Sequence[float]], labels: Sequence[str]) -> str:
    return hashlib.sha256(_canon({"n_neighbors": n_neighbors, "features": [list(r) for r in rows],
                                  "labels": list(labels)})).hexdigest()


def next_model_hash(previous: str, rows: Sequence[Sequence[float]], labels: Sequence[str]) -> str:
    return hashlib.sha256(_canon({"previous": previous, "features": [list(r) for r in rows],
                                  "labels": list(labels)})).hexdigest()

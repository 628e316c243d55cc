"""The canonical encoding and the model_hash commitments of PROTOCOL.md ("The model").

``ml`` may not import ``blockchain``, so ``canon`` is restated here (one line); the unit tests
check both against the same protocol vectors.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Sequence


def canon(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def base_model_hash(base_hash: str, k: int) -> str:
    """``H(canon({"base": base_hash, "k": k}))``: the model before any block."""
    return sha256_hex(canon({"base": base_hash, "k": k}))


def next_model_hash(previous: str, rows: Sequence[Sequence[str]], labels: Sequence[str]) -> str:
    """``H(canon({"previous", "rows", "labels"}))`` after a block carrying ``rows`` (measurement strings)."""
    return sha256_hex(canon({"previous": previous, "rows": [list(r) for r in rows], "labels": list(labels)}))

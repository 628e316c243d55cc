"""Canonical encoding, hashing and Merkle trees exactly as PROTOCOL.md defines them."""
from __future__ import annotations

import hashlib
import json
from typing import Any, Sequence

ZERO_HASH = "0" * 64


def canon(value: Any) -> bytes:
    """The one byte encoding every node hashes: sorted keys, no spaces, UTF-8, no NaN."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_hex(value: Any, length: int) -> bool:
    """True for a string of exactly ``length`` lowercase hex characters."""
    if not isinstance(value, str) or len(value) != length:
        return False
    return all(c in "0123456789abcdef" for c in value)


def _merkle_levels(ids: Sequence[str]) -> list[list[bytes]]:
    level = [bytes.fromhex(i) for i in ids]
    levels = [level]
    while len(level) > 1:
        if len(level) % 2:
            level = level + [level[-1]]
            levels[-1] = level
        level = [hashlib.sha256(level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
        levels.append(level)
    return levels


def merkle_root(ids: Sequence[str]) -> str:
    """Root over transaction ids (hex) in block order; ``H(b"")`` for no leaves."""
    if not ids:
        return sha256_hex(b"")
    return _merkle_levels(ids)[-1][0].hex()


def merkle_proof(ids: Sequence[str], position: int) -> list[dict[str, str]]:
    """The sibling path from leaf ``position`` up to the root.

    Each step is ``{"hash": sibling_hex, "side": "left" | "right"}`` where ``side`` is where
    the sibling sits, so a verifier hashes ``sibling + node`` for left and ``node + sibling``
    for right.
    """
    if not 0 <= position < len(ids):
        raise IndexError(f"position must be in 0..{len(ids) - 1}; got {position}")
    path = []
    for level in _merkle_levels(ids)[:-1]:
        sibling = position ^ 1
        path.append({"hash": level[sibling].hex(), "side": "left" if sibling < position else "right"})
        position //= 2
    return path


def verify_merkle_proof(tx_id: str, path: Sequence[dict[str, str]], root: str) -> bool:
    """Recompute the root from a transaction id and its path; True when it matches ``root``."""
    try:
        node = bytes.fromhex(tx_id)
        for step in path:
            sibling = bytes.fromhex(step["hash"])
            if step["side"] == "left":
                node = hashlib.sha256(sibling + node).digest()
            elif step["side"] == "right":
                node = hashlib.sha256(node + sibling).digest()
            else:
                return False
    except (ValueError, TypeError, KeyError):
        return False
    return node.hex() == root

"""Canonical encoding, hashing and Merkle trees exactly as PROTOCOL.md defines them."""
from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Sequence, TypeGuard

ZERO_HASH = "0" * 64
_HEX = re.compile(r"[0-9a-f]*")
MAX_SAFE = 2**53  # consensus integers v satisfy -2^53 < v < 2^53
JSONObject = dict[str, Any]  # a JSON object as parsed: a block, a transaction, a body


class ValueRuleError(ValueError):
    """A value that no consensus object may hold; the message names where and why."""


def _fits(item: Any) -> bool:
    """True when ``item`` holds only values the consensus rules allow (the fast path)."""
    kind = type(item)
    if kind is dict:
        for key in item:
            if type(key) is not str or not (key.isascii() and key.isprintable()):
                return False
        values = item.values()
    elif kind is list:
        values = item
    else:
        values = (item,)
    for sub in values:
        kind = type(sub)
        if kind is str:
            if not (sub.isascii() and sub.isprintable()):
                return False
        elif kind is int:
            if not -MAX_SAFE < sub < MAX_SAFE:
                return False
        elif kind is dict or kind is list:
            if not _fits(sub):
                return False
        elif not (sub is None or kind is bool):
            return False
    return True


def check_value(value: Any, where: str = "value") -> None:
    """PROTOCOL.md "Encoding and hashing": objects, arrays, printable-ASCII strings, integers with
    ``-2^53 < v < 2^53``, true, false and null; nothing else (no floats, no non-ASCII).

    Raises ValueRuleError naming the first value that breaks the rule and where it is.
    """
    try:
        if _fits(value):
            return
    except RecursionError:
        pass  # nested too deep for the fast path: the walk below names the problem
    stack = [(value, where)]
    while stack:
        item, path = stack.pop(0)
        kind = type(item)
        if kind is str:
            if not (item.isascii() and item.isprintable()):
                raise ValueRuleError(f"{path} must be printable ASCII (0x20-0x7E); got {item!r:.60}")
        elif kind is int:
            if not -MAX_SAFE < item < MAX_SAFE:
                raise ValueRuleError(f"{path} must be an integer with -2^53 < v < 2^53; got {item}")
        elif kind is dict:
            for key, sub in item.items():
                if type(key) is not str or not (key.isascii() and key.isprintable()):
                    raise ValueRuleError(f"{path} must have printable ASCII keys; got {key!r:.60}")
                stack.append((sub, f"{path}.{key}"))
        elif kind is list:
            stack.extend((sub, f"{path}[{i}]") for i, sub in enumerate(item))
        elif item is None or kind is bool:
            continue
        elif kind is float:
            raise ValueRuleError(f"{path} must not be a float (consensus holds integers only); got {item!r}")
        else:
            raise ValueRuleError(f"{path} must be a JSON value; got {kind.__name__}")
    raise ValueRuleError(f"{where} breaks the value rules")  # unreachable: _fits and the walk agree


def canon(value: Any) -> bytes:
    """The one byte encoding every node hashes: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def is_int(value: Any) -> TypeGuard[int]:
    """A JSON integer (never true or false)."""
    return type(value) is int


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_hex(value: Any, length: int) -> bool:
    """True for a string of exactly ``length`` lowercase hex characters."""
    return type(value) is str and len(value) == length and _HEX.fullmatch(value) is not None


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

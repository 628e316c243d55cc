"""The one strict JSON parser of every entry point (PROTOCOL.md "Strict JSON"): the node's
request bodies (``POST /blocks`` included), peers' answers and sync pages, ``python -m
blockchain.verify`` and the wallet.

Python's json module accepts NaN and Infinity and keeps the last of duplicate keys; neither may
reach the ledger. Deep nesting is refused before it can exhaust the stack.
"""
from __future__ import annotations

import json
from typing import Any, NoReturn

MAX_DEPTH = 32


class JSONRejected(ValueError):
    """The text is not JSON we accept; the message says why."""


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not allowed; numbers must be finite")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r:.40}")
        out[key] = value
    return out


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of lists and objects, counting stops a little past ``limit``."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if level > limit:
                return level
            stack.extend((v, level + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def loads_strict(raw: bytes, max_depth: int = MAX_DEPTH, max_bytes: int | None = None) -> Any:
    """Decode UTF-8 JSON text, refusing duplicate keys, NaN/Infinity, nesting deeper than
    ``max_depth`` and (when given) text longer than ``max_bytes``."""
    if max_bytes is not None and len(raw) > max_bytes:
        raise JSONRejected(f"must be at most {max_bytes} bytes; got {len(raw)}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JSONRejected(f"must be UTF-8 encoded JSON; byte {exc.start} is not UTF-8") from None
    try:
        value = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)
    except RecursionError:
        raise JSONRejected(f"must be nested at most {max_depth} levels deep") from None
    except ValueError as exc:
        raise JSONRejected(f"must be valid JSON: {exc}") from None
    if depth(value, max_depth) > max_depth:
        raise JSONRejected(f"must be nested at most {max_depth} levels deep")
    return value

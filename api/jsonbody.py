"""Reading a request body as JSON, refusing whatever a careful server should refuse.

Flask's default parser accepts NaN and Infinity, keeps the last of duplicate keys and turns
errors into HTML; this one answers each case with a clear ApiError instead.
"""
from __future__ import annotations

import json
from typing import Any

from flask import request

from .errors import ApiError

MAX_DEPTH = 32


def _reject_constant(name: str):
    raise ValueError(f"{name} is not allowed; numbers must be finite")


def _no_duplicates(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r:.40}")
        out[key] = value
    return out


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                return level
            stack.extend((v, level + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def read_json_object() -> dict:
    """The request body as a JSON object, or an ApiError (400, 413 or 415)."""
    mimetype = request.mimetype or ""
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise ApiError(415, "unsupported_media_type",
                       f"Content-Type must be application/json; got {request.content_type or 'nothing'}")
    raw = request.get_data(cache=False)  # over MAX_CONTENT_LENGTH: werkzeug raises 413
    if not raw.strip():
        raise ApiError(400, "invalid_json", "body must be a JSON object; got an empty body")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "invalid_json", f"body must be UTF-8 encoded JSON; byte {exc.start} is not UTF-8") from None
    try:
        value = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)
    except RecursionError:
        raise ApiError(400, "invalid_json", f"body must be nested at most {MAX_DEPTH} levels deep") from None
    except ValueError as exc:
        raise ApiError(400, "invalid_json", f"body must be valid JSON: {exc}") from None
    if _depth(value) > MAX_DEPTH:
        raise ApiError(400, "invalid_json", f"body must be nested at most {MAX_DEPTH} levels deep")
    if not isinstance(value, dict):
        raise ApiError(400, "invalid_json", f"body must be a JSON object; got {type(value).__name__ if value is not None else 'null'}")
    return value

"""Reading a request body as a JSON object, refusing what a careful server should refuse."""
from __future__ import annotations

from flask import request

from .errors import ApiError
from blockchain.strictjson import JSONRejected, loads_strict


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
        value = loads_strict(raw)
    except JSONRejected as exc:
        raise ApiError(400, "invalid_json", f"body {exc}") from None
    if not isinstance(value, dict):
        kind = "null" if value is None else type(value).__name__
        raise ApiError(400, "invalid_json", f"body must be a JSON object; got {kind}")
    return value

"""What every route needs: the node service of the running app, and a checked request body."""
from __future__ import annotations

from typing import Any, Optional, TypeVar

from flask import current_app, request
from pydantic import BaseModel, ValidationError

from ..errors import ApiError
from ..jsonbody import read_json_object
from ..schemas import describe

M = TypeVar("M", bound=BaseModel)


def node():
    """The NodeService of the running app."""
    return current_app.extensions["node"]


def parse(schema: type[M] | None = None) -> M:
    """The request body checked against ``schema`` (by default the ``body`` the route declares
    with ``@doc``, which is also what the OpenAPI document shows), or a 400 naming the first bad field."""
    if schema is None:
        view: Any = current_app.view_functions[request.endpoint or ""]  # @doc gave it .openapi
        schema = view.openapi["body"]
    body = read_json_object()
    try:
        return schema.model_validate(body)
    except ValidationError as exc:
        message, details = describe(exc)
        raise ApiError(400, "invalid_request", message, details) from None


def whole_number_arg(name: str, default: int, least: int, most: Optional[int] = None) -> int:
    """The query argument ``name`` as a whole number in range, or a 400 naming it."""
    raw = request.args.get(name, str(default))
    if (not raw.isascii() or not raw.isdigit() or len(raw) > 15 or int(raw) < least
            or (most is not None and int(raw) > most)):
        bound = f"from {least} to {most}" if most is not None else f"of at least {least}"
        raise ApiError(400, "invalid_request", f"{name} must be a whole number {bound}; got {raw!r:.40}")
    return int(raw)


def page_args(default_limit: int, max_limit: int) -> tuple[int, int]:
    """``?from=i&limit=n`` as whole numbers, or a 400 naming the bad one."""
    return whole_number_arg("from", 0, 0), whole_number_arg("limit", default_limit, 1, max_limit)


__all__ = ["node", "parse", "page_args", "whole_number_arg"]

"""What every route needs: the node service of the running app, and a checked request body."""
from __future__ import annotations

from typing import TypeVar

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
        schema = current_app.view_functions[request.endpoint].openapi["body"]
    body = read_json_object()
    try:
        return schema.model_validate(body)
    except ValidationError as exc:
        message, details = describe(exc)
        raise ApiError(400, "invalid_request", message, details) from None


__all__ = ["node", "parse"]

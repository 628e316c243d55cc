"""One blueprint per area. Routes parse, call the node service, and shape the answer."""
from __future__ import annotations

from typing import TypeVar

from flask import current_app
from pydantic import BaseModel, ValidationError

from ..errors import ApiError
from ..jsonbody import read_json_object
from ..schemas import describe

M = TypeVar("M", bound=BaseModel)


def node():
    """The NodeService of the running app."""
    return current_app.extensions["node"]


def parse(schema: type[M]) -> M:
    """The request body checked against ``schema``, or a 400 that names the first bad field."""
    body = read_json_object()
    try:
        return schema.model_validate(body)
    except ValidationError as exc:
        message, details = describe(exc)
        raise ApiError(400, "invalid_request", message, details) from None


def blueprints():
    from . import audit, chain, flower, model, network, status, transactions

    return [status.bp, chain.bp, audit.bp, transactions.bp, flower.bp, model.bp, network.bp]

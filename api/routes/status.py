from flask import Blueprint, current_app

from ..openapi import build_openapi, doc
from ..responses import BalanceOut, HealthOut, Out
from .common import node

bp = Blueprint("status", __name__)


@bp.get("/health")
@doc("Is the node up; its address, height, tip and model", ok={200: HealthOut})
def health():
    return node().health()


@bp.get("/balance/<path:address>")
@doc("Balance of an address, and what it can still spend", ok={200: BalanceOut})
def balance(address: str):
    return node().balance(address)


@bp.get("/openapi.json")
@doc("This API as an OpenAPI 3.1 document", ok={200: Out})
def openapi():
    """The document of this node: ``flower_type`` lists its network's classes."""
    document = build_openapi(current_app)
    classes = list(node().model.classes_)
    for schema in document["components"]["schemas"].values():
        field = schema.get("properties", {}).get("flower_type")
        if field is not None:
            field["enum"] = classes
    return document

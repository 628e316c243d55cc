import json

from flask import Blueprint, current_app

from blockchain.transactions import MAX_ADDRESS_LENGTH, is_address

from ..errors import ApiError
from ..openapi import build_openapi, doc
from ..responses import BalanceOut, HealthOut, Out
from .common import node

bp = Blueprint("status", __name__)


@bp.get("/health")
@doc("Is the node up; its address, height, tip and model", ok={200: HealthOut})
def health():
    return node().health()


@bp.get("/balance/<path:address>")
@doc("Balance of an address, and what it can still spend", ok={200: BalanceOut}, errors=(400,))
def balance(address: str):
    if not is_address(address):
        raise ApiError(400, "invalid_request", f"the address must be 1 to {MAX_ADDRESS_LENGTH} printable "
                                               f"characters without spaces; got {address!r:.60}")
    return node().balance(address)


@bp.get("/openapi.json")
@doc("This API as an OpenAPI 3.1 document", ok={200: Out})
def openapi():
    """The document of this node: ``flower_type`` lists its network's classes."""
    cached = current_app.extensions.get("openapi_json")
    if cached is None:  # built once per app: the routes and the network's classes never change
        document = build_openapi(current_app)
        classes = list(node().model.classes_)
        for schema in document["components"]["schemas"].values():
            field = schema.get("properties", {}).get("flower_type")
            if field is not None:
                field["enum"] = classes
        cached = current_app.extensions["openapi_json"] = json.dumps(document).encode()
    return current_app.response_class(cached, mimetype="application/json")

from flask import Blueprint

from ..errors import ApiError
from ..jsonbody import read_json_object
from ..peer_urls import PeerURLError
from ..schemas import RegisterNodesIn
from . import node, parse

bp = Blueprint("network", __name__)


@bp.post("/nodes/register")
def register():
    payload = parse(RegisterNodesIn)
    network = node().network
    try:
        added = network.register(payload.nodes)
    except PeerURLError as exc:
        raise ApiError(400, "invalid_peer", str(exc)) from None
    message = f"{len(added)} new node(s) added" if added else "all these nodes were already known"
    return {"message": message, "added": added, "total_nodes": network.peers()}, 201


@bp.get("/nodes")
def nodes():
    return {"nodes": node().network.peers()}


@bp.route("/nodes/resolve", methods=["GET", "POST"])
def resolve():
    result = node().network.resolve()
    message = "Our chain was replaced" if result["replaced"] else "Our chain is authoritative"
    return {"message": message, **result}


@bp.post("/blocks")
def receive_block():
    if node().receive_block(read_json_object()):
        return {"message": "block appended"}, 201
    return {"message": "block already known"}, 200


@bp.post("/transactions")
def receive_transaction():
    if node().receive_transaction(read_json_object()):
        return {"message": "transaction added to the pool"}, 201
    return {"message": "transaction already known"}, 200

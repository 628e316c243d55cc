from flask import Blueprint, request

from ..errors import RETRY_AFTER_SECONDS, ApiError, error_response
from ..jsonbody import read_json_object
from ..openapi import doc
from ..rounds import ResolveBusy
from ..responses import BlockOut, MessageOut, NodesOut, RegisterOut, ResolveOut, TransactionOut
from ..schemas import RegisterNodesIn
from .common import node, parse

bp = Blueprint("network", __name__)


@bp.post("/nodes/register")
@doc("Add peers (http(s)://host:port; loopback allowed, link-local and unspecified refused)",
     body=RegisterNodesIn, ok={201: RegisterOut})
def register():
    payload = parse()
    network = node().network
    added = network.register(payload.nodes)
    message = f"{len(added)} new node(s) added" if added else "all these nodes were already known"
    return {"message": message, "added": added, "total_nodes": network.peers()}, 201


@bp.get("/nodes")
@doc("The peers this node knows: each one's URL, the height it has proven, when it last answered (Unix "
     "seconds), its state (new, ok, unreachable, backed_off, other_network) and the bytes moved with it",
     ok={200: NodesOut})
def nodes():
    return {"nodes": node().network.nodes()}


@bp.delete("/nodes/<peer:url>")
@doc("Forget a peer (its URL, URL-encoded): 200 forgotten, 404 not a peer", ok={200: MessageOut}, errors=(404,))
def forget(url: str):
    if not node().network.forget(url):
        raise ApiError(404, "unknown_peer", f"{url!r:.120} is not a peer of this node; GET /nodes lists them")
    return {"message": f"forgot peer {url}"}


@bp.route("/nodes/resolve", methods=["GET", "POST"])
@doc("Adopt the valid peer chain with the most work, if it has more than ours (resolves asked meanwhile "
     "share one round; 503 resolve_busy when 4 already wait)", ok={200: ResolveOut}, errors=(503,))
def resolve():
    try:
        result = node().network.resolve()
    except ResolveBusy as exc:
        response, status = error_response(503, "resolve_busy", str(exc))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response, status
    message = "Our chain was replaced" if result["replaced"] else "Our chain is authoritative"
    return {"message": message, **result}


@bp.post("/blocks")
@doc("A peer's block: 201 appended, 200 already known, 409 does not extend our tip", body_schema=BlockOut,
     ok={201: MessageOut, 200: MessageOut}, errors=(409, 503, 507))
def receive_block():
    """Checked by the protocol's block parser and validity rules, not by a request schema."""
    if node().receive_block(read_json_object()):
        return {"message": "block appended"}, 201
    return {"message": "block already known"}, 200


@bp.post("/transactions")
@doc("A peer's transaction: 201 added to the pool, 200 already known (or another claim of the same sender "
     "on the same flower is pending)", body_schema=TransactionOut,
     ok={201: MessageOut, 200: MessageOut}, errors=(503, 507))
def receive_transaction():
    """Checked by the protocol's transaction parser, not by a request schema. The pool counts what
    arrives here against the sending address's fair share (README "Pending pool")."""
    not_added = node().receive_transaction(read_json_object(), f"ip:{request.remote_addr}")
    if not_added is None:
        return {"message": "transaction added to the pool"}, 201
    return {"message": not_added}, 200

from flask import Blueprint, request

from ..openapi import doc
from ..responses import ChainOut, MinedOut
from .common import node, page_args

bp = Blueprint("chain", __name__)


@bp.route("/mine", methods=["GET", "POST"])
@doc("Mine a block with the pending transactions; the reward goes to this node", ok={200: MinedOut}, errors=(503,))
def mine():
    return {"message": "New block forged", **node().mine().to_dict()}


@bp.get("/chain")
@doc("The whole chain, genesis first; ?from=i&limit=n (at most 1000) for one page", ok={200: ChainOut},
     errors=(400,))
def chain():
    if "from" in request.args or "limit" in request.args:
        start, limit = page_args(100, 1000)
        return node().chain_page(start, limit)
    blocks = node().chain_blocks()
    return {"chain": blocks, "length": len(blocks), "next": None}

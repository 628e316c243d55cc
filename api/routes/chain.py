from flask import Blueprint

from ..openapi import doc
from ..responses import ChainOut, MinedOut
from .common import node

bp = Blueprint("chain", __name__)


@bp.route("/mine", methods=["GET", "POST"])
@doc("Mine a block with the pending transactions; the reward goes to this node", ok={200: MinedOut}, errors=(503,))
def mine():
    return {"message": "New block forged", **node().mine().to_dict()}


@bp.get("/chain")
@doc("The whole chain, genesis first", ok={200: ChainOut})
def chain():
    blocks = node().chain_blocks()
    return {"chain": blocks, "length": len(blocks)}

from flask import Blueprint

from ..openapi import doc, whole
from ..responses import ChainOut, MinedOut
from .common import node, page_args

bp = Blueprint("chain", __name__)

MAX_PAGE = 1000  # blocks in one answer of GET /chain


@bp.route("/mine", methods=["GET", "POST"])
@doc("Mine a block with the pending transactions; the reward goes to this node", ok={200: MinedOut}, errors=(503, 507))
def mine():
    return {"message": "New block forged", **node().mine().to_dict()}


@bp.get("/chain")
@doc("The chain, genesis first: all of it up to 1000 blocks (as in the paper), else the first 1000 with "
     "next; ?from=i&limit=n (at most 1000) for one page", ok={200: ChainOut}, errors=(400,),
     query={"from": whole(0, default=0), "limit": whole(1, MAX_PAGE, MAX_PAGE)})
def chain():
    start, limit = page_args(MAX_PAGE, MAX_PAGE)
    return node().chain_page(start, limit)

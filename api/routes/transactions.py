import re

from flask import Blueprint, request

from ..errors import ApiError
from ..limits import MAX_PENDING_PAGE as MAX_PAGE
from ..openapi import doc, whole
from ..responses import PendingOut, TxAcceptedOut
from ..schemas import TransferIn
from .common import node, parse, whole_number_arg

bp = Blueprint("transactions", __name__)


@bp.post("/transactions/new")
@doc("Submit a transfer (signed when public_key and signature are given)", body=TransferIn,
     ok={201: TxAcceptedOut}, errors=(409, 503, 507))
def new_transaction():
    tx, block_index = node().submit_transfer(parse())
    return {"message": f"Transaction will be added to block {block_index}", "transaction_id": tx.id,
            "block_index": block_index, "transaction": tx.to_dict()}, 201


@bp.get("/transactions/pending")
@doc("Transactions waiting for a block, oldest first, one page at a time: ?after=<id>&limit=n (1000 and at most "
     "1000 by default); next is the after of the next page, or null", ok={200: PendingOut}, errors=(400,),
     query={"after": {"type": "string", "pattern": "^([0-9a-f]{64})?$"}, "limit": whole(1, MAX_PAGE, MAX_PAGE)})
def pending():
    after = request.args.get("after") or None
    if after is not None and not re.fullmatch(r"[0-9a-f]{64}", after):
        raise ApiError(400, "invalid_request", f"after must be a transaction id (64 lowercase hex); got {after!r:.80}")
    return node().pending_page(after, whole_number_arg("limit", MAX_PAGE, 1, MAX_PAGE))

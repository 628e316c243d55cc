from flask import Blueprint

from ..openapi import doc
from ..responses import PendingOut, TxAcceptedOut
from ..schemas import TransferIn
from .common import node, parse

bp = Blueprint("transactions", __name__)


@bp.post("/transactions/new")
@doc("Submit a transfer (signed when public_key and signature are given)", body=TransferIn,
     ok={201: TxAcceptedOut}, errors=(409, 503))
def new_transaction():
    tx, block_index = node().submit_transfer(parse())
    return {"message": f"Transaction will be added to block {block_index}", "transaction_id": tx.id,
            "block_index": block_index, "transaction": tx.to_dict()}, 201


@bp.get("/transactions/pending")
@doc("Transactions waiting for a block, oldest first", ok={200: PendingOut})
def pending():
    txs = node().pending()
    return {"transactions": txs, "count": len(txs)}

from flask import Blueprint

from ..schemas import TransferIn
from . import node, parse

bp = Blueprint("transactions", __name__)


@bp.post("/transactions/new")
def new_transaction():
    tx, block_index = node().submit_transfer(parse(TransferIn))
    return {"message": f"Transaction will be added to block {block_index}", "transaction_id": tx.id,
            "block_index": block_index, "transaction": tx.to_dict()}, 201


@bp.get("/transactions/pending")
def pending():
    txs = [tx.to_dict() for tx in node().chain.pending()]
    return {"transactions": txs, "count": len(txs)}

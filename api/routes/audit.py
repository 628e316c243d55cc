from flask import Blueprint

from . import node

bp = Blueprint("audit", __name__)


@bp.get("/chain/validate")
def validate():
    return node().chain.validate_chain().to_dict()


@bp.get("/proof/<tx_id>")
def proof(tx_id: str):
    return node().proof(tx_id)


@bp.get("/contributions/<path:sender>")
def contributions(sender: str):
    return node().contributions(sender)

from flask import Blueprint

from ..openapi import doc
from ..responses import ContributionsOut, ProofOut, ValidateOut
from . import node

bp = Blueprint("audit", __name__)


@bp.get("/chain/validate")
@doc("Re-verify the stored chain from genesis, model replay included", ok={200: ValidateOut})
def validate():
    return node().chain.validate_chain().to_dict()


@bp.get("/proof/<tx_id>")
@doc("Merkle proof that a transaction is in a block", ok={200: ProofOut})
def proof(tx_id: str):
    return node().proof(tx_id)


@bp.get("/contributions/<path:sender>")
@doc("A sender's FLOWER_DATA on the chain, with accuracy before and after", ok={200: ContributionsOut})
def contributions(sender: str):
    return node().contributions(sender)

from flask import Blueprint, request

from blockchain.transactions import MAX_ADDRESS_LENGTH, is_address

from ..errors import ApiError
from ..openapi import doc, whole
from ..responses import ContributionsOut, ProofOut, TransfersOut, ValidateOut
from .common import node, page_args

bp = Blueprint("audit", __name__)


@bp.get("/chain/validate")
@doc("Re-verify the stored chain from genesis, model replay included", ok={200: ValidateOut})
def validate():
    return node().validate()


@bp.get("/proof/<tx_id>")
@doc("Merkle proof that a transaction is in a block", ok={200: ProofOut})
def proof(tx_id: str):
    return node().proof(tx_id)


CONTRIBUTIONS_PAGE, MAX_CONTRIBUTIONS_PAGE = 100, 1000  # each entry costs one leave-one-out prediction


@bp.get("/contributions")
@doc("A sender's contributions (?sender=address), oldest first: deposit, what is left, when it can be claimed, "
     "whether the model agrees; ?from=i&limit=n (100 by default, at most 1000) pages them, next is the from of the "
     "next page or null", ok={200: ContributionsOut}, errors=(400,),
     query={"sender": {"type": "string", "minLength": 1, "maxLength": MAX_ADDRESS_LENGTH, "pattern": "^[!-~]+$"},
            "from": whole(0, default=0), "limit": whole(1, MAX_CONTRIBUTIONS_PAGE, CONTRIBUTIONS_PAGE)})
def contributions_query():
    sender = request.args.get("sender")
    if not sender:
        raise ApiError(400, "invalid_request", "sender must be given: /contributions?sender=<address>")
    if not is_address(sender):
        raise ApiError(400, "invalid_request", f"sender must be an address of 1 to {MAX_ADDRESS_LENGTH} printable "
                                               f"characters without spaces; got {sender!r:.60}")
    return node().contributions(sender, *page_args(CONTRIBUTIONS_PAGE, MAX_CONTRIBUTIONS_PAGE))


@bp.get("/transfers")
@doc("The TRANSFERs from or to ?address=, newest first, each with its block_index; ?from=i&limit=n (at most "
     "1000) pages them", ok={200: TransfersOut}, errors=(400,),
     query={"address": {"type": "string", "minLength": 1, "maxLength": MAX_ADDRESS_LENGTH, "pattern": "^[!-~]+$"},
            "from": whole(0, default=0), "limit": whole(1, 1000, 100)})
def transfers():
    address = request.args.get("address")
    if not address:
        raise ApiError(400, "invalid_request", "address must be given: /transfers?address=<address>")
    if not is_address(address):
        raise ApiError(
            400,
            "invalid_request",
            f"address must be an address of 1 to {MAX_ADDRESS_LENGTH} printable "
            f"characters without spaces: /transfers?address=<address>; got {address!r:.60}",
        )
    start, limit = page_args(100, 1000)
    return node().transfers(address, start, limit)


@bp.get("/contributions/<path:sender>")
@doc("The same as /contributions?sender=, paged the same way", ok={200: ContributionsOut}, errors=(400,),
     query={"from": whole(0, default=0), "limit": whole(1, MAX_CONTRIBUTIONS_PAGE, CONTRIBUTIONS_PAGE)})
def contributions(sender: str):
    if not is_address(sender):
        raise ApiError(400, "invalid_request", f"sender must be an address of 1 to {MAX_ADDRESS_LENGTH} printable "
                                               f"characters without spaces; got {sender!r:.60}")
    return node().contributions(sender, *page_args(CONTRIBUTIONS_PAGE, MAX_CONTRIBUTIONS_PAGE))

from flask import Blueprint

import re

from ..errors import ApiError
from ..openapi import doc
from ..responses import JudgementOut, PredictOut, TxAcceptedOut
from ..schemas import ClaimIn, FlowerIn, PredictIn
from .common import node, parse

bp = Blueprint("flower", __name__)


def _accepted(tx, block_index, what):
    return {"message": f"{what} will be added to block {block_index}", "transaction_id": tx.id,
            "block_index": block_index, "transaction": tx.to_dict()}, 201


@bp.post("/flower/add")
@doc("Contribute one flower's measurements (optionally with a deposit); the model learns them when the block "
     "is mined", body=FlowerIn, ok={201: TxAcceptedOut}, errors=(409, 503, 507))
def add():
    tx, block_index = node().submit_flower(parse())
    return _accepted(tx, block_index, "Flower data")


@bp.post("/flower/refund")
@doc("Claim back a contribution's deposit: allowed refund_wait blocks after it, when the model agrees with "
     "its label", body=ClaimIn, ok={201: TxAcceptedOut}, errors=(409, 503, 507))
def refund():
    tx, block_index = node().submit_claim("REFUND", parse())
    return _accepted(tx, block_index, "The refund")


@bp.post("/flower/report")
@doc("Take part of another contributor's deposit when the model disagrees with its label (reporters need a "
     "refunded contribution of their own)", body=ClaimIn, ok={201: TxAcceptedOut}, errors=(409, 503, 507))
def report():
    tx, block_index = node().submit_claim("REPORT", parse())
    return _accepted(tx, block_index, "The report")


@bp.post("/flower/predict")
@doc("Predict the class of a flower with the current model; shows the 3 neighbours that decided it",
     body=PredictIn, ok={200: PredictOut})
def predict():
    return node().predict(parse().features())


@bp.get("/flower/<flower_id>/judgement")
@doc("Which data would judge a claim of this contribution in the next block: its neighbours, and why each "
     "one counted or not (protocol 3: settled points only, identical measurements once)",
     ok={200: JudgementOut}, errors=(400, 404))
def judgement(flower_id: str):
    if not re.fullmatch(r"[0-9a-f]{64}", flower_id):
        raise ApiError(400, "invalid_request", f"flower_id must be 64 lowercase hex characters; got {flower_id!r:.80}")
    return node().judgement(flower_id)

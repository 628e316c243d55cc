from flask import Blueprint

from ..openapi import doc
from ..responses import PredictOut, TxAcceptedOut
from ..schemas import FlowerIn, PredictIn
from . import node, parse

bp = Blueprint("flower", __name__)


@bp.post("/flower/add")
@doc("Contribute one flower's measurements; the model learns them when the block is mined", body=FlowerIn,
     ok={201: TxAcceptedOut}, errors=(409, 503))
def add():
    tx, block_index = node().submit_flower(parse())
    return {"message": f"Flower data will be added to block {block_index}; the model learns it when that block is mined",
            "transaction_id": tx.id, "block_index": block_index, "transaction": tx.to_dict()}, 201


@bp.post("/flower/predict")
@doc("Predict the class of a flower with the current model", body=PredictIn, ok={200: PredictOut})
def predict():
    features = parse().features()
    model = node().model
    prediction, probabilities = model.predict(features)
    return {"prediction": prediction, "probabilities": probabilities, "model_hash": model.state_hash}

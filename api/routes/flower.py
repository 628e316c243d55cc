from flask import Blueprint

from ..schemas import FlowerIn, PredictIn
from . import node, parse

bp = Blueprint("flower", __name__)


@bp.post("/flower/add")
def add():
    tx, block_index = node().submit_flower(parse(FlowerIn))
    return {"message": f"Flower data will be added to block {block_index}; the model learns it when that block is mined",
            "transaction_id": tx.id, "block_index": block_index, "transaction": tx.to_dict()}, 201


@bp.post("/flower/predict")
def predict():
    features = parse(PredictIn).features()
    model = node().model
    prediction, probabilities = model.predict(features)
    return {"prediction": prediction, "probabilities": probabilities, "model_hash": model.state_hash}

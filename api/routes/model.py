from flask import Blueprint

from ..openapi import doc
from ..responses import EvaluateOut, HistoryOut, ModelInfoOut
from . import node

bp = Blueprint("model", __name__)


@bp.get("/model/info")
@doc("The current model: size, classes, k, model_hash", ok={200: ModelInfoOut})
def info():
    return node().model.info()


@bp.get("/model/evaluate")
@doc("Accuracy and per-class metrics on the held-out test rows", ok={200: EvaluateOut})
def evaluate():
    return node().model.evaluate_model()


@bp.get("/model/history")
@doc("One row per block that changed the model, genesis first", ok={200: HistoryOut})
def history():
    return {"history": node().model_history()}

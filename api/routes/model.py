from flask import Blueprint, request

from ..errors import ApiError
from ..openapi import doc
from ..responses import DriftOut, EvaluateOut, HistoryOut, ModelInfoOut
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


@bp.get("/model/drift")
@doc("Do the last contributions (?window=50) drift from the base data? KS test and mean shift per feature",
     ok={200: DriftOut}, errors=(400,))
def drift():
    raw = request.args.get("window", "50")
    if not raw.isdigit() or not 5 <= int(raw) <= 100_000:
        raise ApiError(400, "invalid_request", f"window must be a whole number from 5 to 100000; got {raw!r:.40}")
    return node().drift(int(raw))

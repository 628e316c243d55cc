from flask import Blueprint, request

from ..errors import ApiError
from ..openapi import doc
from ..responses import DriftOut, EvaluateOut, HistoryOut, ModelInfoOut
from .common import node, page_args

bp = Blueprint("model", __name__)


@bp.get("/model/info")
@doc("The current model: size, classes, k, weights, model_hash, test_correct / test_rows", ok={200: ModelInfoOut})
def info():
    return node().model_info()


@bp.get("/model/evaluate")
@doc("Accuracy, per-class metrics and the confusion matrix on the held-out test rows", ok={200: EvaluateOut})
def evaluate():
    return node().evaluate()


@bp.get("/model/history")
@doc("One row per block that changed the model, genesis first; ?from=i&limit=n pages by position",
     ok={200: HistoryOut}, errors=(400,))
def history():
    start, limit = page_args(100_000, 100_000)
    rows = node().model_history()
    page = rows[start:start + limit]
    following = start + limit if start + limit < len(rows) else None
    return {"history": page, "count": len(rows), "next": following}


@bp.get("/model/drift")
@doc("Do the last contributions (?window=50) drift from the base data? KS test and mean shift per feature",
     ok={200: DriftOut}, errors=(400,))
def drift():
    raw = request.args.get("window", "50")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 7 or not 5 <= int(raw) <= 100_000:
        raise ApiError(400, "invalid_request", f"window must be a whole number from 5 to 100000; got {raw!r:.40}")
    return node().drift(int(raw))

from flask import Blueprint

from ..openapi import doc, whole
from ..responses import BaseDataOut, DriftOut, EvaluateOut, HistoryOut, ModelInfoOut
from .common import node, page_args, whole_number_arg

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
     ok={200: HistoryOut}, errors=(400,), query={"from": whole(0, default=0), "limit": whole(1, 100_000, 100_000)})
def history():
    start, limit = page_args(100_000, 100_000)
    return node().model_history(start, limit)


@bp.get("/model/drift")
@doc("Do the last contributions (?window=50) drift from the base data? KS test and mean shift per feature",
     ok={200: DriftOut}, errors=(400,), query={"window": whole(5, 100_000, 50)})
def drift():
    return node().drift(whole_number_arg("window", 50, 5, 100_000))


@bp.get("/model/base")
@doc("The network's base data (classes, train, train_labels, test, test_labels): what the genesis's "
     "base_hash commits to, so that anyone can replay the model", ok={200: BaseDataOut})
def base():
    return node().model.base.to_dict()

from flask import Blueprint

from . import node

bp = Blueprint("model", __name__)


@bp.get("/model/info")
def info():
    return node().model.info()


@bp.get("/model/evaluate")
def evaluate():
    return node().model.evaluate_model()


@bp.get("/model/history")
def history():
    return {"history": node().model_history()}

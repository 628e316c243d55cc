from flask import Blueprint

from . import node

bp = Blueprint("status", __name__)


@bp.get("/health")
def health():
    return node().health()


@bp.get("/balance/<path:address>")
def balance(address: str):
    chain = node().chain
    return {"address": address, "balance": chain.balance(address), "available": chain.available(address)}

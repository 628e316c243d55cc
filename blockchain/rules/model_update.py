"""MODEL_UPDATE (PROTOCOL.md "Model updates"): the last transaction of a block with FLOWER_DATA
states the model that training on them gives; ``ledger.check_block`` compares it with the replay."""
from __future__ import annotations

from typing import Any, Mapping

from ..encoding import is_hex, is_int
from .base import MODEL_ADDRESS, MODEL_UPDATE, MODEL_UPDATE_KEYS, NODE_KEYS, Indexes, Rule, Tx, check_block_index, fail


def check_data(data: Any) -> None:
    if type(data) is not dict or set(data) != set(MODEL_UPDATE_KEYS):
        fail(f"MODEL_UPDATE data must have exactly the keys {list(MODEL_UPDATE_KEYS)}")
    for name, least in (("data_points_trained", 1), ("test_correct", 0), ("test_rows", 1)):
        if not is_int(data[name]) or data[name] < least:
            fail(f"{name} must be an integer of at least {least}; got {data[name]!r:.40}")
    if data["test_correct"] > data["test_rows"]:
        fail(f"test_correct must be at most test_rows ({data['test_rows']}); got {data['test_correct']}")
    if not is_hex(data["model_hash"], 64):
        fail(f"model_hash must be 64 lowercase hex characters; got {data['model_hash']!r:.80}")


def check_body(body: Mapping[str, Any]) -> None:
    check_block_index(body)
    if body["sender"] != MODEL_ADDRESS or body["recipient"] != MODEL_ADDRESS or body["amount"] != 0:
        fail(f'a MODEL_UPDATE must have sender and recipient "{MODEL_ADDRESS}" and amount 0')
    check_data(body["data"])


def index(state: Indexes, block_index: int, timestamp_ms: int, tx: Tx) -> None:
    state.record_update(block_index, timestamp_ms, tx.body["data"])


def undo(state: Indexes, block_index: int, tx: Tx) -> None:
    state.drop_update(block_index)


RULE = Rule(MODEL_UPDATE, NODE_KEYS | {"data"}, check_body, index=index, undo=undo)

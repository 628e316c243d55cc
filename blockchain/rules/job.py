"""JOB (PROTOCOL.md "Version 3: training jobs"): a requester escrows a bounty for a training job,
names its data, model kind, features and classes, commits to a hidden test set and sets the
stake, the windows and the most commitments it takes."""
from __future__ import annotations

from typing import Any, Mapping, Optional

from ..jobs import MAX_SETTLE_PER_BLOCK, Windows, job_problem
from .base import MAX_AMOUNT, USER_KEYS, Indexes, Ledger, Rule, Tx, check_to_model, fail
from .job_common import JOB, Job, v3_only


def check_body(body: Mapping[str, Any]) -> None:
    check_to_model(body)
    if not 1 <= body["amount"] <= MAX_AMOUNT:
        fail(f"a JOB's amount (its bounty) must be from 1 to {MAX_AMOUNT}; got {body['amount']}")
    if type(body["data"]) is not dict:
        fail(f"a JOB's data must be an object; got {type(body['data']).__name__}")


def windows_of(data: Mapping[str, Any], height: int) -> Windows:
    return Windows.of(height, data["commit_blocks"], data["test_blocks"], data["model_blocks"])


def problem(ledger: Ledger, tx: Tx) -> Optional[str]:
    why = v3_only(ledger, tx)
    if why is not None:
        return why
    why = job_problem(tx.body_dict()["data"], ledger.rules.classes, ledger.block_index)
    if why is not None:
        return f"data: {why}"
    if ledger.balance(tx.sender) < tx.amount:
        return f"{tx.sender} must have at least {tx.amount} to escrow as the bounty; has {ledger.balance(tx.sender)}"
    settle = windows_of(tx.body["data"], ledger.block_index).settle
    if len(ledger.settling_at(settle)) >= MAX_SETTLE_PER_BLOCK:
        return (f"this job would settle in block {settle}, where {MAX_SETTLE_PER_BLOCK} jobs already settle "
                f"(at most {MAX_SETTLE_PER_BLOCK} a block); choose other windows")
    return None


def apply(ledger: Ledger, tx: Tx) -> None:
    ledger.credit(tx.sender, -tx.amount)
    ledger.put_job(Job(tx.id, ledger.block_index, ledger.position, tx.sender, tx.amount,
                       tx.body_dict()["data"]))


def _settle_of(tx: Tx, block_index: int) -> Optional[int]:
    """The block the JOB settles in, or None when its windows are not whole numbers: an invalid JOB,
    which only an audit applies (it goes on past an invalid block to name every issue) and which
    must not crash it (the differential fuzzer found one whose commit_blocks was a string)."""
    data = tx.body["data"]
    names = ("commit_blocks", "test_blocks", "model_blocks")
    if not isinstance(data, Mapping) or not all(type(data.get(n)) is int for n in names):
        return None
    return windows_of(data, block_index).settle


def index(state: Indexes, block_index: int, timestamp_ms: int, tx: Tx) -> None:
    settle = _settle_of(tx, block_index)
    if settle is not None:
        state.index_job(tx.id, settle)


def undo(state: Indexes, block_index: int, tx: Tx) -> None:
    settle = _settle_of(tx, block_index)
    if settle is not None:
        state.unindex_job(tx.id, settle)


def spends(tx: Tx) -> int:
    return tx.amount


RULE = Rule(JOB, USER_KEYS | {"data"}, check_body, user=True, problem=problem, apply=apply, index=index, undo=undo,
            spends=spends)

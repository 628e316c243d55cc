"""TRANSFER (PROTOCOL.md "Transactions"): a user sends coins to another user."""
from __future__ import annotations

from typing import Any, Mapping, Optional

from .base import MAX_AMOUNT, TRANSFER, USER_KEYS, Indexes, Ledger, Rule, Tx, check_address, fail


def check_body(body: Mapping[str, Any]) -> None:
    check_address("recipient", body["recipient"], user=True)
    amount = body["amount"]
    if not 1 <= amount <= MAX_AMOUNT:
        fail(f"amount must be from 1 to {MAX_AMOUNT}; got {amount}")
    if body["recipient"] == body["sender"]:
        fail("recipient must differ from sender; a transfer never sends to itself")


def problem(ledger: Ledger, tx: Tx) -> Optional[str]:
    if ledger.balance(tx.sender) < tx.amount:
        return f"{tx.sender} must have at least {tx.amount} to send; has {ledger.balance(tx.sender)}"
    return None


def apply(ledger: Ledger, tx: Tx) -> None:
    ledger.credit(tx.sender, -tx.amount)
    ledger.credit(tx.recipient, tx.amount)


def index(state: Indexes, block_index: int, timestamp_ms: int, tx: Tx) -> None:
    state.index_transfer(tx.id, tx.sender, tx.recipient)


def undo(state: Indexes, block_index: int, tx: Tx) -> None:
    state.unindex_transfer(tx.id, tx.sender, tx.recipient)


def index_restored(state: Indexes, tx: Mapping[str, Any]) -> None:
    state.index_transfer(tx["id"], tx["sender"], tx["recipient"])


def spends(tx: Tx) -> int:
    return tx.amount


RULE = Rule(TRANSFER, USER_KEYS, check_body, user=True, problem=problem, apply=apply, index=index, undo=undo,
            spends=spends, index_restored=index_restored)

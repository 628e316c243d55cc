"""FLOWER_DATA (PROTOCOL.md "Transactions"): a user adds one labelled flower to the training set,
with a deposit that a later REFUND or REPORT takes back."""
from __future__ import annotations

from typing import Any, Mapping, Optional

from .. import claims
from ..errors import InvalidTransaction
from .base import (CLASS_NAME, FEATURES, FLOWER_DATA, MAX_AMOUNT, USER_KEYS, Flower, Indexes, Ledger, Rule, Tx,
                   check_to_model, fail, measurement_units)


def check_flower_data(data: Any) -> None:
    if type(data) is not dict:
        fail(f"data must be an object; got {type(data).__name__}")
    expected = set(FEATURES) | {"flower_type"}
    if set(data) != expected:
        fail(f"data must have exactly the keys {sorted(expected)}; got {sorted(map(str, data))}")
    for name in FEATURES:
        try:
            measurement_units(data[name])
        except InvalidTransaction as exc:
            fail(f"data.{name}: {exc.message}")
    if type(data["flower_type"]) is not str or CLASS_NAME.fullmatch(data["flower_type"]) is None:
        fail(f"data.flower_type must be a class name of [a-z0-9_-]{{1,32}}; got {data['flower_type']!r:.40}")


def check_body(body: Mapping[str, Any]) -> None:
    check_to_model(body)
    amount = body["amount"]
    if not 0 <= amount <= MAX_AMOUNT:
        fail(f"a FLOWER_DATA's amount (its deposit) must be from 0 to {MAX_AMOUNT}; got {amount}")
    check_flower_data(body["data"])


def problem(ledger: Ledger, tx: Tx) -> Optional[str]:
    rules = ledger.rules
    if tx.label() not in rules.classes:
        return f"data.flower_type must be one of {', '.join(rules.classes)}; got {tx.label()!r:.40}"
    if tx.amount < rules.min_deposit:
        return (f"the deposit (amount) must be at least the network's min_deposit {rules.min_deposit}; "
                f"got {tx.amount}")
    if ledger.balance(tx.sender) < tx.amount:
        return f"{tx.sender} must have at least {tx.amount} to deposit; has {ledger.balance(tx.sender)}"
    return None


def apply(ledger: Ledger, tx: Tx) -> None:
    ledger.credit(tx.sender, -tx.amount)
    features = tx.features()
    row = ledger.add_row(features, tx.label())
    ledger.put_flower(tx.id, Flower(ledger.block_index, row, tx.sender, tx.amount, tx.amount, tx.label(),
                                    point=claims.units(features)))


def index(state: Indexes, block_index: int, timestamp_ms: int, tx: Tx) -> None:
    state.index_flower(tx.sender, tx.id)


def undo(state: Indexes, block_index: int, tx: Tx) -> None:
    state.unindex_flower(tx.sender, tx.id)


def spends(tx: Tx) -> int:
    return tx.amount


RULE = Rule(FLOWER_DATA, USER_KEYS | {"data"}, check_body, user=True, problem=problem, apply=apply, index=index,
            undo=undo, spends=spends)

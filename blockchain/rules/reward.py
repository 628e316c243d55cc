"""REWARD (PROTOCOL.md "Order of transactions"): the first transaction of every block pays its
miner ``REWARD_AMOUNT`` new coins."""
from __future__ import annotations

from typing import Any, Mapping

from .base import (NODE_KEYS, REWARD, REWARD_AMOUNT, REWARD_SENDER, Ledger, Rule, Tx, check_address, check_block_index,
                   fail)


def check_body(body: Mapping[str, Any]) -> None:
    check_block_index(body)
    if body["sender"] != REWARD_SENDER or body["amount"] != REWARD_AMOUNT:
        fail(f'a REWARD must have sender "{REWARD_SENDER}" and amount {REWARD_AMOUNT}; '
             f"got {body['sender']!r:.20} and {body['amount']}")
    check_address("recipient", body["recipient"], user=True)


def apply(ledger: Ledger, tx: Tx) -> None:
    ledger.credit(tx.recipient, tx.amount)


RULE = Rule(REWARD, NODE_KEYS, check_body, apply=apply)

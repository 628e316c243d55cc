"""GENESIS (PROTOCOL.md "Genesis"): block 0's one transaction carries the network's parameters;
``ledger.check_genesis`` compares the whole block with the network's own."""
from __future__ import annotations

from typing import Any, Mapping

from .base import GENESIS, MODEL_ADDRESS, REWARD_SENDER, Rule, fail


def check_body(body: Mapping[str, Any]) -> None:
    if body["sender"] != REWARD_SENDER or body["recipient"] != MODEL_ADDRESS or body["amount"] != 0:
        fail(f'a GENESIS must have sender "{REWARD_SENDER}", recipient "{MODEL_ADDRESS}" and amount 0')
    if type(body["params"]) is not dict:
        fail("a GENESIS must carry params as an object")


RULE = Rule(GENESIS, frozenset({"type", "sender", "recipient", "amount", "params"}), check_body)

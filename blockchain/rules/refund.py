"""REFUND (PROTOCOL.md "Claims"): a contributor takes back what is left of their deposit when
the data agrees with their flower; a good refund (v3: the whole panel agrees) counts for them."""
from __future__ import annotations

from dataclasses import replace
from typing import Optional

from ..errors import ClaimNotAllowed
from . import claim
from .base import REFUND, Ledger, Rule, Tx


def problem(ledger: Ledger, tx: Tx) -> Optional[str]:
    flower, why = claim.due(ledger, tx)
    if why is not None or flower is None:
        return why
    if tx.sender != flower.sender:
        return f"only the contributor ({flower.sender}) may claim a refund of this flower"
    return claim.verdict(ledger, flower, refund=True)


def apply(ledger: Ledger, tx: Tx) -> None:
    flower_id = tx.body["flower_id"]
    flower = ledger.flower(flower_id)
    assert flower is not None  # problem() found it
    ledger.credit(tx.sender, flower.left)
    v3 = ledger.rules.protocol >= 3
    if v3 and not ledger.judgement(flower).good:
        ledger.put_flower(flower_id, replace(flower, left=0, refunded=True))  # refunded, not good
        return
    ledger.put_flower(flower_id, replace(flower, left=0, refunded=True, settled=ledger.block_index if v3 else 0))
    ledger.add_good(tx.sender)


def never_valid(ledger: Ledger, tx: Tx) -> bool:
    """Not on the chain, nothing left, or someone else's flower: no later block can hold it."""
    flower = ledger.flower(tx.body["flower_id"])
    return flower is None or flower.left <= 0 or tx.sender != flower.sender


RULE = Rule(REFUND, claim.BODY_KEYS, claim.check_body, user=True, problem=problem, apply=apply,
            one_pending=claim.one_pending, already_pending=claim.already_pending,
            refused=ClaimNotAllowed, never_valid=never_valid)

"""REPORT (PROTOCOL.md "Claims"): a contributor with a good refund takes a share of another's
deposit when the data disagrees with that flower."""
from __future__ import annotations

from dataclasses import replace
from typing import Optional

from ..errors import ClaimNotAllowed
from . import claim
from .base import REPORT, Ledger, Rule, Tx


def problem(ledger: Ledger, tx: Tx) -> Optional[str]:
    flower, why = claim.due(ledger, tx)
    if why is not None or flower is None:
        return why
    if tx.sender == flower.sender:
        return "a contributor may not report their own flower; claim a refund instead"
    if ledger.good_of(tx.sender) < 1:
        return "only contributors with a refunded contribution may report; you have none"
    if tx.sender in flower.reporters:
        return "you have already reported this flower"
    return claim.verdict(ledger, flower, refund=False)


def apply(ledger: Ledger, tx: Tx) -> None:
    flower_id = tx.body["flower_id"]
    flower = ledger.flower(flower_id)
    assert flower is not None  # problem() found it
    take = min(flower.left, max(1, flower.deposit * ledger.good_of(tx.sender) // ledger.total_good))
    ledger.credit(tx.sender, take)
    ledger.put_flower(flower_id, replace(flower, left=flower.left - take, reporters=flower.reporters | {tx.sender}))


def never_valid(ledger: Ledger, tx: Tx) -> bool:
    """Not on the chain, nothing left, the sender's own flower, or reported by them already."""
    flower = ledger.flower(tx.body["flower_id"])
    return (flower is None or flower.left <= 0 or tx.sender == flower.sender
            or tx.sender in flower.reporters)


RULE = Rule(REPORT, claim.BODY_KEYS, claim.check_body, user=True, problem=problem, apply=apply,
            one_pending=claim.one_pending, already_pending=claim.already_pending,
            refused=ClaimNotAllowed, never_valid=never_valid)

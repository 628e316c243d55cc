"""What a REFUND and a REPORT share (PROTOCOL.md "Claims"): a claim names a FLOWER_DATA on the
chain, waits ``refund_wait`` blocks after it, and takes what is left of its deposit."""
from __future__ import annotations

from typing import Any, Mapping, Optional

from .. import claims
from .base import USER_KEYS, Flower, Ledger, Tx, check_to_model, fail
from ..encoding import is_hex

BODY_KEYS = USER_KEYS | {"flower_id"}


def check_body(body: Mapping[str, Any]) -> None:
    check_to_model(body)
    if body["amount"] != 0:
        fail(f"a {body['type']} must have amount 0; got {body['amount']}")
    if not is_hex(body["flower_id"], 64):
        fail(f"flower_id must be 64 lowercase hex characters; got {body['flower_id']!r:.80}")


def due(ledger: Ledger, tx: Tx) -> tuple[Optional[Flower], Optional[str]]:
    """The claimed flower, and why it cannot be claimed in this block at all (or None)."""
    rules = ledger.rules
    flower = ledger.flower(tx.body["flower_id"])
    if flower is None:
        return None, f"flower_id must name a FLOWER_DATA on the chain; {tx.body['flower_id'][:16]}... is not one"
    claimable = flower.block + rules.refund_wait
    if ledger.block_index < claimable:
        return flower, (f"refund_wait is {rules.refund_wait} blocks; this flower can be claimed from block "
                        f"{claimable} (now {ledger.block_index})")
    if flower.left <= 0:
        return flower, "nothing is left of this deposit"
    return flower, None


def verdict(ledger: Ledger, flower: Flower, *, refund: bool) -> Optional[str]:
    """Whether the data agrees enough with the flower for a refund (``refund``) or a report of it:
    v2's leave-one-out vote, v3's panel."""
    if ledger.rules.protocol < 3:
        predicted = ledger.predict(flower.row)
        if refund and predicted != flower.label:
            return f"the model predicts {predicted} for this flower, not {flower.label}"
        if not refund and predicted == flower.label:
            return (f"the model agrees with this flower's label {flower.label}; only data it disagrees with "
                    "can be reported")
        return None
    judged = ledger.judgement(flower)
    panel = ", ".join(f"row {v.row} {v.label}" for v, _ in judged.panel)
    if refund and not judged.refund_allowed:
        return (f"none of the {len(judged.panel)} nearest settled points ({panel}) is {flower.label}; "
                f"a refund needs at least {claims.REFUND_AGREE}")
    if not refund and not judged.report_allowed:
        return (f"{judged.agree} of the {len(judged.panel)} nearest settled points ({panel}) are "
                f"{flower.label}; only a flower none of them agrees with can be reported")
    return None


def one_pending(tx: Tx) -> Optional[tuple[str, str]]:
    """One claim per sender and flower may be pending."""
    return (tx.sender, tx.body["flower_id"])


def already_pending(tx: Tx, other: Tx) -> str:
    return (f"{tx.sender} already has a {other.type} of flower {tx.body['flower_id'][:16]}... pending ({other.id}); "
            "one claim per sender and flower may be pending: wait for it to be mined or dropped")

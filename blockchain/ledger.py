"""The validity rules of PROTOCOL.md version 2 (and the draft version 3's claim rule, ``claims.py``)
for transactions (the state they apply to is in ``state.py``; the block-level checks are in
``transition.py``).

``Delta`` applies transactions on top of a state without changing it; one rule set serves block
validation, block templates and the admission of pending transactions.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Optional

from . import claims
from .state import ChainState, Flower
from .transactions import CLAIM_TYPES, FLOWER_DATA, REFUND, REPORT, REWARD, TRANSFER, Transaction

__all__ = ["Delta"]


class Delta:
    """The effects of transactions applied on top of a state that itself stays unchanged."""

    def __init__(self, state: ChainState, block_index: int, model) -> None:
        self.state, self.block_index, self.model = state, block_index, model
        self.balances: dict[str, int] = {}
        self.flowers: dict[str, Flower] = {}
        self.good: dict[str, int] = {}
        self.total_good, self.rows = state.total_good, state.rows
        self.new_rows: list[list[str]] = []
        self.new_labels: list[str] = []
        self._predictions: dict[int, str] = {}
        self._voters: Optional[list] = None
        self._judgements: dict[int, "claims.Judgement"] = {}

    def balance(self, address: str) -> int:
        value = self.balances.get(address)
        return self.state.balances.get(address, 0) if value is None else value

    def flower(self, flower_id: str) -> Optional[Flower]:
        return self.flowers.get(flower_id) or self.state.flowers.get(flower_id)

    def good_of(self, address: str) -> int:
        value = self.good.get(address)
        return self.state.good.get(address, 0) if value is None else value

    def _credit(self, address: str, amount: int) -> None:
        self.balances[address] = self.balance(address) + amount

    def predict(self, row: int) -> str:
        """The leave-one-out prediction of a row on the model after the parent block."""
        if row not in self._predictions:
            self._predictions[row] = self.model.loo_predict(row)
        return self._predictions[row]

    def voters(self) -> list:
        """v3: the base rows and the contributions judged good before this block (``claims.Voter``)."""
        if self._voters is None:
            base = claims.base_points(self.model, self.state.rules.base_hash)
            found = [claims.Voter(row, point, label) for row, (point, label) in enumerate(base)]
            for flower_id, flower in self.state.flowers.items():  # this block's refunds vote from the next one
                if 0 < flower.settled < self.block_index:
                    found.append(claims.Voter(flower.row, flower.point, flower.label, flower_id))
            self._voters = found
        return self._voters

    def judgement(self, flower: Flower) -> "claims.Judgement":
        """v3: the panel that judges ``flower`` in this block."""
        rules = self.state.rules
        found = self._judgements.get(flower.row)  # the voters do not change within a block, nor the flower's point
        if found is None:
            found = self._judgements[flower.row] = claims.judge(flower.point, flower.label, self.voters(), rules.k,
                                                                rules.weights)
        return found

    def _verdict(self, tx: Transaction, flower: Flower) -> Optional[str]:
        """Whether the data agrees enough with the flower for this claim: v2's leave-one-out vote, v3's panel."""
        if self.state.rules.protocol < 3:
            predicted = self.predict(flower.row)
            if tx.type == REFUND and predicted != flower.label:
                return f"the model predicts {predicted} for this flower, not {flower.label}"
            if tx.type == REPORT and predicted == flower.label:
                return (f"the model agrees with this flower's label {flower.label}; only data it disagrees with "
                        "can be reported")
            return None
        verdict = self.judgement(flower)
        panel = ", ".join(f"row {v.row} {v.label}" for v, _ in verdict.panel)
        if tx.type == REFUND and not verdict.refund_allowed:
            return (f"none of the {len(verdict.panel)} nearest settled points ({panel}) is {flower.label}; "
                    f"a refund needs at least {claims.REFUND_AGREE}")
        if tx.type == REPORT and not verdict.report_allowed:
            return (f"{verdict.agree} of the {len(verdict.panel)} nearest settled points ({panel}) are "
                    f"{flower.label}; only a flower none of them agrees with can be reported")
        return None

    def claim_problem(self, tx: Transaction) -> Optional[str]:
        """Why a REFUND or REPORT may not stand in this block, or None."""
        rules = self.state.rules
        flower = self.flower(tx.body["flower_id"])
        if flower is None:
            return f"flower_id must name a FLOWER_DATA on the chain; {tx.body['flower_id'][:16]}... is not one"
        claimable = flower.block + rules.refund_wait
        if self.block_index < claimable:
            return (f"refund_wait is {rules.refund_wait} blocks; this flower can be claimed from block {claimable} "
                    f"(now {self.block_index})")
        if flower.left <= 0:
            return "nothing is left of this deposit"
        if tx.type == REFUND:
            if tx.sender != flower.sender:
                return f"only the contributor ({flower.sender}) may claim a refund of this flower"
            return self._verdict(tx, flower)
        if tx.sender == flower.sender:
            return "a contributor may not report their own flower; claim a refund instead"
        if self.good_of(tx.sender) < 1:
            return "only contributors with a refunded contribution may report; you have none"
        if tx.sender in flower.reporters:
            return "you have already reported this flower"
        return self._verdict(tx, flower)

    def problem(self, tx: Transaction) -> Optional[str]:
        """Why ``tx`` cannot be applied next, or None; nothing changes either way."""
        kind = tx.type
        if kind in (TRANSFER, FLOWER_DATA):
            if kind == FLOWER_DATA:
                rules = self.state.rules
                if tx.label() not in rules.classes:
                    return f"data.flower_type must be one of {', '.join(rules.classes)}; got {tx.label()!r:.40}"
                if tx.amount < rules.min_deposit:
                    return (f"the deposit (amount) must be at least the network's min_deposit {rules.min_deposit}; "
                            f"got {tx.amount}")
            if self.balance(tx.sender) < tx.amount:
                what = "send" if kind == TRANSFER else "deposit"
                return f"{tx.sender} must have at least {tx.amount} to {what}; has {self.balance(tx.sender)}"
        elif kind in CLAIM_TYPES:
            return self.claim_problem(tx)
        return None

    def apply(self, tx: Transaction, check: bool = True) -> Optional[str]:
        """Apply ``tx`` if it can be; returns why not (and changes nothing) otherwise.

        ``check=False`` is for blocks this node validated before (a restart whose stored bytes
        match its snapshot's digest): the effects are computed without re-judging them.
        """
        problem = self.problem(tx) if check else None
        if problem is not None:
            return problem
        kind = tx.type
        if kind == REWARD:
            self._credit(tx.recipient, tx.amount)
        elif kind == TRANSFER:
            self._credit(tx.sender, -tx.amount)
            self._credit(tx.recipient, tx.amount)
        elif kind == FLOWER_DATA:
            self._credit(tx.sender, -tx.amount)
            self.flowers[tx.id] = Flower(self.block_index, self.rows, tx.sender, tx.amount, tx.amount, tx.label(),
                                         point=claims.units(tx.features()))
            self.rows += 1
            self.new_rows.append(tx.features())
            self.new_labels.append(tx.label())
        elif kind == REFUND:
            flower = self.flower(tx.body["flower_id"])
            self._credit(tx.sender, flower.left)
            if self.state.rules.protocol >= 3 and not self.judgement(flower).good:
                self.flowers[tx.body["flower_id"]] = replace(flower, left=0, refunded=True)  # refunded, not good
                return None
            self.flowers[tx.body["flower_id"]] = replace(flower, left=0, refunded=True,
                                                         settled=self.block_index
                                                         if self.state.rules.protocol >= 3 else 0)
            self.good[tx.sender] = self.good_of(tx.sender) + 1
            self.total_good += 1
        elif kind == REPORT:
            flower = self.flower(tx.body["flower_id"])
            take = min(flower.left, max(1, flower.deposit * self.good_of(tx.sender) // self.total_good))
            self._credit(tx.sender, take)
            self.flowers[tx.body["flower_id"]] = replace(flower, left=flower.left - take,
                                                         reporters=flower.reporters | {tx.sender})
        return None

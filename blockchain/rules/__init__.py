"""One rule per transaction type (PROTOCOL.md "Transactions"), and the registry the ledger, the
state, the pool and the API dispatch through.

Each module here holds everything about its type: its body keys, its standalone check, its check
against the state, its effect, and the chain state's look-up tables it keeps and takes back
(``base.Rule``). A new type is one new module and one line in ``RULES``.
"""
from __future__ import annotations

from ..errors import InvalidTransaction
from . import (flower_data, genesis, job, job_commit, job_model, job_settle, job_test, model_update, refund, report,
               reward, transfer)
from .base import Rule

#: every transaction type, in the order PROTOCOL.md lists them (error messages list them so)
RULES: dict[str, Rule] = {rule.type: rule for rule in (
    transfer.RULE, flower_data.RULE, refund.RULE, report.RULE, reward.RULE, model_update.RULE, genesis.RULE,
    job.RULE, job_commit.RULE, job_test.RULE, job_model.RULE, job_settle.RULE)}


def rule_for(tx_type: object) -> Rule:
    """The rule of ``tx_type``; InvalidTransaction (the message every unknown type gets) otherwise."""
    found = RULES.get(tx_type) if type(tx_type) is str else None
    if found is None:
        raise InvalidTransaction(f"type must be one of {', '.join(RULES)}; got {tx_type!r:.40}")
    return found


__all__ = ["RULES", "Rule", "rule_for"]

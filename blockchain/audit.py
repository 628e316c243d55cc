"""Full re-verification of a chain from genesis, model replay included.

One code path serves the node at start-up, ``GET /chain/validate``, chains offered by peers and
the standalone verifier, so that they can never disagree about what is valid.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

from .block import Block
from .errors import InvalidBlock, InvalidTransaction
from .genesis import make_genesis
from .ledger import ChainState, Issue, check_block, check_genesis, feed_model


@dataclass
class AuditResult:
    issues: list[Issue] = field(default_factory=list)
    state: ChainState = field(default_factory=ChainState)
    model: Any = None
    length: int = 0
    complete: bool = True  # False when a block could not be parsed and later blocks were skipped

    @property
    def valid(self) -> bool:
        return not self.issues

    def to_dict(self) -> dict:
        return {"valid": self.valid, "length": self.length, "errors": [i.to_dict() for i in self.issues]}


def audit_chain(blocks: Sequence[Any], difficulty: int, model, now: Optional[float] = None,
                stop_at_first: bool = False) -> AuditResult:
    """Check ``blocks`` (dicts as served by ``GET /chain``, or ``Block`` objects) from genesis.

    ``model`` must be in its base state; it is replayed block by block and is the model of the
    chain afterwards (``result.model``). With ``stop_at_first`` the audit ends at the first
    invalid block (what a node does with a peer's chain); otherwise it names every problem it
    can find, carrying on past bad blocks as far as they can be read.
    """
    result = AuditResult(model=model, length=len(blocks))
    if not blocks:
        result.issues.append(Issue(None, "a chain must hold at least the genesis block; got none"))
        return result
    genesis = make_genesis(difficulty, model.summary())
    for position, raw in enumerate(blocks):
        try:
            block = raw if isinstance(raw, Block) else Block.from_dict(raw, lenient=True)
        except (InvalidBlock, InvalidTransaction) as exc:
            index = exc.block_index if exc.block_index is not None else position
            result.issues.append(Issue(index, f"{exc.message} (later blocks not checked)", exc.tx_id))
            result.complete = False
            return result
        if position == 0:
            issues = check_genesis(block, genesis)
        else:
            issues = check_block(block, result.state, model, difficulty, now)
            if block.index != position:
                issues.insert(0, Issue(block.index, f"block at position {position} must have index {position}; got {block.index}"))
        result.issues.extend(issues)
        if issues and stop_at_first:
            return result
        result.state.apply(block)
        if position:
            feed_model(model, block)
    return result

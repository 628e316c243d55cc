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
from .ledger import ChainState, Issue, check_block, check_genesis, feed_model, flower_points
from .transactions import MODEL_UPDATE


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
                stop_at_first: bool = False, checkpoint: Optional[tuple[int, Any]] = None) -> AuditResult:
    """Check ``blocks`` (dicts as served by ``GET /chain``, or ``Block`` objects) from genesis.

    ``model`` must be in its base state; it is replayed block by block and is the model of the
    chain afterwards (``result.model``). With ``stop_at_first`` the audit ends at the first
    invalid block (what a node does with a peer's chain); otherwise it names every problem it
    can find, carrying on past bad blocks as far as they can be read.

    ``checkpoint = (height, restored_model)`` is for a node restarting on its own data: blocks up
    to ``height`` get every check but the per-block refit; instead each of their FLOWER_DATA
    batches, model hashes and sizes must equal the restored model's history, which then stands
    in for the replay. Blocks after ``height`` are replayed in full. A mismatch is an issue.
    """
    result = AuditResult(model=model, length=len(blocks))
    if not blocks:
        result.issues.append(Issue(None, "a chain must hold at least the genesis block; got none"))
        return result
    genesis = make_genesis(difficulty, model.summary())
    trusted_height, history = -1, []
    if checkpoint is not None:
        trusted_height, restored = checkpoint
        history = list(restored.update_history())
    for position, raw in enumerate(blocks):
        try:
            block = raw if isinstance(raw, Block) else Block.from_dict(raw, lenient=True)
        except (InvalidBlock, InvalidTransaction) as exc:
            index = exc.block_index if exc.block_index is not None else position
            result.issues.append(Issue(index, f"{exc.message} (later blocks not checked)", exc.tx_id))
            result.complete = False
            return result
        trusted = 0 < position <= trusted_height
        if position == 0:
            issues = check_genesis(block, genesis)
        else:
            issues = check_block(block, result.state, None if trusted else model, difficulty, now)
            if trusted:
                issues.extend(_check_against_history(block, history))
            if block.index != position:
                issues.insert(0, Issue(block.index, f"block at position {position} must have index {position}; got {block.index}"))
        result.issues.extend(issues)
        if issues and stop_at_first:
            return result
        result.state.apply(block)
        if position == trusted_height:
            if history:
                issues = [Issue(position, f"the snapshot holds {len(history)} model update(s) the chain does not")]
                result.issues.extend(issues)
                if stop_at_first:
                    return result
            model = result.model = checkpoint[1]
        elif position > trusted_height:
            feed_model(model, block)
    return result


def _check_against_history(block: Block, history: list) -> list[Issue]:
    """A block under a checkpoint: its data and MODEL_UPDATE must be the next snapshot update."""
    rows, labels = flower_points(block.transactions)
    if not rows:
        return []
    update = next((tx for tx in block.transactions if tx.type == MODEL_UPDATE), None)
    if not history:
        return [Issue(block.index, "the snapshot has no model update for this block's FLOWER_DATA")]
    h_rows, h_labels, h_hash, h_count = history.pop(0)
    if [list(r) for r in h_rows] != rows or list(h_labels) != labels:
        return [Issue(block.index, "the block's FLOWER_DATA must be the snapshot's next update; it differs")]
    if update is not None and (update.body["data"]["model_hash"] != h_hash
                               or update.body["data"]["data_points_trained"] != h_count):
        return [Issue(block.index, f"the MODEL_UPDATE must commit to model_hash {h_hash} and {h_count} points; "
                                   f"got {update.body['data']['model_hash']} and {update.body['data']['data_points_trained']}",
                      update.id)]
    return []

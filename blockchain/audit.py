"""Full re-verification of a chain from genesis, model replay included, in one linear pass.

One code path serves the node at start-up, ``GET /chain/validate``, a peer's blocks past a fork
point and the standalone verifier, so that they can never disagree about what is valid.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence

from .block import Block
from .encoding import is_int
from .errors import InvalidBlock, InvalidTransaction
from .gcpause import paused_gc
from .genesis import V3_DIFFICULTY_KEYS, make_genesis_upto, network_params, param_keys
from .ledger import Delta
from .model_port import LedgerModel
from .state import ChainState, Rules
from .transition import Issue, check_genesis, feed_model, transition
from .transactions import GENESIS


@dataclass
class AuditResult:
    issues: list[Issue] = field(default_factory=list)
    state: Optional[ChainState] = None
    model: Any = None
    length: int = 0
    complete: bool = True  # False when a block could not be parsed and later blocks were skipped

    @property
    def valid(self) -> bool:
        return not self.issues

    def to_dict(self) -> dict[str, Any]:
        return {"valid": self.valid, "length": self.length, "errors": [i.to_dict() for i in self.issues]}


def declared_params(first: Any) -> Optional[dict[str, Any]]:
    """The params a chain's block 0 declares in its GENESIS transaction, if it reads as one."""
    try:
        txs = first["transactions"]
        params = txs[0]["params"] if txs[0]["type"] == GENESIS else None
    except (KeyError, IndexError, TypeError):
        return None
    if not isinstance(params, dict) or set(params) != set(param_keys(params.get("protocol"))):
        return None
    return dict(params)


def genesis_state(genesis: Block, params: Mapping[str, Any], model: LedgerModel) -> ChainState:
    """The state after block 0 of a network whose base model is ``model``."""
    state = ChainState(Rules.from_params(params))
    delta = Delta(state, 0, model, rows=model.summary()["data_points_trained"])
    state.apply(genesis, delta)
    return state


def audit_chain(blocks: Sequence[Any], model: LedgerModel, params: Optional[Mapping[str, Any]] = None,
                now_ms: Optional[int] = None, stop_at_first: bool = False) -> AuditResult:
    """Check ``blocks`` (dicts as served by ``GET /chain``, or ``Block`` objects) from genesis.

    ``model`` must be in its base state; it is replayed block by block and is the model of the
    chain afterwards (``result.model``). ``params`` are the network's; without them they are
    read from the chain's own genesis, and only its base model must match ``model``. With
    ``stop_at_first`` the audit ends at the first invalid block (what a node does with a peer's
    blocks); otherwise it names every problem it can find, as far as the blocks can be read.
    """
    result = AuditResult(model=model, length=len(blocks))
    if not blocks:
        result.issues.append(Issue(None, "a chain must hold at least the genesis block; got none"))
        return result
    first = blocks[0].to_dict() if isinstance(blocks[0], Block) else blocks[0]
    if params is None:
        declared = declared_params(first)
        if declared is None:
            result.issues.append(Issue(0, "block 0 must be a genesis block with a GENESIS transaction and its params"))
            result.complete = False
            return result
        own_base = model.genesis_params()["base_hash"]
        if declared.get("base_hash") != own_base:
            result.issues.append(Issue(0, f"block 0 declares base data {str(declared.get('base_hash'))[:16]}..., not "
                                          f"this model's {own_base[:16]}...: pass --base-data with the network's "
                                          "base data file"))
            result.complete = False
            return result
        try:
            params = network_params(declared["difficulty"], model.genesis_params(), declared["min_deposit"],
                                    declared["refund_wait"], declared["protocol"],
                                    **{key: declared[key] for key in V3_DIFFICULTY_KEYS if key in declared})
        except (ValueError, TypeError) as exc:
            result.issues.append(Issue(0, f"block 0 declares params that cannot be used: {exc}"))
            result.complete = False
            return result
    given = first.get("nonce") if isinstance(first, dict) else None
    try:
        genesis = make_genesis_upto(params, model.summary(), given if is_int(given) else -1)
    except InvalidTransaction as exc:  # a param outside the value rules (2^53, say): no GENESIS carries it
        result.issues.append(Issue(0, f"block 0 declares params that cannot be used: {exc.message}"))
        result.complete = False
        return result
    if genesis is None:
        result.issues.append(Issue(0, "block 0 must be this network's genesis (no nonce up to its own meets the "
                                      "difficulty)"))
        result.complete = len(blocks) == 1
        return result
    try:
        block0 = blocks[0] if isinstance(blocks[0], Block) else Block.from_dict(blocks[0], lenient=True)
    except (InvalidBlock, InvalidTransaction) as exc:
        block0 = None
        result.issues.append(Issue(0, f"{exc.message} (later blocks not checked)", exc.tx_id))
    if block0 is not None:
        result.issues.extend(check_genesis(block0, genesis))
    if result.issues:
        result.complete = block0 is not None and len(blocks) == 1
        if stop_at_first or block0 is None:
            return result
    result.state = genesis_state(genesis, params, model)
    with paused_gc():
        extend_audit(result, blocks, 1, model, now_ms, stop_at_first)
    return result


def extend_audit(result: AuditResult, blocks: Sequence[Any], start: int, model: LedgerModel, now_ms: Optional[int],
                 stop_at_first: bool, offset: int = 0) -> None:
    """Check and apply ``blocks[start:]`` on top of ``result.state`` and ``model`` (both changed);
    ``blocks[i]`` is expected at height ``offset + i``."""
    state = result.state
    if state is None:
        raise ValueError("extend_audit continues a state: result.state must be set")
    for position in range(start, len(blocks)):
        raw = blocks[position]
        try:
            block = raw if isinstance(raw, Block) else Block.from_dict(raw, lenient=True)
        except (InvalidBlock, InvalidTransaction) as exc:
            index = exc.block_index if exc.block_index is not None else offset + position
            result.issues.append(Issue(index, f"{exc.message} (later blocks not checked)", exc.tx_id))
            result.complete = False
            return
        outcome = transition(state, block, model, now_ms)
        issues = outcome.issues
        if block.index != state.height + 1 and not any("index must be" in i.message for i in issues):
            issues.insert(0, Issue(block.index, f"block at height {state.height + 1} must have index "
                                                f"{state.height + 1}; got {block.index}"))
        result.issues.extend(issues)
        if issues and stop_at_first:
            return
        state.apply(block, outcome.delta)
        try:
            feed_model(model, block)
        except Exception as exc:  # only an invalid block's data can get here (audits name every issue)
            result.issues.append(Issue(block.index, f"the model cannot take this block's data ({exc}); "
                                                    "later blocks not checked"))
            result.complete = False
            return
    result.model = model

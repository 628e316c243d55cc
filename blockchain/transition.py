"""The state transition of PROTOCOL.md version 2 (and the draft version 3): the one check of a block.

``transition(state, block, model, now_ms)`` is THE check of a block on top of a state: its header
on its parent's (links, difficulty, proof of work, time), its transactions' ids and signatures,
its Merkle root, its order, each transaction against the state (through ``ledger.Delta``) and
its MODEL_UPDATE against the replayed model. It is pure: the state and the model do not change;
it returns an ``Outcome``, every issue found (none: valid) and the block's effects, which the one
commit path (``core.LedgerCore.commit``, ``reorg.Reorgs``) or an audit (``audit.extend_audit``) then applies.
Mining, ``POST /blocks``, sync pages, reorgs, restart replays, ``GET /chain/validate`` and
``python -m blockchain.verify`` all judge blocks with it.

What is checked of a block before there is a state to check it against lives here too:
``check_headers`` (a run of headers, for a headers-first sync and a side block),
``check_body`` (a side block's body against its header) and ``check_genesis`` (block 0).
``feed_model`` gives an accepted block's data to the model.

The issues list everything wrong with a block, so that a node can refuse it with its first
problem and an audit can name every problem in a chain.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Optional, Sequence, Union

from .block import Block
from .encoding import canon
from .errors import InvalidSignature, ModelUpdateError
from .forkchoice import Ancestry, WorkLog, header_rules_problem
from .ledger import Delta
from .headers import Header
from .model_port import LedgerModel
from .pow import meets_difficulty
from .rules.job_common import JOB_SETTLE
from .state import ChainState
from .transactions import FLOWER_DATA, MAX_FUTURE_MS, MAX_USER_TRANSACTIONS, MODEL_UPDATE, REWARD, Transaction

Linked = Union[Block, Header]  # what a header check reads of a block or a bare header

__all__ = ["Issue", "Outcome", "transition", "check_headers", "check_body", "check_genesis", "feed_model",
           "flower_points"]


@dataclass(frozen=True)
class Issue:
    """One thing wrong with a chain: where, and what, in plain words."""

    block_index: Optional[int]
    message: str
    tx_id: Optional[str] = None

    def to_dict(self) -> dict[str, Any]:
        return {"block_index": self.block_index, "tx_id": self.tx_id, "message": self.message}

    def __str__(self) -> str:
        where = f"block {self.block_index}" if self.block_index is not None else "chain"
        tx = f" tx {self.tx_id}" if self.tx_id else ""
        return f"{where}{tx}: {self.message}"


@dataclass(frozen=True)
class Outcome:
    """What ``transition`` found: every issue of the block (none: it is valid) and its effects on
    top of the state it was checked on (a ``Delta``; the state itself did not change)."""

    issues: list[Issue]
    delta: Delta

    @property
    def valid(self) -> bool:
        return not self.issues


def transition(state: ChainState, block: Block, model: LedgerModel, now_ms: Optional[int] = None) -> Outcome:
    """THE check of ``block`` on top of ``state``, whose model is ``model`` (the LedgerModel after
    the parent block; it is only asked for previews and leave-one-out predictions). ``now_ms`` is
    this node's clock, for the rule on future timestamps (None: not checked, for blocks this node
    accepted before). Pure: neither ``state`` nor ``model`` changes."""
    issues, delta = check_block(block, state, model, now_ms)
    return Outcome(issues, delta)


def check_headers(headers: Sequence[Linked], parent: Linked, difficulty: int, now_ms: Optional[int],
                  chain: Optional[Union[WorkLog, Ancestry]] = None) -> Optional[Issue]:
    """The first problem of ``headers`` (Headers or Blocks) as a run of blocks on top of ``parent``
    (a Header or a Block), or None when each links to the one before, has the network's
    difficulty, the proof of work its hash claims and a time that does not go back or run ahead
    of ours: what can be judged of blocks before their bodies and their state are at hand.

    Under protocol 3 ``chain`` is the record of the chain ``parent`` ends (``forkchoice.Ancestry``,
    from ``Blockchain.ancestry``): each header must carry the difficulty the blocks before it
    require and a time after their median time past; the headers are appended to it as they pass,
    so that its ``work`` is then the branch's."""
    for header in headers:
        issues = check_header(header, parent, difficulty, now_ms, chain)
        if issues:
            return issues[0]
        if chain is not None:
            chain.append(header.timestamp_ms, header.difficulty)
        parent = header
    return None


def check_body(block: Block) -> list[Issue]:
    """Whether ``block``'s transactions are the ones its header commits to (each id the hash of
    its body, checked when parsed; the Merkle root of those ids), in the order PROTOCOL.md fixes:
    what can be judged of a block whose parent state is not at hand (a side branch's). What needs
    the state (balances, claims, the model) is judged by ``transition`` if the branch is adopted."""
    issues = []
    root = block.computed_merkle_root()
    if root != block.merkle_root:
        issues.append(Issue(block.index, f"merkle_root must be {root} (the root of its transactions' ids); "
                                         f"got {block.merkle_root}"))
    issues.extend(check_order(block))
    unverified = next((tx for tx in block.transactions if not tx.verified), None)
    if unverified is not None:
        issues.append(Issue(block.index, "transaction id must be H(canon(body))", unverified.id))
    return issues


def check_order(block: Block) -> list[Issue]:
    """REWARD first, then user transactions, then a MODEL_UPDATE iff any FLOWER_DATA."""
    issues = []
    txs = block.transactions
    types = [tx.type for tx in txs]
    at = block.index

    if not txs or types[0] != REWARD:
        issues.append(Issue(at, "the first transaction must be the block's one REWARD"))
    elif txs[0].body["block_index"] != at:
        issues.append(Issue(at, f"the REWARD's block_index must be {at}; got {txs[0].body['block_index']}", txs[0].id))
    has_flower = FLOWER_DATA in types
    ends_with_update = bool(types) and types[-1] == MODEL_UPDATE
    if has_flower and not ends_with_update:
        issues.append(Issue(at, "a block with FLOWER_DATA must end with one MODEL_UPDATE"))
    if not has_flower and MODEL_UPDATE in types:
        issues.append(Issue(at, "a block without FLOWER_DATA must not hold a MODEL_UPDATE"))
    middle = txs[1:-1] if ends_with_update else txs[1:]
    settles = 0  # v3: the JOB_SETTLEs come right after the REWARD (PROTOCOL.md "Settlement")
    while settles < len(middle) and middle[settles].type == JOB_SETTLE:
        settles += 1
    middle = middle[settles:]
    for tx in middle:
        if not tx.is_user:
            place = {REWARD: "first in a block, once", MODEL_UPDATE: "last in a block, once",
                     JOB_SETTLE: "right after the REWARD"}.get(tx.type, "in genesis")
            issues.append(Issue(at, f"a {tx.type} may stand only {place}", tx.id))
    if len(middle) > MAX_USER_TRANSACTIONS:
        issues.append(Issue(at, f"a block must hold at most {MAX_USER_TRANSACTIONS} user transactions; "
                                f"got {len(middle)}"))
    return issues


def check_header(block: Linked, parent: Linked, difficulty: int, now_ms: Optional[int],
                 chain: Optional[Union[WorkLog, Ancestry]] = None) -> list[Issue]:
    """The rules a header meets on top of its parent's: links, proof of work, time. ``chain`` is
    the (timestamp, difficulty) record of the blocks it extends (``forkchoice.WorkLog`` or
    ``Ancestry``); under protocol 3 its rules replace the fixed difficulty's."""
    at = block.index
    issues: list[Issue] = []
    if block.index != parent.index + 1:
        issues.append(Issue(at, f"index must be {parent.index + 1} (parent + 1); got {block.index}"))
    if block.previous_hash != parent.hash:
        issues.append(Issue(at, f"previous_hash must be the parent's hash {parent.hash}; got {block.previous_hash}"))
    if chain is not None and chain.params is not None:  # protocol 3: PROTOCOL.md "Version 3: difficulty"
        problem = header_rules_problem(block, chain, now_ms)
        return issues + ([Issue(at, problem)] if problem else [])
    if block.difficulty != difficulty:
        issues.append(Issue(at, f"difficulty must be the network's {difficulty}; got {block.difficulty}"))
    real_hash = block.computed_hash()
    if real_hash != block.hash:
        issues.append(Issue(at, f"hash must be {real_hash} (recomputed from the header and nonce); got {block.hash}"))
    elif not meets_difficulty(block.hash, difficulty):
        issues.append(Issue(at, f"hash must start with {difficulty} hex zeros; got {block.hash}"))
    if block.timestamp_ms < parent.timestamp_ms:
        issues.append(Issue(at, f"timestamp_ms must be >= the parent's {parent.timestamp_ms}; "
                                f"got {block.timestamp_ms}"))
    if now_ms is not None and block.timestamp_ms > now_ms + MAX_FUTURE_MS:
        issues.append(Issue(at, "timestamp_ms must be at most 2 hours ahead of this node's clock; "
                                f"got {block.timestamp_ms}"))
    return issues


def check_block(block: Block, state: ChainState, model: LedgerModel,
                now_ms: Optional[int] = None) -> tuple[list[Issue], Delta]:
    """Everything wrong with ``block`` on top of ``state`` (whose model is ``model``), and the
    effects of its transactions. ``model`` is the LedgerModel after the parent block; it is only
    asked for previews and leave-one-out predictions here. An empty list means valid."""
    at = block.index
    issues = check_header(block, state.tip, state.rules.difficulty, now_ms, state.work)
    for tx in block.transactions:
        if not tx.verified:
            real = tx.computed_id()
            if real != tx.id:
                issues.append(Issue(at, f"transaction id must be H(canon(body)) = {real}; got {tx.id}", tx.id))
            try:
                tx.check_signature()
            except InvalidSignature as exc:
                issues.append(Issue(at, exc.message, tx.id))
    root = block.computed_merkle_root()
    if root != block.merkle_root:
        issues.append(Issue(at, f"merkle_root must be {root}; got {block.merkle_root}"))
    issues.extend(check_order(block))

    delta = Delta(state, at, model)
    seen: set[str] = set()
    for tx in block.transactions:
        if tx.id in seen or tx.id in state.tx_block:
            where = "this block" if tx.id in seen else f"block {state.tx_block[tx.id]}"
            issues.append(Issue(at, f"transaction ids must be unique in the chain; this one is already in {where}",
                                tx.id))
        seen.add(tx.id)
        if now_ms is not None and tx.is_user and tx.body["timestamp_ms"] > now_ms + MAX_FUTURE_MS:
            issues.append(Issue(at, "a user transaction's timestamp_ms must be at most 2 hours ahead of this "
                                    "node's clock",
                                tx.id))
        problem = delta.apply(tx)
        if problem is not None:
            issues.append(Issue(at, problem, tx.id))
    issues.extend(_check_model_update(block, delta, model))
    issues.extend(_check_settlements(block, delta))
    return issues, delta


def _check_settlements(block: Block, delta: Delta) -> list[Issue]:
    """v3: every job that settles in this block has its JOB_SETTLE in it (each one present was
    checked against the replayed settlement by its rule)."""
    issues = []
    for job_id in delta.settling_at(block.index):
        job = delta.job(job_id)
        if job is not None and job.settled_in is None:
            issues.append(Issue(block.index, f"job {job_id} settles in this block: the block must hold its "
                                             "JOB_SETTLE right after the REWARD"))
    return issues


def _check_model_update(block: Block, delta: Delta, model: LedgerModel) -> list[Issue]:
    updates = [tx for tx in block.transactions if tx.type == MODEL_UPDATE]
    if not delta.new_rows or len(updates) != 1:
        return []  # absence or surplus is an ordering issue, reported by check_order
    update = updates[0]
    issues = []
    if update.body["block_index"] != block.index:
        issues.append(Issue(block.index, f"the MODEL_UPDATE's block_index must be {block.index}; "
                                         f"got {update.body['block_index']}", update.id))
    expected = model.preview_update(delta.new_rows, delta.new_labels)
    claimed = update.body["data"]
    if claimed != expected:
        issues.append(Issue(block.index, f"the MODEL_UPDATE must equal the replayed model "
                                         f"{canon(expected).decode()}; got {canon(dict(claimed)).decode()}", update.id))
    return issues


def check_genesis(block: Block, genesis: Block) -> list[Issue]:
    if canon(block.to_dict()) != canon(genesis.to_dict()):  # bytes: true is never 1
        return [Issue(0, f"block 0 must be this network's genesis (hash {genesis.hash}); got hash {block.hash}")]
    return []


def flower_points(transactions: Iterable[Transaction]) -> tuple[list[list[str]], list[str]]:
    """Rows (measurement strings) and labels of the FLOWER_DATA among ``transactions``, in order."""
    rows, labels = [], []
    for tx in transactions:
        if tx.type == FLOWER_DATA:
            rows.append(tx.features())
            labels.append(tx.label())
    return rows, labels


def feed_model(model: LedgerModel, block: Block) -> Optional[dict[str, Any]]:
    """Give an accepted block's FLOWER_DATA to the model as one update, all or nothing.

    Returns the model's new summary, or None when the block carries no FLOWER_DATA.
    """
    rows, labels = flower_points(block.transactions)
    if not rows:
        return None
    try:
        for features, label in zip(rows, labels, strict=True):
            if not model.add_data_point(features, label):
                raise ModelUpdateError(f"the model refused a data point of block {block.index}",
                                       block_index=block.index)
        return model.commit_data_points()
    except BaseException:
        model.discard_data_points()
        raise

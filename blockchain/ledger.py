"""Chain state (balances, known ids, total work) and the validity rules of PROTOCOL.md.

``check_block`` lists everything wrong with a block on top of a state, so that the node can
refuse a block with its first problem and an audit can name every problem in a chain.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .block import Block
from .encoding import canon
from .errors import InvalidSignature, ModelUpdateError
from .pow import meets_difficulty
from .transactions import (FLOWER_DATA, MAX_FUTURE_SECONDS, MODEL_UPDATE, REWARD, TRANSFER,
                           Transaction)

MAX_USER_TRANSACTIONS = 1000


@dataclass(frozen=True)
class Issue:
    """One thing wrong with a chain: where, and what, in plain words."""

    block_index: Optional[int]
    message: str
    tx_id: Optional[str] = None

    def to_dict(self) -> dict:
        return {"block_index": self.block_index, "tx_id": self.tx_id, "message": self.message}

    def __str__(self) -> str:
        where = f"block {self.block_index}" if self.block_index is not None else "chain"
        tx = f" tx {self.tx_id}" if self.tx_id else ""
        return f"{where}{tx}: {self.message}"


@dataclass
class ChainState:
    """What a chain of accepted blocks implies: balances, transaction ids, total work."""

    blocks: list[Block] = field(default_factory=list)
    balances: dict[str, int] = field(default_factory=dict)
    tx_block: dict[str, int] = field(default_factory=dict)
    block_heights: dict[str, int] = field(default_factory=dict)
    total_work: int = 0

    @property
    def tip(self) -> Block:
        return self.blocks[-1]

    def balance(self, address: str) -> int:
        return self.balances.get(address, 0)

    def apply(self, block: Block) -> None:
        """Add a block that ``check_block`` accepted."""
        for tx in block.transactions:
            self.tx_block[tx.id] = block.index
            apply_transfer(self.balances, tx)
        self.blocks.append(block)
        self.block_heights[block.hash] = block.index
        self.total_work += block.work


def apply_transfer(balances: dict[str, int], tx: Transaction) -> bool:
    """Move value for one transaction; False (and nothing moved) if the sender cannot pay."""
    if tx.type == REWARD:
        balances[tx.recipient] = balances.get(tx.recipient, 0) + tx.amount
    elif tx.type == TRANSFER:
        if balances.get(tx.sender, 0) < tx.amount:
            return False
        balances[tx.sender] -= tx.amount
        balances[tx.recipient] = balances.get(tx.recipient, 0) + tx.amount
    return True


def flower_points(transactions) -> tuple[list[list[float]], list[str]]:
    rows, labels = [], []
    for tx in transactions:
        if tx.type == FLOWER_DATA:
            rows.append(tx.features())
            labels.append(tx.label())
    return rows, labels


def _check_order(block: Block) -> list[Issue]:
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
    for tx in middle:
        if not tx.is_user:
            issues.append(Issue(at, f"a {tx.type} may stand only {'first' if tx.type == REWARD else 'last'} "
                                    "in a block, once", tx.id))
    if len(middle) > MAX_USER_TRANSACTIONS:
        issues.append(Issue(at, f"a block must hold at most {MAX_USER_TRANSACTIONS} user transactions; got {len(middle)}"))
    return issues


def check_block(block: Block, state: ChainState, model, difficulty: int,
                now: Optional[float] = None) -> list[Issue]:
    """Everything wrong with ``block`` on top of ``state`` (whose model is ``model``).

    ``model`` is the LedgerModel at the parent's state; it is only asked for a preview here.
    With ``model=None`` the MODEL_UPDATE is not compared here (a restart from a verified
    snapshot checks it against the snapshot's history instead). An empty list means valid.
    """
    at = block.index
    parent = state.tip
    issues: list[Issue] = []
    if block.index != parent.index + 1:
        issues.append(Issue(at, f"index must be {parent.index + 1} (parent + 1); got {block.index}"))
    if block.previous_hash != parent.hash:
        issues.append(Issue(at, f"previous_hash must be the parent's hash {parent.hash}; got {block.previous_hash}"))
    if block.difficulty != difficulty:
        issues.append(Issue(at, f"difficulty must be the network's {difficulty}; got {block.difficulty}"))

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
    real_hash = block.computed_hash()
    if real_hash != block.hash:
        issues.append(Issue(at, f"hash must be {real_hash} (recomputed from the header and nonce); got {block.hash}"))
    elif not meets_difficulty(block.hash, difficulty):
        issues.append(Issue(at, f"hash must start with {difficulty} hex zeros; got {block.hash}"))
    if block.timestamp < parent.timestamp:
        issues.append(Issue(at, f"timestamp must be >= the parent's {parent.timestamp}; got {block.timestamp}"))
    if now is not None and block.timestamp > now + MAX_FUTURE_SECONDS:
        issues.append(Issue(at, f"timestamp must be at most {MAX_FUTURE_SECONDS} s ahead of this node's clock; got {block.timestamp}"))

    issues.extend(_check_order(block))

    seen: set[str] = set()
    balances: dict[str, int] = {}
    for tx in block.transactions:
        if tx.id in seen or tx.id in state.tx_block:
            where = "this block" if tx.id in seen else f"block {state.tx_block[tx.id]}"
            issues.append(Issue(at, f"transaction ids must be unique in the chain; this one is already in {where}", tx.id))
        seen.add(tx.id)
        if now is not None and tx.is_user and tx.body["timestamp"] > now + MAX_FUTURE_SECONDS:
            issues.append(Issue(at, "a user transaction's timestamp must be at most 2 hours ahead of this node's clock", tx.id))
        for address in (tx.sender, tx.recipient):
            if address not in balances:
                balances[address] = state.balance(address)
        if not apply_transfer(balances, tx):
            issues.append(Issue(at, f"{tx.sender} must have at least {tx.amount} to send; has {balances.get(tx.sender, 0)}", tx.id))

    if model is not None:
        issues.extend(_check_model_update(block, model))
    return issues


def _check_model_update(block: Block, model) -> list[Issue]:
    rows, labels = flower_points(block.transactions)
    updates = [tx for tx in block.transactions if tx.type == MODEL_UPDATE]
    if not rows or len(updates) != 1:
        return []  # absence or surplus is an ordering issue, reported by _check_order
    update = updates[0]
    issues = []
    if update.body["block_index"] != block.index:
        issues.append(Issue(block.index, f"the MODEL_UPDATE's block_index must be {block.index}; "
                                         f"got {update.body['block_index']}", update.id))
    expected = model.preview_update(rows, labels)
    claimed = update.body["data"]
    if canon(claimed) != canon(expected):
        issues.append(Issue(block.index, f"the MODEL_UPDATE must equal the replayed model {canon(expected).decode()}; "
                                         f"got {canon(claimed).decode()}", update.id))
    return issues


def check_genesis(block: Block, genesis: Block) -> list[Issue]:
    if block.to_dict() != genesis.to_dict() or block.hash != genesis.hash:
        return [Issue(0, f"block 0 must be this network's genesis (hash {genesis.hash}); got hash {block.hash}")]
    return []


def feed_model(model, block: Block) -> Optional[dict]:
    """Give an accepted block's FLOWER_DATA to the model as one update, all or nothing.

    Returns the model's new summary, or None when the block carries no FLOWER_DATA.
    """
    rows, labels = flower_points(block.transactions)
    if not rows:
        return None
    try:
        for features, label in zip(rows, labels):
            if not model.add_data_point(features, label):
                raise ModelUpdateError(f"the model refused a data point of block {block.index}", block_index=block.index)
        return model.commit_data_points()
    except BaseException:
        model.discard_data_points()
        raise

"""The validity rules of PROTOCOL.md version 2 (and the draft version 3's claim rule, ``claims.py``)
(the state they apply to is in ``state.py``).

``Delta`` applies transactions on top of a state without changing it; one rule set serves block
validation, block templates and the admission of pending transactions. ``check_block`` lists
everything wrong with a block, so that a node can refuse it with its first problem and an audit
can name every problem in a chain.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from . import claims
from .block import Block
from .encoding import canon
from .errors import InvalidSignature, ModelUpdateError
from .pow import meets_difficulty
from .rules import rule_for
from .state import ChainState, Flower, Rules, UndoMissing
from .transactions import FLOWER_DATA, MAX_FUTURE_MS, MAX_USER_TRANSACTIONS, MODEL_UPDATE, REWARD, Transaction

__all__ = ["Issue", "Delta", "check_block", "check_header", "check_order", "check_genesis", "feed_model",
           "flower_points",
           "ChainState", "Flower", "Rules", "UndoMissing"]  # the state's names, for their existing importers


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


class Delta:
    """The effects of transactions applied on top of a state that itself stays unchanged.

    Each transaction type's rule (``blockchain/rules/``) says whether it may stand next and what it
    changes, through the methods below (``rules.base.Ledger``); nothing else writes a Delta's fields.
    """

    def __init__(self, state: ChainState, block_index: int, model: Any, *, rows: Optional[int] = None) -> None:
        self.state, self.block_index, self.model = state, block_index, model
        self.balances: dict[str, int] = {}
        self.flowers: dict[str, Flower] = {}
        self.good: dict[str, int] = {}
        self.total_good = state.total_good
        self.rows = state.rows if rows is None else rows
        self.new_rows: list[list[str]] = []
        self.new_labels: list[str] = []
        self._predictions: dict[int, str] = {}
        self._voters: Optional[list[claims.Voter]] = None
        self._judgements: dict[int, claims.Judgement] = {}

    def carried(self, block_index: int) -> "Delta":
        """A Delta for block ``block_index`` that starts from this one's effects (over the same
        state, which stays unchanged), without a model: for checking the pool after a block."""
        out = Delta(self.state, block_index, None)
        out.balances, out.flowers, out.good = dict(self.balances), dict(self.flowers), dict(self.good)
        out.total_good, out.rows = self.total_good, self.rows
        return out

    def assume_balance(self, address: str, amount: int) -> None:
        """Take ``address``'s balance to be ``amount`` from now on (what it may spend, say)."""
        self.balances[address] = amount

    # -- what rules read ----------------------------------------------------------------
    @property
    def rules(self) -> Rules:
        return self.state.rules

    def balance(self, address: str) -> int:
        value = self.balances.get(address)
        return self.state.balances.get(address, 0) if value is None else value

    def flower(self, flower_id: str) -> Optional[Flower]:
        return self.flowers.get(flower_id) or self.state.flowers.get(flower_id)

    def good_of(self, address: str) -> int:
        value = self.good.get(address)
        return self.state.good.get(address, 0) if value is None else value

    def predict(self, row: int) -> str:
        """The leave-one-out prediction of a row on the model after the parent block."""
        if row not in self._predictions:
            self._predictions[row] = self.model.loo_predict(row)
        return self._predictions[row]

    def voters(self) -> list[claims.Voter]:
        """v3: the base rows and the contributions judged good before this block (``claims.Voter``)."""
        if self._voters is None:
            base = claims.base_points(self.model, self.state.rules.base_hash)
            found = [claims.Voter(row, point, label) for row, (point, label) in enumerate(base)]
            for flower_id, flower in self.state.flowers.items():  # this block's refunds vote from the next one
                if 0 < flower.settled < self.block_index:
                    found.append(claims.Voter(flower.row, flower.point, flower.label, flower_id))
            self._voters = found
        return self._voters

    def judgement(self, flower: Flower) -> claims.Judgement:
        """v3: the panel that judges ``flower`` in this block."""
        rules = self.state.rules
        found = self._judgements.get(flower.row)  # the voters do not change within a block, nor the flower's point
        if found is None:
            found = self._judgements[flower.row] = claims.judge(flower.point, flower.label, self.voters(), rules.k,
                                                                rules.weights)
        return found

    # -- what rules change --------------------------------------------------------------
    def credit(self, address: str, amount: int) -> None:
        self.balances[address] = self.balance(address) + amount

    def put_flower(self, flower_id: str, flower: Flower) -> None:
        self.flowers[flower_id] = flower

    def add_row(self, features: list[str], label: str) -> int:
        """A new training row; returns its row number."""
        row = self.rows
        self.rows += 1
        self.new_rows.append(features)
        self.new_labels.append(label)
        return row

    def add_good(self, address: str) -> None:
        """One more good (refunded, v3: unanimously judged) contribution of ``address``."""
        self.good[address] = self.good_of(address) + 1
        self.total_good += 1

    # -- a transaction ------------------------------------------------------------------
    def claim_problem(self, tx: Transaction) -> Optional[str]:
        """Why a REFUND or REPORT may not stand in this block, or None (its rule's ``problem``)."""
        return self.problem(tx)

    def problem(self, tx: Transaction) -> Optional[str]:
        """Why ``tx`` cannot be applied next, or None; nothing changes either way."""
        return rule_for(tx.type).problem(self, tx)

    def apply(self, tx: Transaction, check: bool = True) -> Optional[str]:
        """Apply ``tx`` if it can be; returns why not (and changes nothing) otherwise.

        ``check=False`` is for blocks this node validated before (a restart whose stored bytes
        match its snapshot's digest): the effects are computed without re-judging them.
        """
        rule = rule_for(tx.type)
        problem = rule.problem(self, tx) if check else None
        if problem is not None:
            return problem
        rule.apply(self, tx)
        return None


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
    for tx in middle:
        if not tx.is_user:
            place = {REWARD: "first in a block, once", MODEL_UPDATE: "last in a block, once"}.get(tx.type, "in genesis")
            issues.append(Issue(at, f"a {tx.type} may stand only {place}", tx.id))
    if len(middle) > MAX_USER_TRANSACTIONS:
        issues.append(Issue(at, f"a block must hold at most {MAX_USER_TRANSACTIONS} user transactions; "
                                f"got {len(middle)}"))
    return issues


def check_header(block: Block, parent: Block, difficulty: int, now_ms: Optional[int]) -> list[Issue]:
    """The rules a header meets on top of its parent's: links, proof of work, time."""
    at = block.index
    issues: list[Issue] = []
    if block.index != parent.index + 1:
        issues.append(Issue(at, f"index must be {parent.index + 1} (parent + 1); got {block.index}"))
    if block.previous_hash != parent.hash:
        issues.append(Issue(at, f"previous_hash must be the parent's hash {parent.hash}; got {block.previous_hash}"))
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


def check_block(block: Block, state: ChainState, model, now_ms: Optional[int] = None) -> tuple[list[Issue], Delta]:
    """Everything wrong with ``block`` on top of ``state`` (whose model is ``model``), and the
    effects of its transactions. ``model`` is the LedgerModel after the parent block; it is only
    asked for previews and leave-one-out predictions here. An empty list means valid."""
    at = block.index
    issues = check_header(block, state.tip, state.rules.difficulty, now_ms)
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
    return issues, delta


def _check_model_update(block: Block, delta: Delta, model) -> list[Issue]:
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


def flower_points(transactions) -> tuple[list[list[str]], list[str]]:
    """Rows (measurement strings) and labels of the FLOWER_DATA among ``transactions``, in order."""
    rows, labels = [], []
    for tx in transactions:
        if tx.type == FLOWER_DATA:
            rows.append(tx.features())
            labels.append(tx.label())
    return rows, labels


def feed_model(model, block: Block) -> Optional[dict]:
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

"""The ledger a node runs: accepted blocks, the pending pool, mining and the model seam.

``Blockchain`` is made of parts it owns, each with one job: the ledger's state, model, pool,
store and locks live in one owner with the one commit path (``core.LedgerCore``); reads go
through a read-only view (``chain_reads.ChainView``); reorgs and runs of blocks are in
``reorg.Reorgs``; start-up is a function (``startup.load_chain``). This module holds what changes
the ledger besides reorgs: transactions, mining, blocks from elsewhere; and delegates the rest.

Thread safety (``core.py``): a re-entrant write lock serialises every change (a transaction, a
block, a reorg), disk writes included; a short view lock covers only the in-memory swap at the
end of a change, and is all that reads take, so a read never waits for a disk sync or a model
update. Proof of work runs outside both (``mining.py``).
"""
from __future__ import annotations

import logging
import time
import weakref
from typing import Any, Callable, Mapping, Optional, Sequence

from .audit import AuditResult, audit_chain
from .block import Block
from .chain_reads import ChainView
from .core import LedgerCore
from .errors import (BlockConflict, ClaimPending, DuplicateTransaction,
                     InsufficientFunds, InvalidBlock, InvalidTransaction, ModelUpdateError, PoolFull)
from .errors import MiningAborted as MiningAborted  # re-exported: importers name blockchain.chain
from .errors import MiningBusy as MiningBusy
from .forkchoice import Ancestry
from .gcpause import paused_gc
from .genesis import PROTOCOL_VERSION, make_genesis, network_params
from .ledger import Delta
from .model_port import LedgerModel
from .mining import MAX_MINE_REQUESTS as MAX_MINE_REQUESTS  # re-exported: importers name blockchain.chain
from .mining import Mining, NonceFinder, thread_finder
from .pool import MAX_PENDING, PendingPool, sender_source
from .reorg import BranchResult, Reorgs
from .snapshots import save_snapshot
from .startup import load_chain, load_pending
from .state import ChainState, Flower
from .storage import ChainStore, MemoryStore
from .transition import Issue, feed_model, transition
from .transactions import FLOWER_DATA, MAX_USER_TRANSACTIONS, Transaction

log = logging.getLogger("blockchain")


def _alive(ref: "weakref.WeakMethod[Any]") -> Any:
    method = ref()
    if method is None:  # only a core that outlived its chain could get here
        raise RuntimeError("the chain that owned this ledger core is gone")
    return method


class Blockchain:
    """A node's chain. ``model`` is any LedgerModel (``blockchain.model_port``) in its base state.

    ``difficulty``, ``min_deposit`` and ``refund_wait`` fix the network together with the model's
    base (PROTOCOL.md "Genesis").
    """

    def __init__(self, model: LedgerModel, difficulty: int = 4, store: Optional[ChainStore] = None, *,
                 min_deposit: int = 0, refund_wait: int = 10,
                 protocol: int = PROTOCOL_VERSION,
                 require_signatures: bool = False, clock: Callable[[], float] = time.time,
                 max_block_transactions: int = MAX_USER_TRANSACTIONS, nonce_finder: NonceFinder = thread_finder,
                 max_pending: int = MAX_PENDING, target_block_ms: Optional[int] = None,
                 retarget_every: Optional[int] = None, min_difficulty: Optional[int] = None) -> None:
        self.difficulty = difficulty
        self.params = network_params(difficulty, model.genesis_params(), min_deposit, refund_wait, protocol,
                                     target_block_ms=target_block_ms, retarget_every=retarget_every,
                                     min_difficulty=min_difficulty)  # ValueError: not a network
        self.require_signatures = require_signatures
        self.max_block_transactions = max_block_transactions
        self.max_pending = max_pending
        self.genesis = make_genesis(self.params, model.summary())
        chosen: ChainStore = store if store is not None else MemoryStore()
        with paused_gc():
            state, model = load_chain(chosen, self.genesis, self.params, model)
        # The core calls back through a weak reference: a chain that nothing uses any more is freed at
        # once (no cycle chain -> core -> bound method -> chain for the collector to find later).
        feed = weakref.WeakMethod(self._process_ml_transactions)
        self._core = LedgerCore(chosen, state, model, max_pending, clock,
                                lambda block: _alive(feed)(block))
        self._view = ChainView(self._core, self.genesis, self.params)
        self._reorgs = Reorgs(self._core, self._view, self.genesis, self.params)
        self._mining = Mining(self._core, difficulty, max_block_transactions, nonce_finder)
        load_pending(chosen, lambda tx: self._admit(tx, persist=False))

    def now_ms(self) -> int:
        return self._core.now_ms()

    # -- the parts' state, for readers that need the objects themselves ----------------
    @property
    def state(self) -> ChainState:
        """The ledger's state after the tip (read-only for callers: change it through this class)."""
        return self._core.state

    @property
    def model(self) -> Any:
        """The model after the tip (the chain may rebuild it: ask again each time): the object given
        to the constructor or one of its rebuilds, so of the caller's own class (a LedgerModel)."""
        return self._core.model

    @property
    def pool(self) -> PendingPool:
        return self._core.pool

    @property
    def store(self) -> ChainStore:
        return self._core.store

    @property
    def view(self) -> ChainView:
        """The read-only view every read method below delegates to."""
        return self._view

    # -- transactions -----------------------------------------------------------------
    def add_transaction(self, tx: Transaction, source: Optional[str] = None) -> int:
        """Validate a user transaction against the chain and pool, store it, pool it.

        ``source`` is where it came from (``pool.py``: a peer; by default its sender), which the
        pool shares fairly between. Returns the index of the next block. Raises
        DuplicateTransaction, ClaimPending, InsufficientFunds, ClaimNotAllowed, InvalidTransaction,
        SignatureRequired or PoolFull; nothing changes then.
        """
        with self._core.lock:
            self._admit(tx, persist=True, source=source)
            return self.height + 1

    def _admit(self, tx: Transaction, persist: bool, source: Optional[str] = None) -> None:
        if not tx.is_user:
            raise InvalidTransaction(f"only nodes create {tx.type} transactions; a client may not submit one",
                                     tx_id=tx.id)
        if self.require_signatures:
            tx.require_signature()
        tx.check_timestamp(self.now_ms())
        if tx.id in self.state.tx_block:
            raise DuplicateTransaction(f"transaction {tx.id} is already in block {self.state.tx_block[tx.id]}",
                                       tx_id=tx.id)
        if tx.id in self.pool:
            raise DuplicateTransaction(f"transaction {tx.id} is already pending", tx_id=tx.id)
        rule = tx.rule
        already = self.pool.pending_like(tx)
        other = self.pool.get(already) if already is not None else None
        if other is not None:
            raise ClaimPending(rule.already_pending(tx, other), tx_id=tx.id)
        delta = Delta(self.state, self.height + 1, self.model)
        spendable = self.state.balance(tx.sender) - self.pool.outgoing(tx.sender)
        delta.assume_balance(tx.sender, spendable)
        problem = delta.problem(tx)
        if problem is not None:
            if tx.spends > spendable:
                raise InsufficientFunds(
                    f"amount must be at most what {tx.sender} can spend ({spendable}: balance "
                    f"{self.state.balance(tx.sender)} minus {self.pool.outgoing(tx.sender)} pending); "
                    f"got {tx.amount}",
                    tx_id=tx.id)
            raise rule.refused(problem, tx_id=tx.id)
        source = source or sender_source(tx)
        evict = None
        if self.pool.full():
            evict = self.pool.to_evict_for(source)
            if evict is None:
                raise PoolFull(f"the pending pool is full ({self.pool.capacity} transactions) and {source} holds "
                               f"{self.pool.held_by(source)} of them, as many as any source; wait for a block")
        if evict is not None:
            self.store.remove_pending([evict.id])
        if persist:
            self.store.add_pending(tx.to_dict())  # under the write lock only: reads go on meanwhile
        with self._core.view_lock:
            if evict is not None:
                evicted_from = self.pool.source(evict.id)
                self.pool.remove([evict.id])
            self.pool.add(tx, source)
        if evict is not None:
            log.info("evicted pending %s %s of %s (the largest source) for one from %s", evict.type, evict.id[:16],
                     evicted_from, source)

    # -- mining (``mining.Mining``) ------------------------------------------------------
    def mine(self, miner_address: str) -> Block:
        """Mine one block paying the REWARD to ``miner_address``, append it, and return it
        (MiningBusy when MAX_MINE_REQUESTS calls already mine or wait)."""
        return self._mining.mine(miner_address)

    def stop_mining(self) -> None:
        """Mining under way and every later mine() raise MiningAborted (the node is stopping).
        Takes no lock, so a signal handler may call it."""
        self._mining.stop()

    def close(self) -> None:
        """Stop any mining under way (it raises MiningAborted) and close the store."""
        self.stop_mining()
        with self._core.lock:
            try:
                save_snapshot(self.store, self.model, self.state)
            except Exception as exc:  # the chain itself is safe on disk; a snapshot only saves time
                log.warning("could not save the snapshot: %s", exc)
            self.store.close()

    # -- blocks from elsewhere --------------------------------------------------------
    def add_block(self, block: Block) -> bool:
        """Append a block that extends our tip after full validation.

        True when appended, False when already known. Raises BlockConflict when it does not
        extend our tip, InvalidBlock when it breaks a rule; nothing changes when it raises.
        """
        with self._core.lock:
            if block.hash in self.state.block_heights:
                return False
            tip = self.state.tip
            if block.previous_hash == tip.hash and block.index != tip.index + 1:
                raise InvalidBlock(f"index must be {tip.index + 1} (parent + 1); got {block.index}",
                                   block_index=block.index)  # it claims to extend our tip, and cannot
            if block.previous_hash != tip.hash:
                self.check_body(block)  # InvalidBlock: a body that is not the one its header commits to
                self.keep_side(block)
                raise BlockConflict(f"block {block.index} ({block.hash[:16]}...) does not extend our tip "
                                    f"{tip.index} ({tip.hash[:16]}...)", block_index=block.index)
            outcome = transition(self.state, block, self.model, self.now_ms())
            if not outcome.valid:
                first = outcome.issues[0]
                raise InvalidBlock(first.message, block_index=first.block_index, tx_id=first.tx_id)
            self._core.commit(block, outcome.delta)
            self._core.tip_moved.set()  # a miner working on the old tip starts again
        log.info("accepted block %d hash=%s from elsewhere", block.index, block.hash[:16])
        return True

    def _process_ml_transactions(self, block: Block) -> Optional[dict[str, Any]]:
        """Feed an accepted block's FLOWER_DATA to the model, as one all-or-nothing update."""
        try:
            return feed_model(self.model, block)
        except Exception as exc:
            log.error("model update for block %d failed (%s); rebuilding the model from the chain", block.index, exc)
            flowers = sum(1 for t in block.transactions if t.type == FLOWER_DATA)
            self._core.set_model(self.model.at_size(self.state.rows - flowers))
            raise ModelUpdateError(f"the model could not take block {block.index}; it was rebuilt from the chain",
                                   block_index=block.index) from exc

    # -- audit ------------------------------------------------------------------------
    def validate_chain(self, blocks: Optional[Sequence[Any]] = None) -> AuditResult:
        """Re-verify a chain from genesis, with a model replay.

        By default the chain is read back from storage, so that the check covers what is on disk;
        it must also end at the live tip, and the live model must equal the replayed one.
        """
        own = blocks is None
        live_tip = live_hash = ""
        with self._core.lock:
            if blocks is None:
                blocks = self.store.load_blocks()
                live_tip, live_hash = self.state.tip.hash, self.model.state_hash
        result = audit_chain(blocks, self.model.fresh(), self.params, now_ms=self.now_ms())
        if own and result.complete:
            stored_tip = blocks[-1].get("hash") if blocks else None
            if stored_tip != live_tip:
                result.issues.append(Issue(None, f"the stored chain must end at the live tip {live_tip}; "
                                                 f"it ends at {stored_tip}"))
            elif result.valid and result.model.state_hash != live_hash:
                result.issues.append(Issue(None, f"the live model must equal the replayed model "
                                                 f"{result.model.state_hash}; got {live_hash}"))
        return result

    # -- settings kept with the chain (a node's peers, for one) ----------------------------
    def setting(self, key: str) -> Optional[str]:
        return self._view.setting(key)

    def save_setting(self, key: str, value: str) -> None:
        """Stored durably with the chain; survives a restart."""
        self.store.set_meta(f"setting:{key}", value)

    # -- reorgs and runs of blocks (``reorg.Reorgs``) ------------------------------------------
    def extend(self, blocks: Sequence[Any]) -> BranchResult:
        return self._reorgs.extend(blocks)

    def adopt(self, fork: int, blocks: Sequence[Any], keep_valid_prefix: bool = True) -> BranchResult:
        return self._reorgs.adopt(fork, blocks, keep_valid_prefix)

    def replace_chain(self, blocks: Sequence[Any]) -> tuple[bool, list[Transaction]]:
        return self._reorgs.replace_chain(blocks)

    def keep_side(self, block: Block) -> bool:
        return self._reorgs.keep_side(block)

    check_body = staticmethod(Reorgs.check_body)

    # -- reads (``chain_reads.ChainView``) ---------------------------------------------------
    @property
    def height(self) -> int:
        return self._view.height

    @property
    def last_block(self) -> Block:
        return self._view.last_block

    def prefers(self, work: int) -> bool:
        return self._view.prefers(work)

    @property
    def work(self) -> int:
        return self._view.work

    @property
    def uses_retarget(self) -> bool:
        return self._view.uses_retarget

    def branch_work(self, fork: int, blocks: Sequence[Any]) -> int:
        return self._view.branch_work(fork, blocks)

    def ancestry(self, height: int) -> Optional[Ancestry]:
        return self._view.ancestry(height)

    def tip_work(self, tip: Mapping[str, Any]) -> int:
        return self._view.tip_work(tip)

    def prefers_tip(self, tip: Mapping[str, Any]) -> bool:
        return self._view.prefers_tip(tip)

    def blocks(self) -> list[Block]:
        return self._view.blocks()

    def model_updates(self, start: int = 0, end: Optional[int] = None) -> tuple[list[Any], int]:
        return self._view.model_updates(start, end)

    def blocks_of_rows(self, rows: list[int]) -> list[Optional[int]]:
        return self._view.blocks_of_rows(rows)

    def block_at(self, height: int) -> Optional[Block]:
        return self._view.block_at(height)

    def tip(self) -> dict[str, Any]:
        return self._view.tip()

    def block(self, key: str) -> Optional[Block]:
        return self._view.block(key)

    def blocks_from(self, start: int, limit: int, max_bytes: Optional[int] = None) -> list[Block]:
        return self._view.blocks_from(start, limit, max_bytes)

    def headers_after(self, locator: list[str], limit: int) -> list[dict[str, Any]]:
        return self._view.headers_after(locator, limit)

    def pending_after(self, after: Optional[str], limit: int) -> tuple[list[Transaction], Optional[str], int]:
        return self._view.pending_after(after, limit)

    def pending(self) -> list[Transaction]:
        return self._view.pending()

    def balance(self, address: str) -> int:
        return self._view.balance(address)

    def available(self, address: str) -> int:
        return self._view.available(address)

    def find_transaction(self, tx_id: str) -> tuple[Optional[int], Optional[Transaction]]:
        return self._view.find_transaction(tx_id)

    def flower(self, flower_id: str) -> Optional[Flower]:
        return self._view.flower(flower_id)

    def good(self, address: str) -> int:
        return self._view.good(address)

    def judgement(self, flower_id: str) -> Optional[dict[str, Any]]:
        return self._view.judgement(flower_id)

    def contributions(self, sender: str, start: int = 0,
                      limit: Optional[int] = None) -> tuple[list[dict[str, Any]], int]:
        return self._view.contributions(sender, start, limit)

    def transfers(self, address: str, start: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        return self._view.transfers(address, start, limit)

    def proof(self, tx_id: str) -> Optional[dict[str, Any]]:
        return self._view.proof(tx_id)

    def job(self, job_id: str) -> Optional[dict[str, Any]]:
        """A training job's view (docs/jobs.md "The node's read interface"), or None."""
        return self._view.job(job_id)

    def jobs(self, state: Optional[str] = None, offset: int = 0, limit: int = 50,
             summary: bool = False) -> tuple[list[dict[str, Any]], int]:
        """Training jobs newest first, those in ``state`` when given (ValueError for an unknown
        one): the page from ``offset`` and the total count; ``summary`` leaves out each job's test
        set and models (``test_revealed`` says whether the test set is out)."""
        return self._view.jobs(state, offset, limit, summary)

    def locator(self) -> list[str]:
        return self._view.locator()

    def main_height(self, block_hash: str) -> Optional[int]:
        return self._view.main_height(block_hash)

    def side_block(self, block_hash: str) -> Optional[dict[str, Any]]:
        return self._view.side_block(block_hash)

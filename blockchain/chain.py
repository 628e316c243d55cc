"""The ledger a node runs: accepted blocks, the pending pool, mining and the model seam.

Start-up lives in ``startup.py`` and the reads in ``chain_reads.py`` (mixins of ``Blockchain``);
this module holds what changes the ledger: transactions, mining, blocks from elsewhere, reorgs.

Thread safety: a re-entrant write lock serialises every change (a transaction, a block, a reorg),
disk writes included; a short view lock covers only the in-memory swap at the end of a change, and
is all that reads take, so a read never waits for a disk sync or a model update. Proof of work
runs outside both, so reads and submissions are answered while a block is mined;
a separate mining lock lets only one block be mined at a time, and a block found on top of a
tip that has since moved is thrown away and mined again on the new tip.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Optional, Sequence

from .audit import AuditResult, audit_chain
from .block import MAX_BLOCK_BYTES, Block, header_prefix
from .branches import ChainBranches
from .chain_reads import ChainReads
from .encoding import merkle_root
from .errors import (BlockConflict, ClaimPending, DuplicateTransaction,
                     InsufficientFunds, InvalidBlock, InvalidTransaction, ModelUpdateError, PoolFull)
from .errors import MiningAborted as MiningAborted  # re-exported: importers name blockchain.chain
from .errors import MiningBusy as MiningBusy
from .gcpause import paused_gc
from .genesis import PROTOCOL_VERSION, make_genesis, network_params
from .ledger import Delta
from .state import ChainState
from .transition import Issue, feed_model, transition
from .pool import MAX_PENDING, PendingPool, never_valid, sender_source
from .pow import search_nonce
from .snapshots import SNAPSHOT_EVERY, save_snapshot
from .startup import ChainStartup
from .storage import MemoryStore
from .rules import rule_for
from .transactions import FLOWER_DATA, MAX_USER_TRANSACTIONS, Transaction, model_update, reward

log = logging.getLogger("blockchain")

NonceFinder = Callable[[bytes, int, threading.Event], Optional[int]]
TEMPLATE_SPARE_BYTES = 4096  # room kept in a template for the header, the REWARD and the MODEL_UPDATE


MAX_MINE_REQUESTS = 4  # mining or waiting at once: half of the server's 8 threads stay free for reads

def _thread_finder(prefix: bytes, difficulty: int, stop: threading.Event) -> Optional[int]:
    return search_nonce(prefix, difficulty, stop=stop)


@dataclass
class _Template:
    parent_hash: str
    index: int
    timestamp_ms: int
    transactions: tuple
    prefix: bytes
    delta: Delta


class Blockchain(ChainStartup, ChainReads, ChainBranches):
    """A node's chain. ``model`` is any LedgerModel (``blockchain.model_port``) in its base state.

    ``difficulty``, ``min_deposit`` and ``refund_wait`` fix the network together with the model's
    base (PROTOCOL.md "Genesis").
    """

    def __init__(self, model, difficulty: int = 4, store=None, *, min_deposit: int = 0, refund_wait: int = 10,
                 protocol: int = PROTOCOL_VERSION,
                 require_signatures: bool = False, clock: Callable[[], float] = time.time,
                 max_block_transactions: int = MAX_USER_TRANSACTIONS, nonce_finder: NonceFinder = _thread_finder,
                 max_pending: int = MAX_PENDING) -> None:
        if not 1 <= difficulty <= 32:
            raise ValueError(f"difficulty must be 1 to 32; got {difficulty}")
        self.difficulty = difficulty
        self.params = network_params(difficulty, model.genesis_params(), min_deposit, refund_wait, protocol)
        self.require_signatures = require_signatures
        self.max_block_transactions = max_block_transactions
        self.store = store if store is not None else MemoryStore()
        self._clock = clock
        self._find_nonce = nonce_finder
        self._lock = threading.RLock()       # writers: held across their disk writes
        self._view_lock = threading.Lock()   # readers and the in-memory part of a write
        self._mine_lock = threading.Lock()
        self._mine_count_lock = threading.Lock()
        self._mine_requests = 0
        self._abort = threading.Event()
        self._closing = False
        self.genesis = make_genesis(self.params, model.summary())
        self.model = model
        self.max_pending = max_pending
        self.pool = PendingPool(max_pending)
        self._last_snapshot = 0  # the height of the last snapshot _snapshot_if_due wrote
        with paused_gc():
            self.state = self._load_chain()
        self._load_pending()

    def now_ms(self) -> int:
        return int(self._clock() * 1000)

    # -- transactions -----------------------------------------------------------------
    def add_transaction(self, tx: Transaction, source: Optional[str] = None) -> int:
        """Validate a user transaction against the chain and pool, store it, pool it.

        ``source`` is where it came from (``pool.py``: a peer; by default its sender), which the
        pool shares fairly between. Returns the index of the next block. Raises
        DuplicateTransaction, ClaimPending, InsufficientFunds, ClaimNotAllowed, InvalidTransaction,
        SignatureRequired or PoolFull; nothing changes then.
        """
        with self._lock:
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
        rule = rule_for(tx.type)
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
        with self._view_lock:
            if evict is not None:
                evicted_from = self.pool.source(evict.id)
                self.pool.remove([evict.id])
            self.pool.add(tx, source)
        if evict is not None:
            log.info("evicted pending %s %s of %s (the largest source) for one from %s", evict.type, evict.id[:16],
                     evicted_from, source)

    # -- mining -----------------------------------------------------------------------
    def mine(self, miner_address: str) -> Block:
        """Mine one block paying the REWARD to ``miner_address``, append it, and return it.

        At most MAX_MINE_REQUESTS calls mine or wait at once; one more raises MiningBusy at once
        instead of parking another thread behind the mining lock.
        """
        with self._mine_count_lock:
            if self._mine_requests >= MAX_MINE_REQUESTS:
                raise MiningBusy(f"{self._mine_requests} requests are already mining or waiting for a block; "
                                 "try again in a moment")
            self._mine_requests += 1
        try:
            return self._mine(miner_address)
        finally:
            with self._mine_count_lock:
                self._mine_requests -= 1

    def _mine(self, miner_address: str) -> Block:
        with self._mine_lock:
            while True:
                with self._lock:
                    template = self._template(miner_address)
                    self._abort.clear()
                if self._closing:  # stop_mining came before the clear: its abort is not lost
                    raise MiningAborted("the node is shutting down; the block was not mined")
                started = time.perf_counter()
                nonce = self._find_nonce(template.prefix, self.difficulty, self._abort)
                if self._closing:
                    raise MiningAborted("the node is shutting down; the block was not mined")
                if nonce is None:
                    log.info("tip moved while mining block %d; mining again on the new tip", template.index)
                    continue
                with self._lock:
                    if self.state.tip.hash != template.parent_hash:
                        continue
                    block = Block.assemble(template.index, template.timestamp_ms, template.parent_hash,
                                           self.difficulty, template.transactions, nonce)
                    # The template was built on this very state by the same rules; the block is
                    # judged like any other all the same: one check of a block, ours included.
                    outcome = transition(self.state, block, self.model, self.now_ms())
                    if not outcome.valid:
                        first = outcome.issues[0]
                        raise InvalidBlock(f"the mined block breaks a rule (a bug): {first.message}",
                                           block_index=first.block_index, tx_id=first.tx_id)
                    self._commit(block, outcome.delta)
                log.info("mined block %d hash=%s nonce=%d txs=%d in %.0f ms", block.index, block.hash[:16],
                         nonce, len(block.transactions), (time.perf_counter() - started) * 1000)
                return block

    def _template(self, miner_address: str) -> _Template:
        parent = self.state.tip
        index = parent.index + 1
        first = reward(miner_address, index)
        delta = Delta(self.state, index, self.model)
        delta.apply(first)
        chosen, size = [], first.canon_size() + TEMPLATE_SPARE_BYTES
        for tx in self.pool.fair_order():
            if len(chosen) >= self.max_block_transactions:
                break
            tx_size = tx.canon_size() + 1
            if size + tx_size > MAX_BLOCK_BYTES:
                break
            if delta.apply(tx) is None:
                chosen.append(tx)
                size += tx_size
        txs = [first, *chosen]
        if delta.new_rows:
            txs.append(model_update(index, self.model.preview_update(delta.new_rows, delta.new_labels)))
        timestamp_ms = max(self.now_ms(), parent.timestamp_ms)
        root = merkle_root([tx.id for tx in txs])
        return _Template(parent.hash, index, timestamp_ms, tuple(txs),
                         header_prefix(index, timestamp_ms, parent.hash, self.difficulty, root), delta)

    def stop_mining(self) -> None:
        """Mining under way and every later mine() raise MiningAborted (the node is stopping).
        Takes no lock, so a signal handler may call it."""
        self._closing = True
        self._abort.set()

    def close(self) -> None:
        """Stop any mining under way (it raises MiningAborted) and close the store."""
        self.stop_mining()
        with self._lock:
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
        with self._lock:
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
            self._commit(block, outcome.delta)
            self._abort.set()  # a miner working on the old tip starts again
        log.info("accepted block %d hash=%s from elsewhere", block.index, block.hash[:16])
        return True

    def _commit(self, block: Block, delta: Delta) -> None:
        """The one way a block checked on our tip enters the ledger: the store, then the state,
        then the model (and the pool), all or none.

        The disk write happens under the write lock only, so reads never wait for it; the
        state's change is one short step under the view lock. If the state or the model fails
        after the store took the block, ``_undo_to`` takes the block back out of all three and
        the error is raised: a block is on disk, in the state and in the model, or in none.
        """
        start = self.height
        included = {tx.id for tx in block.transactions if tx.is_user}
        rest = [tx for tx in self.pool if tx.id not in included]
        kept, evicted = self._revalidated(rest, self.state, self.model, block, delta)
        removed = list(included) + [tx.id for tx in evicted]
        self.store.append_block(block.to_dict(), removed)  # a failure here changes nothing
        try:
            with self._view_lock:
                self.state.apply(block, delta)
            self._process_ml_transactions(block)  # the model swaps in its new state in one assignment
        except BaseException:
            restore = [tx.to_dict() for tx in self.pool if tx.id in set(removed)]
            self._undo_to(start, stored=True, pending=restore)
            raise
        with self._view_lock:
            self.pool = kept
        for tx in evicted:
            log.info("dropped pending %s %s: block %d made it invalid", tx.type, tx.id[:16], block.index)
        self._snapshot_if_due(start)

    def _undo_to(self, height: int, stored: bool = False, pending: Sequence[dict] = ()) -> None:
        """Take back every block above ``height`` from the state and the model (and, when
        ``stored``, from the store, with the ``pending`` transactions the write had removed):
        the failure rule of ``_commit`` and ``extend``."""
        with self._view_lock:
            self.state.rewind(height)
        self.model = self.model.at_size(self.state.rows)
        if stored:
            try:
                self.store.replace_blocks(height + 1, [], add_pending=list(pending))
            except Exception as exc:  # the block is valid: a restart replays it into the state and the model
                log.error("could not take block %d back out of the store (%s); a restart will replay it",
                          height + 1, exc)

    def _snapshot_if_due(self, before: int) -> None:
        """The one snapshot policy (besides ``close``): when a change took the chain across a
        multiple of SNAPSHOT_EVERY and it grew by an eighth since the last snapshot, so that a
        long sync spends time on snapshots in proportion to the chain (each costs a pass over
        it), not to the chain squared."""
        crossed = before // SNAPSHOT_EVERY != self.height // SNAPSHOT_EVERY
        if crossed and self.height - self._last_snapshot >= max(SNAPSHOT_EVERY, self.height // 8):
            save_snapshot(self.store, self.model, self.state)
            self._last_snapshot = self.height

    def _revalidated(self, candidates: Iterable[Transaction], state: ChainState, model, block: Optional[Block] = None,
                     delta: Optional[Delta] = None) -> tuple[PendingPool, list[Transaction]]:
        """The pool that stays valid on top of ``state`` (plus ``block`` when given), and what
        does not: one rule for blocks from elsewhere, our own blocks and reorgs, and the rule a
        new transaction is admitted by (``_admit``): in order, each sender may spend its balance
        on the chain minus what the transactions kept before already spend; what pending
        transactions would pay it does not count. Claims are checked again when a template is
        built, against the model of that moment."""
        check = Delta(state, state.height + 1, None)
        if block is not None and delta is not None:  # the block's effects laid over the state, which stays as it is
            check = delta.carried(block.index + 1)
        in_block = {tx.id for tx in block.transactions} if block is not None else set()
        kept, evicted = PendingPool(self.max_pending), []
        for tx in candidates:
            if tx.id in state.tx_block or tx.id in in_block:
                continue
            gone = never_valid(tx, check)
            if gone is not None:  # a claim: judged again when a template is built
                ok = kept.pending_like(tx) is None and not gone
            else:  # the admission rule: the balance on the chain minus what the pool already spends
                ok = check.problem(tx) is None and tx.spends <= check.balance(tx.sender) - kept.outgoing(tx.sender)
            if ok:
                kept.add(tx, self.pool.source(tx.id))
            else:
                evicted.append(tx)
        return kept, evicted

    def _process_ml_transactions(self, block: Block) -> Optional[dict]:
        """Feed an accepted block's FLOWER_DATA to the model, as one all-or-nothing update."""
        try:
            return feed_model(self.model, block)
        except Exception as exc:
            log.error("model update for block %d failed (%s); rebuilding the model from the chain", block.index, exc)
            flowers = sum(1 for t in block.transactions if t.type == FLOWER_DATA)
            self.model = self.model.at_size(self.state.rows - flowers)
            raise ModelUpdateError(f"the model could not take block {block.index}; it was rebuilt from the chain",
                                   block_index=block.index) from exc

    # -- audit ------------------------------------------------------------------------
    def validate_chain(self, blocks=None) -> AuditResult:
        """Re-verify a chain from genesis, with a model replay.

        By default the chain is read back from storage, so that the check covers what is on disk;
        it must also end at the live tip, and the live model must equal the replayed one.
        """
        own = blocks is None
        with self._lock:
            if own:
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

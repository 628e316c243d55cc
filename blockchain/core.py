"""The one owner of a node's ledger: the state, the model, the pending pool, the store and the
locks that guard them, and the one commit path with its one failure rule and snapshot policy.

``Blockchain`` (``chain.py``) changes the ledger through this object, ``ChainView``
(``chain_reads.py``) reads it, ``Reorgs`` (``reorg.py``) switches branches with it; nothing else
holds the state. Thread safety: a re-entrant write lock (``lock``) serialises every change, disk
writes included; a short view lock (``view_lock``) covers only the in-memory swap at the end of a
change, and is all that reads take. ``tip_moved`` is set whenever the tip changes, so that a miner
working on the old tip starts again.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Iterable, Optional, Sequence

from .block import Block
from .ledger import Delta
from .model_port import LedgerModel
from .pool import PendingPool, never_valid
from .snapshots import save_snapshot, snapshot_due
from .state import ChainState
from .storage import ChainStore
from .transactions import Transaction

log = logging.getLogger("blockchain")

Feed = Callable[[Block], Optional[dict[str, Any]]]


class LedgerCore:
    """The ledger's state, model, pool, store and locks, in one owner.

    ``feed`` gives an accepted block's data to the model (``Blockchain._process_ml_transactions``).
    """

    def __init__(self, store: ChainStore, state: ChainState, model: LedgerModel, max_pending: int,
                 clock: Callable[[], float], feed: Feed) -> None:
        self.store = store
        self.state = state
        self.model = model
        self.max_pending = max_pending
        self.pool = PendingPool(max_pending)
        self.clock = clock
        self.feed = feed
        self.lock = threading.RLock()       # writers: held across their disk writes
        self.view_lock = threading.Lock()   # readers and the in-memory part of a write
        self.tip_moved = threading.Event()
        self.last_snapshot = 0  # the height of the last snapshot snapshot_if_due wrote

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    @property
    def height(self) -> int:
        return self.state.height

    # -- in-memory swaps (under the view lock) ---------------------------------------------
    def apply(self, block: Block, delta: Delta) -> None:
        with self.view_lock:
            self.state.apply(block, delta)

    def set_pool(self, pool: PendingPool) -> None:
        with self.view_lock:
            self.pool = pool

    def switch(self, state: ChainState, model: LedgerModel, pool: PendingPool) -> None:
        with self.view_lock:
            self.state, self.model, self.pool = state, model, pool

    def set_model(self, model: LedgerModel) -> None:
        """The model swaps in its new state in one assignment (a rebuild after a failure, a restore)."""
        self.model = model

    # -- the one commit path --------------------------------------------------------------
    def commit(self, block: Block, delta: Delta) -> None:
        """The one way a block checked on our tip enters the ledger: the store, then the state,
        then the model (and the pool), all or none.

        The disk write happens under the write lock only, so reads never wait for it; the
        state's change is one short step under the view lock. If the state or the model fails
        after the store took the block, ``undo_to`` takes the block back out of all three and
        the error is raised: a block is on disk, in the state and in the model, or in none.
        """
        start = self.height
        included = {tx.id for tx in block.transactions if tx.is_user}
        rest = [tx for tx in self.pool if tx.id not in included]
        kept, evicted = self.revalidated(rest, self.state, block, delta)
        removed = list(included) + [tx.id for tx in evicted]
        self.store.append_block(block.to_dict(), removed)  # a failure here changes nothing
        try:
            self.apply(block, delta)
            self.feed(block)  # the model swaps in its new state in one assignment
        except BaseException:
            gone = set(removed)
            restore = [tx.to_dict() for tx in self.pool if tx.id in gone]
            self.undo_to(start, stored=True, pending=restore)
            raise
        self.set_pool(kept)
        for tx in evicted:
            log.info("dropped pending %s %s: block %d made it invalid", tx.type, tx.id[:16], block.index)
        self.snapshot_if_due(start)

    def undo_to(self, height: int, stored: bool = False, pending: Sequence[dict[str, Any]] = ()) -> None:
        """Take back every block above ``height`` from the state and the model (and, when
        ``stored``, from the store, with the ``pending`` transactions the write had removed):
        the failure rule of ``commit`` and ``Reorgs.extend``."""
        with self.view_lock:
            self.state.rewind(height)
        self.set_model(self.model.at_size(self.state.rows))
        if stored:
            try:
                self.store.replace_blocks(height + 1, [], add_pending=list(pending))
            except Exception as exc:  # the block is valid: a restart replays it into the state and the model
                log.error("could not take block %d back out of the store (%s); a restart will replay it",
                          height + 1, exc)

    def snapshot_if_due(self, before: int) -> None:
        """The one snapshot policy (besides ``Blockchain.close``): when a change took the chain
        across a multiple of SNAPSHOT_EVERY and it grew by an eighth since the last snapshot, so
        that a long sync spends time on snapshots in proportion to the chain (each costs a pass
        over it), not to the chain squared."""
        if snapshot_due(before, self.height, self.last_snapshot):
            save_snapshot(self.store, self.model, self.state)
            self.last_snapshot = self.height

    def revalidated(self, candidates: Iterable[Transaction], state: ChainState, block: Optional[Block] = None,
                    delta: Optional[Delta] = None) -> tuple[PendingPool, list[Transaction]]:
        """The pool that stays valid on top of ``state`` (plus ``block`` with its ``delta`` when
        given), and what does not: one rule for blocks from elsewhere, our own blocks and reorgs,
        and the rule a new transaction is admitted by (``Blockchain._admit``): in order, each
        sender may spend its balance on the chain minus what the transactions kept before already
        spend; what pending transactions would pay it does not count. Claims are checked again
        when a template is built, against the model of that moment."""
        check = Delta(state, state.height + 1, None, kinds=self.model)
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
            else:  # the admission rule: the balance on the chain minus what the pool already spends,
                # and one pending per rule's key
                ok = (check.problem(tx) is None and tx.spends <= check.balance(tx.sender) - kept.outgoing(tx.sender)
                      and kept.pending_like(tx) is None)
            if ok:
                kept.add(tx, self.pool.source(tx.id))
            else:
                evicted.append(tx)
        return kept, evicted

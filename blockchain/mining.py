"""Mining a node's next block: a template from the pool on the tip, proof of work outside every
ledger lock, and the block judged by ``transition`` and committed through ``core.LedgerCore``.

Proof of work runs outside the locks, so reads and submissions are answered while a block is
mined; a mining lock lets only one block be mined at a time, and a block found on top of a tip
that has since moved (``LedgerCore.tip_moved``) is thrown away and mined again on the new tip.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional

from .block import MAX_BLOCK_BYTES, Block, header_prefix
from .core import LedgerCore
from .encoding import merkle_root
from .errors import InvalidBlock, MiningAborted, MiningBusy
from .ledger import Delta
from .pow import search_below
from .rules import job_settle
from .transactions import Transaction, model_update, reward
from .transition import transition

log = logging.getLogger("blockchain")

NonceFinder = Callable[[bytes, int, threading.Event], Optional[int]]  # (header prefix, hash bound, stop)
TEMPLATE_SPARE_BYTES = 4096  # room kept in a template for the header, the REWARD and the MODEL_UPDATE
MAX_MINE_REQUESTS = 4  # mining or waiting at once: half of the server's 8 threads stay free for reads


def thread_finder(prefix: bytes, bound: int, stop: threading.Event) -> Optional[int]:
    """A nonce whose hash (a 256-bit integer) is below ``bound`` (a NonceFinder: header prefix, bound, stop)."""
    return search_below(prefix, bound, stop=stop)


@dataclass
class _Template:
    parent_hash: str
    index: int
    timestamp_ms: int
    difficulty: int
    transactions: tuple[Transaction, ...]
    prefix: bytes


class Mining:
    """Mines blocks on ``core``'s tip at ``difficulty``, at most ``max_block_transactions`` user
    transactions a block, with ``nonce_finder`` doing the proof of work."""

    def __init__(self, core: LedgerCore, difficulty: int, max_block_transactions: int,
                 nonce_finder: NonceFinder) -> None:
        self._core = core
        self._difficulty = difficulty
        self._max_block_transactions = max_block_transactions
        self._find_nonce = nonce_finder
        self._mine_lock = threading.Lock()
        self._mine_count_lock = threading.Lock()
        self._mine_requests = 0
        self._closing = False

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
                with self._core.lock:
                    template = self._template(miner_address)
                    self._core.tip_moved.clear()
                if self._closing:  # stop_mining came before the clear: its abort is not lost
                    raise MiningAborted("the node is shutting down; the block was not mined")
                started = time.perf_counter()
                bound = self._core.state.work.pow_limit(template.difficulty)
                nonce = self._find_nonce(template.prefix, bound, self._core.tip_moved)
                if self._closing:
                    raise MiningAborted("the node is shutting down; the block was not mined")
                if nonce is None:
                    log.info("tip moved while mining block %d; mining again on the new tip", template.index)
                    continue
                with self._core.lock:
                    if self._core.state.tip.hash != template.parent_hash:
                        continue
                    block = Block.assemble(template.index, template.timestamp_ms, template.parent_hash,
                                           template.difficulty, template.transactions, nonce)
                    # The template was built on this very state by the same rules; the block is
                    # judged like any other all the same: one check of a block, ours included.
                    outcome = transition(self._core.state, block, self._core.model, self._core.now_ms())
                    if not outcome.valid:
                        first = outcome.issues[0]
                        raise InvalidBlock(f"the mined block breaks a rule (a bug): {first.message}",
                                           block_index=first.block_index, tx_id=first.tx_id)
                    self._core.commit(block, outcome.delta)
                log.info("mined block %d hash=%s nonce=%d txs=%d in %.0f ms", block.index, block.hash[:16],
                         nonce, len(block.transactions), (time.perf_counter() - started) * 1000)
                return block

    def _template(self, miner_address: str) -> _Template:
        parent = self._core.state.tip
        index = parent.index + 1
        first = reward(miner_address, index)
        delta = Delta(self._core.state, index, self._core.model)
        delta.apply(first)
        settles = [Transaction.create(body) for body in job_settle.due(delta)]  # v3: right after the REWARD
        for tx in settles:
            problem = delta.apply(tx)
            if problem is not None:
                raise InvalidBlock(f"the miner's own JOB_SETTLE breaks a rule (a bug): {problem}", tx_id=tx.id)
        chosen: list[Transaction] = []
        size = first.canon_size() + sum(tx.canon_size() + 1 for tx in settles) + TEMPLATE_SPARE_BYTES
        for tx in self._core.pool.fair_order():
            if len(chosen) >= self._max_block_transactions:
                break
            tx_size = tx.canon_size() + 1
            if size + tx_size > MAX_BLOCK_BYTES:
                break
            if delta.apply(tx) is None:
                chosen.append(tx)
                size += tx_size
        txs = [first, *settles, *chosen]
        if delta.new_rows:
            txs.append(model_update(index, self._core.model.preview_update(delta.new_rows, delta.new_labels)))
        timestamp_ms, difficulty = self._core.state.work.next_block(self._core.now_ms())  # forkchoice: v3 retargets
        root = merkle_root([tx.id for tx in txs])
        return _Template(parent.hash, index, timestamp_ms, difficulty, tuple(txs),
                         header_prefix(index, timestamp_ms, parent.hash, difficulty, root))

    def stop(self) -> None:
        """Mining under way and every later mine() raise MiningAborted (the node is stopping).
        Takes no lock, so a signal handler may call it."""
        self._closing = True
        self._core.tip_moved.set()

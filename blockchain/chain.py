"""The ledger a node runs: accepted blocks, the pending pool, mining and the model seam.

Thread safety: one re-entrant state lock guards the chain, the pool and the model updates.
Proof of work runs outside it, so reads and submissions are answered while a block is mined;
a separate mining lock lets only one block be mined at a time, and a block found on top of a
tip that has since moved is thrown away and mined again on the new tip.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional

from .audit import AuditResult, audit_chain
from .block import Block, header_prefix
from .encoding import merkle_root
from .errors import (BlockchainError, BlockConflict, DuplicateTransaction, InsufficientFunds,
                     InvalidBlock, InvalidChain, InvalidTransaction, ModelUpdateError, PoolFull, StorageError)
from .genesis import make_genesis
from .ledger import ChainState, Issue, apply_transfer, check_block, feed_model, flower_points
from .pool import MAX_PENDING, PendingPool
from .pow import search_nonce
from .snapshots import SNAPSHOT_EVERY, read_snapshot, save_snapshot
from .storage import MemoryStore
from .transactions import TRANSFER, Transaction, model_update, reward

log = logging.getLogger("blockchain")


NonceFinder = Callable[[bytes, int, threading.Event], Optional[int]]


class MiningAborted(BlockchainError):
    code = "mining_aborted"


def _thread_finder(prefix: bytes, difficulty: int, stop: threading.Event) -> Optional[int]:
    return search_nonce(prefix, difficulty, stop=stop)


@dataclass
class _Template:
    parent_hash: str
    index: int
    timestamp: float
    transactions: tuple
    prefix: bytes


class Blockchain:
    """A node's chain. ``model`` is any LedgerModel (``blockchain.model_port``) in its base state."""

    def __init__(self, model, difficulty: int = 4, store=None, *, require_signatures: bool = False,
                 clock: Callable[[], float] = time.time, max_block_transactions: int = 1000,
                 nonce_finder: NonceFinder = _thread_finder) -> None:
        if not 1 <= difficulty <= 32:
            raise ValueError(f"difficulty must be 1 to 32; got {difficulty}")
        self.difficulty = difficulty
        self.require_signatures = require_signatures
        self.max_block_transactions = max_block_transactions
        self.store = store if store is not None else MemoryStore()
        self._clock = clock
        self._find_nonce = nonce_finder
        self._lock = threading.RLock()
        self._mine_lock = threading.Lock()
        self._abort = threading.Event()
        self._closing = False
        self.genesis = make_genesis(difficulty, model.summary())
        self.model = model
        self.pool = PendingPool()
        self.state = self._load_chain()
        self._load_pending()

    # -- start-up ---------------------------------------------------------------------
    def _load_chain(self) -> ChainState:
        raw = self.store.load_blocks()
        if not raw:
            self.store.append_block(self.genesis.to_dict())
            raw = [self.genesis.to_dict()]
        elif raw[0].get("hash") != self.genesis.hash:
            raise StorageError(
                f"the data directory holds another network's chain (genesis {str(raw[0].get('hash'))[:16]}..., "
                f"this node's is {self.genesis.hash[:16]}... for difficulty {self.difficulty}); "
                "start with the same --difficulty and base data, or use another --data-dir"
            )
        started = time.perf_counter()
        checkpoint = read_snapshot(self.store, self.model, raw)
        if checkpoint is not None:
            result = audit_chain(raw, self.difficulty, self.model.fresh(), now=None, stop_at_first=True,
                                 checkpoint=checkpoint)
            if result.valid:
                self.model = result.model
                log.info("loaded %d blocks, model from the verified snapshot at block %d, in %.2f s",
                         len(raw), checkpoint[0], time.perf_counter() - started)
                return result.state
            log.warning("the model snapshot does not match the stored chain (%s); replaying in full",
                        result.issues[0])
        result = audit_chain(raw, self.difficulty, self.model, now=None, stop_at_first=True)
        if not result.valid:
            raise StorageError(f"the stored chain is not valid, refusing to start: {result.issues[0]}")
        log.info("loaded %d blocks and replayed the model in %.2f s", len(raw), time.perf_counter() - started)
        return result.state

    def _load_pending(self) -> None:
        dropped = []
        for data in self.store.load_pending():
            try:
                self._admit(Transaction.from_dict(data), persist=False)
            except BlockchainError as exc:
                dropped.append(data.get("id"))
                log.warning("dropping stored pending transaction %s: %s", data.get("id"), exc)
        if dropped:
            self.store.remove_pending([d for d in dropped if isinstance(d, str)])

    # -- reads ------------------------------------------------------------------------
    @property
    def height(self) -> int:
        return self.state.tip.index

    @property
    def last_block(self) -> Block:
        return self.state.tip

    def blocks(self) -> list[Block]:
        with self._lock:
            return list(self.state.blocks)

    def pending(self) -> list[Transaction]:
        with self._lock:
            return list(self.pool)

    def balance(self, address: str) -> int:
        return self.state.balance(address)

    def available(self, address: str) -> int:
        """Balance minus what pending transfers of ``address`` already promise."""
        with self._lock:
            return self.state.balance(address) - self.pool.outgoing(address)

    def find_transaction(self, tx_id: str) -> tuple[Optional[int], Optional[Transaction]]:
        """(block index, tx) for a transaction on the chain, (None, tx) pending, (None, None) unknown."""
        with self._lock:
            index = self.state.tx_block.get(tx_id)
            if index is not None:
                for tx in self.state.blocks[index].transactions:
                    if tx.id == tx_id:
                        return index, tx
            for tx in self.pool:
                if tx.id == tx_id:
                    return None, tx
        return None, None

    # -- transactions -----------------------------------------------------------------
    def add_transaction(self, tx: Transaction) -> int:
        """Validate a user transaction against the chain and pool, store it, pool it.

        Returns the index of the next block. Raises DuplicateTransaction, InsufficientFunds,
        InvalidTransaction, SignatureRequired or PoolFull; nothing changes when it raises.
        """
        with self._lock:
            self._admit(tx, persist=True)
            return self.height + 1

    def _admit(self, tx: Transaction, persist: bool) -> None:
        if not tx.is_user:
            raise InvalidTransaction(f"only nodes create {tx.type} transactions; a client may not submit one", tx_id=tx.id)
        if self.require_signatures:
            tx.require_signature()
        tx.check_timestamp(self._clock())
        if tx.id in self.state.tx_block:
            raise DuplicateTransaction(f"transaction {tx.id} is already in block {self.state.tx_block[tx.id]}", tx_id=tx.id)
        if tx.id in self.pool:
            raise DuplicateTransaction(f"transaction {tx.id} is already pending", tx_id=tx.id)
        if tx.type == TRANSFER:
            available = self.state.balance(tx.sender) - self.pool.outgoing(tx.sender)
            if tx.amount > available:
                raise InsufficientFunds(
                    f"amount must be at most what {tx.sender} can spend ({available}: balance "
                    f"{self.state.balance(tx.sender)} minus {self.pool.outgoing(tx.sender)} pending); got {tx.amount}",
                    tx_id=tx.id)
        if len(self.pool) >= MAX_PENDING:
            raise PoolFull(f"the pending pool is full ({MAX_PENDING} transactions); mine a block and try again")
        if persist:
            self.store.add_pending(tx.to_dict())
        self.pool.add(tx)

    # -- mining -----------------------------------------------------------------------
    def mine(self, miner_address: str) -> Block:
        """Mine one block paying the REWARD to ``miner_address``, append it, and return it."""
        with self._mine_lock:
            while True:
                with self._lock:
                    template = self._template(miner_address)
                    self._abort.clear()
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
                    block = Block.assemble(template.index, template.timestamp, template.parent_hash,
                                           self.difficulty, template.transactions, nonce)
                    self._accept(block)
                log.info("mined block %d hash=%s nonce=%d txs=%d in %.0f ms", block.index, block.hash[:16],
                         nonce, len(block.transactions), (time.perf_counter() - started) * 1000)
                return block

    def _template(self, miner_address: str) -> _Template:
        parent = self.state.tip
        index = parent.index + 1
        chosen, balances = [], {}
        for tx in self.pool:
            if len(chosen) >= self.max_block_transactions:
                break
            for address in (tx.sender, tx.recipient):
                balances.setdefault(address, self.state.balance(address))
            if apply_transfer(balances, tx):
                chosen.append(tx)
        txs = [reward(miner_address, index), *chosen]
        rows, labels = flower_points(chosen)
        if rows:
            txs.append(model_update(index, self.model.preview_update(rows, labels)))
        timestamp = max(float(self._clock()), parent.timestamp)
        root = merkle_root([tx.id for tx in txs])
        return _Template(parent.hash, index, timestamp, tuple(txs),
                         header_prefix(index, timestamp, parent.hash, self.difficulty, root))

    def close(self) -> None:
        """Stop any mining under way (it raises MiningAborted) and close the store."""
        self._closing = True
        self._abort.set()
        with self._lock:
            try:
                save_snapshot(self.store, self.model, self.state.tip)
            except Exception as exc:  # the chain itself is safe on disk; a snapshot only saves time
                log.warning("could not save the model snapshot: %s", exc)
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
            if block.previous_hash != tip.hash or block.index != tip.index + 1:
                raise BlockConflict(f"block {block.index} ({block.hash[:16]}...) does not extend our tip "
                                    f"{tip.index} ({tip.hash[:16]}...)", block_index=block.index)
            issues = check_block(block, self.state, self.model, self.difficulty, now=self._clock())
            if issues:
                first = issues[0]
                raise InvalidBlock(first.message, block_index=first.block_index, tx_id=first.tx_id)
            self._accept(block)
            self._abort.set()  # a miner working on the old tip starts again
        log.info("accepted block %d hash=%s from elsewhere", block.index, block.hash[:16])
        return True

    def _accept(self, block: Block) -> None:
        """Persist, then apply a validated block to the state, the pool and the model."""
        user_ids = [tx.id for tx in block.transactions if tx.is_user]
        self.store.append_block(block.to_dict(), user_ids)
        self.state.apply(block)
        self.pool.remove(user_ids)
        self._process_ml_transactions(block)
        if block.index % SNAPSHOT_EVERY == 0:
            save_snapshot(self.store, self.model, block)

    def _process_ml_transactions(self, block: Block) -> Optional[dict]:
        """Feed an accepted block's FLOWER_DATA to the model, as one all-or-nothing update."""
        try:
            return feed_model(self.model, block)
        except Exception as exc:
            log.error("model update for block %d failed (%s); rebuilding the model from the chain", block.index, exc)
            self.model = self._replay_model(self.state.blocks)
            raise ModelUpdateError(f"the model could not take block {block.index}; it was rebuilt from the chain",
                                   block_index=block.index) from exc

    def _replay_model(self, blocks):
        model = self.model.fresh()
        for block in blocks[1:]:
            feed_model(model, block)
        return model

    # -- fork choice ------------------------------------------------------------------
    @property
    def total_work(self) -> int:
        return self.state.total_work

    def replace_chain(self, blocks) -> tuple[bool, list[Transaction]]:
        """Adopt ``blocks`` (dicts or Blocks, from genesis) if fully valid and of strictly more work.

        Returns (replaced, transactions put back in the pool). A tie or less work keeps our chain
        (False) without auditing it; an invalid chain raises InvalidChain and changes nothing.
        The model becomes exactly the model replayed from the adopted chain.
        """
        claimed_work = len(blocks) * 16 ** self.difficulty  # every valid block has the network's difficulty
        if claimed_work <= self.total_work:
            return False, []
        result = audit_chain(blocks, self.difficulty, self.model.fresh(), now=self._clock(), stop_at_first=True)
        if not result.valid:
            first = result.issues[0]
            raise InvalidChain(f"block {first.block_index}: {first.message}", block_index=first.block_index,
                               tx_id=first.tx_id)
        with self._lock:
            if result.state.total_work <= self.state.total_work:
                return False, []  # our chain grew meanwhile
            old, new = self.state.blocks, result.state.blocks
            fork = 0
            while fork < min(len(old), len(new)) and old[fork].hash == new[fork].hash:
                fork += 1
            dropped = [tx for b in old[fork:] for tx in b.transactions if tx.is_user]
            old_pool = list(self.pool)
            candidates = {tx.id: tx for tx in dropped + old_pool if tx.id not in result.state.tx_block}
            new_pool = PendingPool()
            for tx in candidates.values():  # dropped first: they are older than what is pending
                if tx.type == TRANSFER and tx.amount > result.state.balance(tx.sender) - new_pool.outgoing(tx.sender):
                    continue
                new_pool.add(tx)
            old_ids = {tx.id for tx in old_pool}
            restored = [tx for tx in new_pool if tx.id not in old_ids]
            self.store.replace_blocks(fork, [b.to_dict() for b in new[fork:]],
                                      remove_pending=[i for i in old_ids if i not in new_pool],
                                      add_pending=[tx.to_dict() for tx in restored])
            self.state, self.model, self.pool = result.state, result.model, new_pool
            self._abort.set()
        log.info("switched to a chain of %d blocks (fork at %d, dropped %d blocks, %d transactions back in the pool)",
                 len(new), fork, len(old) - fork, len(restored))
        return True, restored

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
        result = audit_chain(blocks, self.difficulty, self.model.fresh(), now=self._clock())
        if own and result.complete:
            stored_tip = blocks[-1].get("hash") if blocks else None
            if stored_tip != live_tip:
                result.issues.append(Issue(None, f"the stored chain must end at the live tip {live_tip}; "
                                                 f"it ends at {stored_tip}"))
            elif result.model.state_hash != live_hash:
                result.issues.append(Issue(None, f"the live model must equal the replayed model "
                                                 f"{result.model.state_hash}; got {live_hash}"))
        return result

    def proof(self, tx_id: str) -> Optional[dict]:
        """An inclusion proof for a transaction on the chain; None when pending or unknown."""
        from .proofs import inclusion_proof

        with self._lock:
            index = self.state.tx_block.get(tx_id)
            if index is None:
                return None
            return inclusion_proof(self.state.blocks[index], tx_id)

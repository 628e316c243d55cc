"""The ledger a node runs: accepted blocks, the pending pool, mining and the model seam.

Thread safety: a re-entrant write lock serialises every change (a transaction, a block, a reorg),
disk writes included; a short view lock covers only the in-memory swap at the end of a change, and
is all that reads take, so a read never waits for a disk sync or a model update. Proof of work
runs outside both, so reads and submissions are answered while a block is mined;
a separate mining lock lets only one block be mined at a time, and a block found on top of a
tip that has since moved is thrown away and mined again on the new tip.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Optional

from .audit import AuditResult, audit_chain, extend_audit, genesis_state
from .block import MAX_BLOCK_BYTES, Block, header_prefix
from .encoding import canon, merkle_root
from .errors import (BlockchainError, BlockConflict, ClaimNotAllowed, DuplicateTransaction, InsufficientFunds,
                     InvalidBlock, InvalidChain, InvalidTransaction, ModelUpdateError, PoolFull, StorageError)
from .gcpause import paused_gc
from .genesis import make_genesis, network_params
from .blocklist import scan_text
from .ledger import ChainState, Delta, Issue, UndoMissing, check_block, feed_model
from .pool import MAX_PENDING, PendingPool
from .pow import search_nonce
from .snapshots import SNAPSHOT_EVERY, read_snapshot, save_snapshot
from .storage import MemoryStore
from .transactions import CLAIM_TYPES, FLOWER_DATA, MAX_USER_TRANSACTIONS, Transaction, model_update, reward

log = logging.getLogger("blockchain")

NonceFinder = Callable[[bytes, int, threading.Event], Optional[int]]
TEMPLATE_SPARE_BYTES = 4096  # room kept in a template for the header, the REWARD and the MODEL_UPDATE


class MiningAborted(BlockchainError):
    code = "mining_aborted"


class MiningBusy(BlockchainError):
    """Too many requests are already mining or waiting to mine; the caller should retry later."""

    code = "mining_busy"


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


class Blockchain:
    """A node's chain. ``model`` is any LedgerModel (``blockchain.model_port``) in its base state.

    ``difficulty``, ``min_deposit`` and ``refund_wait`` fix the network together with the model's
    base (PROTOCOL.md "Genesis").
    """

    def __init__(self, model, difficulty: int = 4, store=None, *, min_deposit: int = 0, refund_wait: int = 10,
                 require_signatures: bool = False, clock: Callable[[], float] = time.time,
                 max_block_transactions: int = MAX_USER_TRANSACTIONS, nonce_finder: NonceFinder = _thread_finder) -> None:
        if not 1 <= difficulty <= 32:
            raise ValueError(f"difficulty must be 1 to 32; got {difficulty}")
        self.difficulty = difficulty
        self.params = network_params(difficulty, model.genesis_params(), min_deposit, refund_wait)
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
        self.pool = PendingPool()
        with paused_gc():
            self.state = self._load_chain()
        self._load_pending()

    def now_ms(self) -> int:
        return int(self._clock() * 1000)

    # -- start-up ---------------------------------------------------------------------
    def _load_chain(self) -> ChainState:
        texts = self.store.load_block_texts()
        if not texts:
            self.store.append_block(self.genesis.to_dict())
            return genesis_state(self.genesis, self.params, self.model)
        where = getattr(self.store, "path", "the store")
        try:
            first = json.loads(texts[0])
        except ValueError:
            raise StorageError(f"block 0 in {where} is not JSON; the data file is damaged: move the data directory "
                               "away and start with a fresh --data-dir") from None
        if first != self.genesis.to_dict():
            found = first.get("hash") if isinstance(first, dict) else None
            raise StorageError(
                f"the data directory holds another network's chain (genesis {str(found)[:16]}..., this node's is "
                f"{self.genesis.hash[:16]}... for difficulty {self.difficulty}, min_deposit "
                f"{self.params['min_deposit']}, refund_wait {self.params['refund_wait']}); start with the same "
                "--difficulty, --min-deposit, --refund-wait and base data, or use another --data-dir")
        started = time.perf_counter()
        checkpoint = read_snapshot(self.store, self.model, texts)
        if checkpoint is not None:
            log.info("the stored blocks match the snapshot at block %d", checkpoint[0])
            state = self._restore(texts, *checkpoint)
            if state is not None:
                log.info("loaded %d blocks, model from the verified snapshot at block %d, in %.2f s",
                         len(texts), checkpoint[0], time.perf_counter() - started)
                return state
        try:
            blocks = [json.loads(t) for t in texts]
        except ValueError as exc:
            raise StorageError(f"a stored block in {where} is not JSON ({exc}); the data file is damaged: move "
                               "the data directory away and start with a fresh --data-dir") from None
        result = audit_chain(blocks, self.model, self.params, now_ms=None, stop_at_first=True)
        if not result.valid:
            raise StorageError(f"the stored chain is not valid, refusing to start: {result.issues[0]}")
        log.info("loaded %d blocks and replayed the model in %.2f s", len(texts), time.perf_counter() - started)
        return result.state

    def _restore(self, texts: list[str], height: int, restored, ledger: dict) -> Optional[ChainState]:
        """The state from blocks whose bytes the snapshot vouches for (up to ``height``) and a full
        check of the rest; None (replay instead) if the blocks and the snapshot disagree."""
        state = genesis_state(self.genesis, self.params, self.model)
        try:
            for text in texts[1:height + 1]:
                state.add_restored(text, *scan_text(text))
            state.load_ledger_data(ledger)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            log.warning("the snapshot cannot be used (%s); replaying in full", exc)
            return None
        history = [(data["data_points_trained"], data["model_hash"]) for _, _, data in state.updates[1:]]
        if history != restored.update_history() or state.rows != restored.data_count:
            where = next((state.updates[1 + i][0] for i, (a, b) in enumerate(zip(history, restored.update_history()))
                          if a != b), "the tip")
            log.warning("the snapshot's model disagrees with block %s; replaying in full", where)
            return None
        result = AuditResult(state=state, model=restored, length=len(texts))
        try:
            later = [None] * (height + 1) + [json.loads(t) for t in texts[height + 1:]]
        except ValueError as exc:
            raise StorageError(f"a stored block in {getattr(self.store, 'path', 'the store')} is not JSON ({exc}); "
                               "the data file is damaged: move the data directory away and start with a fresh "
                               "--data-dir") from None
        extend_audit(result, later, height + 1, restored, None, True)
        if not result.valid:
            raise StorageError(f"the stored chain is not valid, refusing to start: {result.issues[0]}")
        self.model = restored
        return state

    def _state_at(self, height: int) -> ChainState:
        """Our state at ``height``, rebuilt from genesis by applying blocks this node accepted
        before (for a reorg deeper than the undo records a snapshot restart brought back)."""
        state = genesis_state(self.genesis, self.params, self.model.fresh())
        for index in range(1, height + 1):
            block = self.state.blocks[index]
            delta = Delta(state, index, None)
            for tx in block.transactions:
                delta.apply(tx, check=False)
            state.apply(block, delta)
        return state

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

    # -- settings kept with the chain (a node's peers, for one) ----------------------------
    def setting(self, key: str) -> Optional[str]:
        return self.store.get_meta(f"setting:{key}")

    def save_setting(self, key: str, value: str) -> None:
        """Stored durably with the chain; survives a restart."""
        self.store.set_meta(f"setting:{key}", value)

    # -- reads ------------------------------------------------------------------------
    @property
    def height(self) -> int:
        return self.state.height

    @property
    def last_block(self) -> Block:
        return self.state.tip

    def blocks(self) -> list[Block]:
        with self._view_lock:
            blocks = self.state.blocks.copy()
        return list(blocks)  # parsing any stored text happens outside the lock

    def model_updates(self) -> list:
        """(block index, timestamp_ms, MODEL_UPDATE data) of every block that changed the model."""
        with self._view_lock:
            return list(self.state.updates)

    def block_at(self, height: int) -> Optional[Block]:
        blocks = self.state.blocks
        return blocks[height] if 0 <= height < len(blocks) else None

    # -- pages, for clients and for peers (PROTOCOL.md "Peer endpoints") -----------------
    def tip(self) -> dict:
        with self._view_lock:
            return {"height": self.state.height, "hash": self.state.hashes[-1], "genesis": self.genesis.hash}

    def block(self, key: str) -> Optional[Block]:
        """A main-chain block by height ("12") or hash; None when there is none."""
        with self._view_lock:
            state = self.state
            if key.isascii() and key.isdigit() and len(key) < 16:
                height = int(key)
            else:
                height = state.block_heights.get(key)
            return state.blocks[height] if height is not None and 0 <= height <= state.height else None

    def blocks_from(self, start: int, limit: int, max_bytes: Optional[int] = None) -> list[Block]:
        """Main-chain blocks from height ``start``: at most ``limit``, and within ``max_bytes`` of
        canonical JSON (at least one block, whatever its size)."""
        with self._view_lock:
            items = self.state.blocks.copy()
        out, size = [], 0
        for height in range(start, min(start + limit, len(items))):
            block = items[height]
            size += block.canon_size()
            if out and max_bytes is not None and size > max_bytes:
                break
            out.append(block)
        return out

    def headers_after(self, locator: list[str], limit: int) -> list[dict]:
        """Headers of the main chain after the first locator hash that is on it (after genesis
        when none is), at most ``limit``: the answer to a peer's block locator."""
        with self._view_lock:
            state = self.state
            start = 1
            for block_hash in locator:
                height = state.block_heights.get(block_hash)
                if height is not None and height < len(state.hashes) and state.hashes[height] == block_hash:
                    start = height + 1
                    break
            items = state.blocks.copy()
        return [items[h].header() for h in range(start, min(start + limit, len(items)))]

    def pending_after(self, after: Optional[str], limit: int) -> tuple[list[Transaction], Optional[str], int]:
        """Pending transactions oldest first, after the one with id ``after`` (from the first when
        None or unknown): (page, the id to pass back for the next page or None, total count)."""
        with self._view_lock:
            txs = list(self.pool)
        ids = [tx.id for tx in txs]
        start = ids.index(after) + 1 if after in ids else 0
        page = txs[start:start + limit]
        following = page[-1].id if page and start + limit < len(txs) else None
        return page, following, len(txs)

    def pending(self) -> list[Transaction]:
        with self._view_lock:
            return list(self.pool)

    def balance(self, address: str) -> int:
        return self.state.balance(address)

    def available(self, address: str) -> int:
        """Balance minus what pending transfers and deposits of ``address`` already promise."""
        with self._view_lock:
            return self.state.balance(address) - self.pool.outgoing(address)

    def find_transaction(self, tx_id: str) -> tuple[Optional[int], Optional[Transaction]]:
        """(block index, tx) for a transaction on the chain, (None, tx) pending, (None, None) unknown."""
        with self._view_lock:
            index = self.state.tx_block.get(tx_id)
            block = self.state.blocks[index] if index is not None else None
            pending = list(self.pool)
        if block is not None:
            return index, next(tx for tx in block.transactions if tx.id == tx_id)
        return None, next((tx for tx in pending if tx.id == tx_id), None)

    def flower(self, flower_id: str):
        """The ledger's record of a contribution (``ledger.Flower``), or None."""
        return self.state.flowers.get(flower_id)

    def good(self, address: str) -> int:
        return self.state.good.get(address, 0)

    def contributions(self, sender: str) -> list[dict]:
        """``sender``'s FLOWER_DATA on the chain, oldest first: deposit, what is left, when it can
        be claimed, and whether the tip's model agrees with it (its leave-one-out prediction)."""
        with self._view_lock:
            state, model, wait = self.state, self.model, self.params["refund_wait"]
            mine = sorted(((f.row, fid, f) for fid, f in state.flowers.items() if f.sender == sender))
            blocks = {f.block: state.blocks[f.block] for _, _, f in mine}
        out = []
        for _, flower_id, flower in mine:  # the model's predictions are worked out outside the lock
            tx = next(t for t in blocks[flower.block].transactions if t.id == flower_id)
            out.append({"flower_id": flower_id, "block_index": flower.block, "row": flower.row,
                        "data": dict(tx.body["data"]), "timestamp_ms": tx.body["timestamp_ms"],
                        "deposit": flower.deposit, "left": flower.left, "refunded": flower.refunded,
                        "reported_by": sorted(flower.reporters), "claimable_from_block": flower.block + wait,
                        "model_agrees": model.loo_predict(flower.row) == flower.label})
        return out

    # -- transactions -----------------------------------------------------------------
    def add_transaction(self, tx: Transaction) -> int:
        """Validate a user transaction against the chain and pool, store it, pool it.

        Returns the index of the next block. Raises DuplicateTransaction, InsufficientFunds,
        ClaimNotAllowed, InvalidTransaction, SignatureRequired or PoolFull; nothing changes then.
        """
        with self._lock:
            self._admit(tx, persist=True)
            return self.height + 1

    def _admit(self, tx: Transaction, persist: bool) -> None:
        if not tx.is_user:
            raise InvalidTransaction(f"only nodes create {tx.type} transactions; a client may not submit one", tx_id=tx.id)
        if self.require_signatures:
            tx.require_signature()
        tx.check_timestamp(self.now_ms())
        if tx.id in self.state.tx_block:
            raise DuplicateTransaction(f"transaction {tx.id} is already in block {self.state.tx_block[tx.id]}", tx_id=tx.id)
        if tx.id in self.pool:
            raise DuplicateTransaction(f"transaction {tx.id} is already pending", tx_id=tx.id)
        delta = Delta(self.state, self.height + 1, self.model)
        if tx.type in CLAIM_TYPES:
            problem = delta.claim_problem(tx)
            if problem is not None:
                raise ClaimNotAllowed(problem, tx_id=tx.id)
        else:
            spendable = self.state.balance(tx.sender) - self.pool.outgoing(tx.sender)
            delta.balances[tx.sender] = spendable
            problem = delta.problem(tx)
            if problem is not None:
                if tx.spends > spendable:
                    raise InsufficientFunds(
                        f"amount must be at most what {tx.sender} can spend ({spendable}: balance "
                        f"{self.state.balance(tx.sender)} minus {self.pool.outgoing(tx.sender)} pending); got {tx.amount}",
                        tx_id=tx.id)
                raise InvalidTransaction(problem, tx_id=tx.id)
        if len(self.pool) >= MAX_PENDING:
            raise PoolFull(f"the pending pool is full ({MAX_PENDING} transactions); mine a block and try again")
        if persist:
            self.store.add_pending(tx.to_dict())  # under the write lock only: reads go on meanwhile
        with self._view_lock:
            self.pool.add(tx)

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
                    # The template was built on this very state by the rules check_block applies,
                    # so its effects stand as they are (the unit tests re-check mined blocks).
                    self._accept(block, template.delta)
                log.info("mined block %d hash=%s nonce=%d txs=%d in %.0f ms", block.index, block.hash[:16],
                         nonce, len(block.transactions), (time.perf_counter() - started) * 1000)
                return block

    def _template(self, miner_address: str) -> _Template:
        parent = self.state.tip
        index = parent.index + 1
        first = reward(miner_address, index)
        delta = Delta(self.state, index, self.model)
        delta.apply(first)
        chosen, size = [], len(canon(first.to_dict())) + TEMPLATE_SPARE_BYTES
        for tx in self.pool:
            if len(chosen) >= self.max_block_transactions:
                break
            tx_size = len(canon(tx.to_dict())) + 1
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

    def close(self) -> None:
        """Stop any mining under way (it raises MiningAborted) and close the store."""
        self._closing = True
        self._abort.set()
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
            if block.previous_hash != tip.hash or block.index != tip.index + 1:
                raise BlockConflict(f"block {block.index} ({block.hash[:16]}...) does not extend our tip "
                                    f"{tip.index} ({tip.hash[:16]}...)", block_index=block.index)
            issues, delta = check_block(block, self.state, self.model, self.now_ms())
            if issues:
                first = issues[0]
                raise InvalidBlock(first.message, block_index=first.block_index, tx_id=first.tx_id)
            self._accept(block, delta)
            self._abort.set()  # a miner working on the old tip starts again
        log.info("accepted block %d hash=%s from elsewhere", block.index, block.hash[:16])
        return True

    def _accept(self, block: Block, delta: Delta) -> None:
        """Persist, then apply a validated block to the state, the pool and the model.

        The disk write and the model update happen under the write lock only; the ledger's
        in-memory change is one short step under the view lock, so reads never wait for either.
        """
        included = {tx.id for tx in block.transactions if tx.is_user}
        rest = [tx for tx in self.pool if tx.id not in included]
        kept, evicted = self._revalidated(rest, self.state, self.model, block, delta)
        self.store.append_block(block.to_dict(), list(included) + [tx.id for tx in evicted])
        with self._view_lock:
            self.state.apply(block, delta)
            self.pool = kept
        self._process_ml_transactions(block)  # the model swaps in its new state in one assignment
        for tx in evicted:
            log.info("dropped pending %s %s: block %d made it invalid", tx.type, tx.id[:16], block.index)
        if block.index % SNAPSHOT_EVERY == 0:
            save_snapshot(self.store, self.model, self.state)

    def _revalidated(self, candidates: Iterable[Transaction], state: ChainState, model, block: Optional[Block] = None,
                     delta: Optional[Delta] = None) -> tuple[PendingPool, list[Transaction]]:
        """The pool that stays valid on top of ``state`` (plus ``block`` when given), and what
        does not: one rule for blocks from elsewhere, our own blocks and reorgs. Claims are
        checked again when a template is built, against the model of that moment."""
        check = Delta(state, state.height + 1, None)
        in_block: set[str] = set()
        if block is not None:  # the block's effects laid over the state, which stays as it is
            check.block_index = block.index + 1
            check.balances, check.flowers, check.good = dict(delta.balances), dict(delta.flowers), dict(delta.good)
            check.total_good, check.rows = delta.total_good, delta.rows
            in_block = {tx.id for tx in block.transactions}
        kept, evicted = PendingPool(), []
        for tx in candidates:
            if tx.id in state.tx_block or tx.id in in_block:
                continue
            if tx.type in CLAIM_TYPES:
                flower = check.flower(tx.body["flower_id"])
                ok = flower is not None and flower.left > 0
            else:
                ok = check.apply(tx) is None
            if ok:
                kept.add(tx)
            else:
                evicted.append(tx)
        return kept, evicted

    def _process_ml_transactions(self, block: Block) -> Optional[dict]:
        """Feed an accepted block's FLOWER_DATA to the model, as one all-or-nothing update."""
        try:
            return feed_model(self.model, block)
        except Exception as exc:
            log.error("model update for block %d failed (%s); rebuilding the model from the chain", block.index, exc)
            self.model = self.model.at_size(self.state.rows - sum(1 for t in block.transactions if t.type == FLOWER_DATA))
            raise ModelUpdateError(f"the model could not take block {block.index}; it was rebuilt from the chain",
                                   block_index=block.index) from exc

    # -- fork choice ------------------------------------------------------------------
    def replace_chain(self, blocks) -> tuple[bool, list[Transaction]]:
        """Adopt ``blocks`` (dicts or Blocks, from genesis) if valid and strictly longer than ours.

        Only the blocks after the fork point are validated, starting from our state at the fork
        (the common prefix was valid before). Returns (replaced, transactions put back in the
        pool). A tie or a shorter chain keeps ours (False) without checking it; an invalid chain
        raises InvalidChain and changes nothing. The model becomes the adopted chain's model.
        """
        if len(blocks) <= self.height + 1:
            return False, []
        with self._lock:
            fork = self._fork_point(blocks)
            if fork < 0:
                raise InvalidChain("block 0 must be this network's genesis "
                                   f"(hash {self.genesis.hash}); the offered chain starts elsewhere", block_index=0)
            state = self.state.copy()
            try:
                state.rewind(fork)
            except UndoMissing:
                log.info("reorg below the undo records of the last restart: rebuilding the state at %d", fork)
                state = self._state_at(fork)
            model = self.model.at_size(state.rows)
        result = AuditResult(state=state, length=len(blocks))
        with paused_gc():
            extend_audit(result, blocks, fork + 1, model, self.now_ms(), stop_at_first=True)
        if not result.valid:
            first = result.issues[0]
            raise InvalidChain(f"block {first.block_index}: {first.message}", block_index=first.block_index,
                               tx_id=first.tx_id)
        with self._lock:
            if state.height <= self.height:
                return False, []  # our chain grew meanwhile
            current_fork = self._fork_point(state.hashes)  # our chain may have moved while we checked
            old = self.state.blocks
            dropped = [tx for b in old[current_fork + 1:] for tx in b.transactions if tx.is_user]
            old_pool = list(self.pool)
            new_pool, _ = self._revalidated(dropped + old_pool, state, model)
            old_ids = {tx.id for tx in old_pool}
            restored = [tx for tx in new_pool if tx.id not in old_ids]
            self.store.replace_blocks(current_fork + 1, [b.to_dict() for b in state.blocks[current_fork + 1:]],
                                      remove_pending=[i for i in old_ids if i not in new_pool],
                                      add_pending=[tx.to_dict() for tx in restored])
            dropped_blocks = len(old) - current_fork - 1
            with self._view_lock:
                self.state, self.model, self.pool = state, result.model, new_pool
            self._abort.set()
        log.info("switched to a chain of %d blocks (fork at %d, dropped %d blocks, %d transactions back in the pool)",
                 len(state.blocks), current_fork, dropped_blocks, len(restored))
        return True, restored

    def _fork_point(self, blocks) -> int:
        """The height of the last block ``blocks`` shares with our chain (-1: not even genesis)."""
        own = self.state.hashes
        lo, hi = 0, min(len(own), len(blocks)) - 1
        if hi < 0 or _hash_of(blocks[0]) != own[0]:
            return -1
        while lo < hi:  # blocks link by hash: once they differ they differ for good
            mid = (lo + hi + 1) // 2
            if _hash_of(blocks[mid]) == own[mid]:
                lo = mid
            else:
                hi = mid - 1
        return lo

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

    def proof(self, tx_id: str) -> Optional[dict]:
        """An inclusion proof for a transaction on the chain; None when pending or unknown."""
        from .proofs import inclusion_proof

        with self._view_lock:
            index = self.state.tx_block.get(tx_id)
            block = self.state.blocks[index] if index is not None else None
        return inclusion_proof(block, tx_id) if block is not None else None


def _hash_of(block) -> Optional[str]:
    if isinstance(block, Block):
        return block.hash
    if isinstance(block, str):
        return block  # a hash already
    return block.get("hash") if isinstance(block, dict) else None

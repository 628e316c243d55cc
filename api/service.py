"""The node service: wires the chain, the model, storage and the node's key together.

Routes call this and nothing else, so that they stay thin and the rules live in one place.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Optional

from blockchain import (Block, BlockConflict, Blockchain, DuplicateTransaction, MemoryStore,
                        SQLiteStore, StorageError, Transaction, UnknownBlock, UnknownTransaction, crypto)
from blockchain.difficulty import work_text
from blockchain.errors import ClaimPending
from blockchain.miner import ProcessMiner
from blockchain.transactions import FEATURES, FLOWER_DATA, claim_body, flower_body, transfer_body
from ml import BaseData, IrisModel
from ml.drift import drift_report

from .automine import AutoMiner
from .config import NodeConfig
from .network import Network
from .schemas import ClaimIn, FlowerIn, TransferIn

log = logging.getLogger("node")


class NodeService:
    def __init__(self, config: NodeConfig) -> None:
        self.config = config
        base = BaseData.from_file(config.base_data) if config.base_data else None
        model = IrisModel(base=base)
        store: MemoryStore | SQLiteStore
        if config.ephemeral:
            store = MemoryStore()
            key = crypto.generate_private_key()
            self.data_dir: Optional[Path] = None
        else:
            self.data_dir = config.resolved_data_dir
            store = SQLiteStore(self.data_dir / "chain.sqlite3", durability=config.durability)
            try:
                key = crypto.load_or_create_key(self.data_dir / "node_key")
            except crypto.KeyFileError as exc:
                store.close()
                raise StorageError(f"the node key cannot be used: {exc}; restore it from a backup, or move it away "
                                   "to start with a new key (and so a new mining address)") from None
        self.miner = ProcessMiner(config.miners) if config.miners > 0 else None
        extra: dict[str, Any] = {"nonce_finder": self.miner} if self.miner else {}
        try:
            self.chain = Blockchain(model, config.difficulty, store, min_deposit=config.min_deposit,
                                    refund_wait=config.refund_wait, require_signatures=config.require_signatures,
                                    protocol=config.protocol, target_block_ms=config.target_block_ms,
                                    retarget_every=config.retarget_every, min_difficulty=config.min_difficulty,
                                    **extra)
        except BaseException:
            store.close()
            if self.miner is not None:
                self.miner.close()
            raise
        self.key = key
        self.public_key = crypto.public_key_hex(key)
        self.address = crypto.address_of(self.public_key)
        self.node_id = self.address[:16]
        self._stamp_lock = threading.Lock()
        self._last_stamp = 0
        self.network = Network(self.chain, config.host, config.port, self.node_id,
                               peer_timeout=config.peer_timeout, sync_interval=config.sync_interval,
                               advertise=config.advertise)
        # The peers from the command line are registered now and asked to register us back only
        # once we listen (``listening``): a peer that polled us before then would find us unreachable.
        self._startup_peers = self.network.register(list(config.peers), announce=False) if config.peers else []
        self.network.start()
        self.automine = AutoMiner(config.mine, self.mine, lambda: len(self.chain.pool))
        self.automine.start()

    def listening(self) -> None:
        """The server is bound (app.py, after ``bind``): ask the command line's peers to register us."""
        self.network.announce(self._startup_peers)

    @property
    def model(self) -> IrisModel:
        return self.chain.model  # the chain may rebuild its model; always ask it

    def close(self) -> None:
        self.automine.stop()
        self.network.stop()
        self.chain.close()  # aborts a background search under way
        self.automine.join()
        if self.miner is not None:
            self.miner.close()

    # -- writes -----------------------------------------------------------------------
    def _timestamp(self, payload) -> int:
        """The client's timestamp_ms, or the node's clock: strictly increasing, so that two
        requests in the same millisecond are two transactions, as they were meant to be."""
        if payload.timestamp_ms is not None:
            return payload.timestamp_ms
        with self._stamp_lock:
            self._last_stamp = max(self.chain.now_ms(), self._last_stamp + 1)
            return self._last_stamp

    def submit_transfer(self, payload: TransferIn) -> tuple[Transaction, int]:
        body = transfer_body(payload.sender, payload.recipient, payload.amount, self._timestamp(payload),
                             payload.public_key)
        return self._accept_new(Transaction.create(body, payload.signature))

    def submit_flower(self, payload: FlowerIn) -> tuple[Transaction, int]:
        measurements = dict(zip(FEATURES, payload.features(), strict=True))
        body = flower_body(payload.sender, measurements, payload.flower_type, self._timestamp(payload),
                           payload.deposit, payload.public_key)
        return self._accept_new(Transaction.create(body, payload.signature))

    def submit_claim(self, kind: str, payload: ClaimIn) -> tuple[Transaction, int]:
        body = claim_body(kind, payload.sender, payload.flower_id, self._timestamp(payload), payload.public_key)
        return self._accept_new(Transaction.create(body, payload.signature))

    def timestamp(self, payload) -> int:
        """``payload.timestamp_ms``, or the node's clock (strictly increasing): for a body built elsewhere."""
        return self._timestamp(payload)

    def submit_body(self, body: dict[str, Any], signature: Optional[str]) -> tuple[Transaction, int]:
        """A user transaction's body (built by another service, e.g. ``api/jobs.py``), checked, pooled, passed on."""
        return self._accept_new(Transaction.create(body, signature))

    def _accept_new(self, tx: Transaction) -> tuple[Transaction, int]:
        index = self.chain.add_transaction(tx)
        self.network.broadcast_transaction(tx)
        return tx, index

    def mine(self) -> Block:
        block = self.chain.mine(self.address)
        self.network.broadcast_block(block)
        return block

    # -- from peers -------------------------------------------------------------------
    def receive_transaction(self, data, source: Optional[str] = None) -> Optional[str]:
        """A full transaction from a peer (``source``: where from, for the pool's fair shares):
        None if new (and passed on), else why it was not added although it is valid: already known,
        or another claim of the same sender on the same flower is pending."""
        tx = Transaction.from_dict(data)
        try:
            self.chain.add_transaction(tx, source)
        except ClaimPending as exc:
            return f"not added: {exc}"
        except DuplicateTransaction:
            return "transaction already known"
        self.network.broadcast_transaction(tx)
        return None

    def receive_block(self, data) -> bool:
        """A block from a peer: True if appended (and passed on), False if already known.

        A valid-looking block that does not extend our tip raises BlockConflict and makes the
        node sync from its peers in the background.
        """
        block = Block.from_dict(data)
        try:
            appended = self.chain.add_block(block)
        except BlockConflict:
            self.network.request_sync()
            raise
        if appended:
            self.network.broadcast_block(block)
        return appended

    # -- reads ------------------------------------------------------------------------
    def health(self) -> dict:
        tip = self.chain.last_block
        params = self.chain.params
        return {"status": "ok", "protocol": params["protocol"], "node_id": self.node_id, "address": self.address,
                "height": tip.index, "tip": tip.hash, "genesis": self.chain.genesis.hash,
                "work": work_text(self.chain.work),
                "difficulty": self.chain.difficulty, "min_deposit": params["min_deposit"],
                "refund_wait": params["refund_wait"], "pending": len(self.chain.pool),
                "model_hash": self.model.state_hash, "require_signatures": self.chain.require_signatures,
                "data_dir": str(self.data_dir) if self.data_dir else None,
                "peers": len(self.network.peers()), "advertise": self.network.own_url}

    def validate(self) -> dict:
        return self.chain.validate_chain().to_dict()

    def balance(self, address: str) -> dict:
        return {"address": address, "balance": self.chain.balance(address), "available": self.chain.available(address)}

    def pending_page(self, after, limit: int) -> dict:
        page, following, count = self.chain.pending_after(after, limit)
        return {"transactions": [tx.to_dict() for tx in page], "count": count, "next": following}

    def chain_page(self, start: int, limit: int) -> dict:
        blocks = self.chain.blocks_from(start, limit)
        length = self.chain.height + 1
        following = start + len(blocks) if blocks and start + len(blocks) < length else None
        return {"chain": [b.to_dict() for b in blocks], "length": length, "next": following}

    def block(self, key: str) -> dict:
        """A main-chain block by height or hash, or a side-branch block this node holds, by hash;
        ``main_chain`` says which."""
        block = self.chain.block(key)
        if block is not None:
            return {**block.to_dict(), "main_chain": True}
        side = self.chain.side_block(key) if len(key) == 64 else None
        if side is None:
            raise UnknownBlock(f"no block {key!r:.80} on this node (a height from 0 to {self.chain.height}, "
                               "or the hash of a block of any branch it holds)")
        return {**side, "main_chain": False}

    def tip(self) -> dict:
        return self.chain.tip()

    def headers(self, locator: list[str], limit: int) -> dict:
        return {"headers": self.chain.headers_after(locator, limit)}

    def blocks_page(self, start: int, limit: int, max_bytes: int) -> dict:
        return {"blocks": [b.to_dict() for b in self.chain.blocks_from(start, limit, max_bytes)]}

    def model_info(self) -> dict:
        return self.model.info()

    def evaluate(self) -> dict:
        return self.model.evaluate_model()

    def predict(self, features) -> dict:
        """The prediction, and each neighbour's block: None for a row of the base data, else the
        block whose FLOWER_DATA added it (the first MODEL_UPDATE whose training set includes it)."""
        model = self.model
        out = model.predict(features)
        neighbours = out.get("neighbours", [])
        for neighbour, block in zip(neighbours, self.chain.blocks_of_rows([n["row"] for n in neighbours]), strict=True):
            neighbour["block_index"] = block
        return {**out, "model_hash": model.state_hash}

    def proof(self, tx_id: str) -> dict:
        """An inclusion proof, or a pending notice; ApiError 404 for an unknown id."""
        proof = self.chain.proof(tx_id)
        if proof is not None:
            return {"status": "confirmed", **proof}
        index, tx = self.chain.find_transaction(tx_id)
        if tx is not None:
            return {"status": "pending", "tx_id": tx_id, "block_index": None,
                    "message": "the transaction is pending; a proof exists once it is in a mined block"}
        raise UnknownTransaction(f"no transaction {tx_id!r:.80} on the chain or in the pool")

    def judgement(self, flower_id: str) -> dict:
        """Which data would judge a claim of a flower in the next block; ApiError 404 for no such flower."""
        found = self.chain.judgement(flower_id)
        if found is None:
            raise UnknownTransaction(f"no FLOWER_DATA {flower_id!r:.80} on the chain")
        return found

    def transfers(self, address: str, start: int, limit: int) -> dict:
        items, count = self.chain.transfers(address, start, limit)
        following = start + len(items) if start + len(items) < count else None
        return {"address": address, "transfers": items, "count": count, "next": following}

    def contributions(self, sender: str, start: int, limit: int) -> dict:
        """One page of a sender's contributions; ``next`` is the ``from`` of the next page, or None."""
        items, count = self.chain.contributions(sender, start, limit)
        following = start + len(items) if start + len(items) < count else None
        return {"sender": sender, "count": count, "contributions": items, "next": following,
                "good": self.chain.good(sender)}

    def drift(self, window: int) -> dict:
        """Drift of the last ``window`` contributions on the chain against the base training data."""
        recent = []
        for height in range(self.chain.height, 0, -1):  # from the tip back, only as far as needed
            block = self.chain.block_at(height)
            if block is None:  # a reorg made the chain shorter meanwhile
                continue
            for tx in reversed(block.transactions):
                if tx.type == FLOWER_DATA:
                    recent.append([float(v) for v in tx.features()])
            if len(recent) >= window:
                break
        recent = recent[:window][::-1]
        base_rows = [[float(v) for v in row] for row in self.model.base.train]
        return {"window": window, **drift_report(base_rows, recent)}

    def model_history(self, start: int = 0, limit: Optional[int] = None) -> dict:
        """One row per block that changed the model, genesis first (from its MODEL_UPDATEs); a page
        of them with ``start`` and ``limit``."""
        updates, count = self.chain.model_updates(start, None if limit is None else start + limit)
        end = start + len(updates)
        rows = [{"block_index": index, "timestamp_ms": timestamp_ms, **data,
                 "accuracy": data["test_correct"] / data["test_rows"]}
                for index, timestamp_ms, data in updates]
        following = end if end < count else None
        return {"history": rows, "count": count, "next": following}

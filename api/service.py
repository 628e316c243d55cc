"""The node service: wires the chain, the model, storage and the node's key together.

Routes call this and nothing else, so that they stay thin and the rules live in one place.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Optional

from blockchain import Block, BlockConflict, Blockchain, DuplicateTransaction, MemoryStore, SQLiteStore, Transaction
from blockchain import crypto
from blockchain.miner import ProcessMiner
from blockchain.transactions import MODEL_UPDATE, flower_body, transfer_body
from ml import BaseData, IrisModel
from ml.drift import drift_report

from .config import NodeConfig
from .errors import ApiError
from .network import Network
from .schemas import FlowerIn, TransferIn

log = logging.getLogger("node")


class NodeService:
    def __init__(self, config: NodeConfig) -> None:
        self.config = config
        base = BaseData.from_file(config.base_data) if config.base_data else None
        model = IrisModel(base=base)
        if config.ephemeral:
            store = MemoryStore()
            key = crypto.generate_private_key()
            self.data_dir: Optional[Path] = None
        else:
            self.data_dir = config.resolved_data_dir
            store = SQLiteStore(self.data_dir / "chain.sqlite3", durability=config.durability)
            key = crypto.load_or_create_key(self.data_dir / "node_key")
        self.miner = ProcessMiner(config.miners) if config.miners > 0 else None
        extra = {"nonce_finder": self.miner} if self.miner else {}
        self.chain = Blockchain(model, config.difficulty, store, require_signatures=config.require_signatures, **extra)
        self.key = key
        self.public_key = crypto.public_key_hex(key)
        self.address = crypto.address_of(self.public_key)
        self.node_id = self.address[:16]
        self._history_cache: tuple[str, list] = ("", [])
        self._history_lock = threading.Lock()
        self.network = Network(self.chain, config.host, config.port, self.node_id,
                               peer_timeout=config.peer_timeout, sync_interval=config.sync_interval)
        if config.peers:
            self.network.register(list(config.peers))
        self.network.start()

    @property
    def model(self) -> IrisModel:
        return self.chain.model  # the chain may rebuild its model; always ask it

    def close(self) -> None:
        self.network.stop()
        self.chain.close()
        if self.miner is not None:
            self.miner.close()

    # -- writes -----------------------------------------------------------------------
    def submit_transfer(self, payload: TransferIn) -> tuple[Transaction, int]:
        body = transfer_body(payload.sender, payload.recipient, payload.amount,
                             payload.timestamp if payload.timestamp is not None else time.time(), payload.public_key)
        return self._accept_new(Transaction.create(body, payload.signature))

    def submit_flower(self, payload: FlowerIn) -> tuple[Transaction, int]:
        body = flower_body(payload.sender, payload.model_dump(), payload.flower_type,
                           payload.timestamp if payload.timestamp is not None else time.time(), payload.public_key)
        return self._accept_new(Transaction.create(body, payload.signature))

    def _accept_new(self, tx: Transaction) -> tuple[Transaction, int]:
        index = self.chain.add_transaction(tx)
        self.network.broadcast_transaction(tx)
        return tx, index

    def mine(self) -> Block:
        block = self.chain.mine(self.address)
        self.network.broadcast_block(block)
        return block

    # -- from peers -------------------------------------------------------------------
    def receive_transaction(self, data) -> bool:
        """A full transaction from a peer: True if new (and passed on), False if already known."""
        tx = Transaction.from_dict(data)
        try:
            self.chain.add_transaction(tx)
        except DuplicateTransaction:
            return False
        self.network.broadcast_transaction(tx)
        return True

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
        return {"status": "ok", "node_id": self.node_id, "address": self.address, "height": tip.index,
                "tip": tip.hash, "difficulty": self.chain.difficulty, "pending": len(self.chain.pool),
                "model_hash": self.model.state_hash, "require_signatures": self.chain.require_signatures,
                "data_dir": str(self.data_dir) if self.data_dir else None,
                "total_work": self.chain.total_work, "peers": len(self.network.peers())}

    def proof(self, tx_id: str) -> dict:
        """An inclusion proof, or a pending notice; ApiError 404 for an unknown id."""
        proof = self.chain.proof(tx_id)
        if proof is not None:
            return {"status": "confirmed", **proof}
        index, tx = self.chain.find_transaction(tx_id)
        if tx is not None:
            return {"status": "pending", "tx_id": tx_id, "block_index": None,
                    "message": "the transaction is pending; a proof exists once it is in a mined block"}
        raise ApiError(404, "unknown_transaction", f"no transaction {tx_id!r:.80} on the chain or in the pool")

    def contributions(self, sender: str) -> dict:
        """A sender's FLOWER_DATA on the chain, and the model before and after each block that carried them."""
        items, blocks = [], []
        previous = None
        for block in self.chain.blocks():
            mine = [tx for tx in block.transactions if tx.type == "FLOWER_DATA" and tx.sender == sender]
            update = next((tx.body["data"] for tx in block.transactions if tx.type == MODEL_UPDATE), None)
            if mine and update is not None:
                items.extend({"tx_id": tx.id, "block_index": block.index, "timestamp": tx.body["timestamp"],
                              "data": tx.body["data"]} for tx in mine)
                blocks.append({"block_index": block.index, "block_hash": block.hash, "points_from_sender": len(mine),
                               "accuracy_before": previous["accuracy"], "accuracy_after": update["accuracy"],
                               "data_points_before": previous["data_points_trained"],
                               "data_points_after": update["data_points_trained"],
                               "model_hash_after": update["model_hash"]})
            if update is not None:
                previous = update
        return {"sender": sender, "count": len(items), "contributions": items, "blocks": blocks}

    def drift(self, window: int) -> dict:
        """Drift of the last ``window`` contributions on the chain against the base training data."""
        recent = []
        for block in reversed(self.chain.blocks()):
            for tx in reversed(block.transactions):
                if tx.type == "FLOWER_DATA":
                    recent.append(tx.features())
            if len(recent) >= window:
                break
        recent = recent[:window][::-1]
        model = self.model
        return {"window": window, **drift_report(model.base.train_rows, recent)}

    def model_history(self) -> list[dict]:
        """One row per block that changed the model, genesis first (from its MODEL_UPDATEs)."""
        blocks = self.chain.blocks()
        tip = blocks[-1].hash
        with self._history_lock:
            cached_tip, rows = self._history_cache
            if cached_tip == tip:
                return rows
            rows = []
            for block in blocks:
                for tx in block.transactions:
                    if tx.type == MODEL_UPDATE:
                        rows.append({"block_index": block.index, "timestamp": block.timestamp, **tx.body["data"]})
            self._history_cache = (tip, rows)
            return rows

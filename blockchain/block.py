"""Blocks: header, hash, Merkle root, and parsing of blocks that come from outside."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

from .encoding import canon, is_hex, merkle_root, sha256_hex
from .errors import InvalidBlock, InvalidTransaction
from .transactions import Transaction

BLOCK_KEYS = {"index", "timestamp", "previous_hash", "difficulty", "merkle_root", "nonce", "transactions", "hash"}
MAX_BLOCK_TRANSACTIONS = 1000 + 2  # user transactions, the REWARD and the MODEL_UPDATE


def header_prefix(index: int, timestamp: float, previous_hash: str, difficulty: int, root: str) -> bytes:
    """``canon(header) + b":"``, the part of the proof-of-work preimage that precedes the nonce."""
    header = {"index": index, "timestamp": timestamp, "previous_hash": previous_hash,
              "difficulty": difficulty, "merkle_root": root}
    return canon(header) + b":"


def block_hash(prefix: bytes, nonce: int) -> str:
    return sha256_hex(prefix + str(nonce).encode("ascii"))


@dataclass(frozen=True)
class Block:
    index: int
    timestamp: float
    previous_hash: str
    difficulty: int
    merkle_root: str
    nonce: int
    transactions: tuple[Transaction, ...]
    hash: str

    @classmethod
    def assemble(cls, index: int, timestamp: float, previous_hash: str, difficulty: int,
                 transactions: Sequence[Transaction], nonce: int) -> "Block":
        root = merkle_root([tx.id for tx in transactions])
        prefix = header_prefix(index, timestamp, previous_hash, difficulty, root)
        return cls(index, timestamp, previous_hash, difficulty, root, nonce, tuple(transactions),
                   block_hash(prefix, nonce))

    def prefix(self) -> bytes:
        return header_prefix(self.index, self.timestamp, self.previous_hash, self.difficulty, self.merkle_root)

    def computed_hash(self) -> str:
        return block_hash(self.prefix(), self.nonce)

    def computed_merkle_root(self) -> str:
        return merkle_root([tx.id for tx in self.transactions])

    def tx_ids(self) -> list[str]:
        return [tx.id for tx in self.transactions]

    @property
    def work(self) -> int:
        return 16 ** self.difficulty

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "timestamp": self.timestamp,
            "previous_hash": self.previous_hash,
            "difficulty": self.difficulty,
            "merkle_root": self.merkle_root,
            "nonce": self.nonce,
            "transactions": [tx.to_dict() for tx in self.transactions],
            "hash": self.hash,
        }

    @classmethod
    def from_dict(cls, data: Any, *, lenient: bool = False) -> "Block":
        """Parse a block from outside: field types and every transaction on its own.

        Links, proof of work, Merkle root, balances and the model are checked by the ledger.
        ``lenient`` (audits only) lets wrong transaction ids and signatures through, marked
        unverified, so that an audit can name every one of them.
        """
        if not isinstance(data, dict):
            raise InvalidBlock(f"a block must be an object; got {type(data).__name__}")
        index = data.get("index")
        where = index if isinstance(index, int) and not isinstance(index, bool) else None
        if set(data) != BLOCK_KEYS:
            raise InvalidBlock(f"a block must have exactly the fields {sorted(BLOCK_KEYS)}; got {sorted(map(str, data))}",
                               block_index=where)

        def bad(msg: str) -> InvalidBlock:
            return InvalidBlock(msg, block_index=where)

        for name in ("index", "difficulty", "nonce"):
            v = data[name]
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise bad(f"{name} must be a non-negative integer; got {v!r:.40}")
        if data["difficulty"] > 32:
            raise bad(f"difficulty must be at most 32; got {data['difficulty']}")
        ts = data["timestamp"]
        if not isinstance(ts, float) or not math.isfinite(ts) or ts < 0:
            raise bad(f"timestamp must be a non-negative finite float; got {ts!r:.40}")
        for name in ("previous_hash", "merkle_root", "hash"):
            if not is_hex(data[name], 64):
                raise bad(f"{name} must be 64 lowercase hex characters; got {data[name]!r:.80}")
        txs = data["transactions"]
        if not isinstance(txs, list):
            raise bad(f"transactions must be a list; got {type(txs).__name__}")
        if len(txs) > MAX_BLOCK_TRANSACTIONS:
            raise bad(f"a block must hold at most {MAX_BLOCK_TRANSACTIONS} transactions; got {len(txs)}")
        parsed = []
        for tx in txs:
            try:
                parsed.append(Transaction.from_dict(tx, lenient=lenient))
            except InvalidTransaction as exc:
                raise InvalidBlock(exc.message, block_index=where, tx_id=exc.tx_id) from exc
        return cls(data["index"], ts, data["previous_hash"], data["difficulty"], data["merkle_root"],
                   data["nonce"], tuple(parsed), data["hash"])

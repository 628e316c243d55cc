"""Blocks of PROTOCOL.md version 2: header, hash, Merkle root, and parsing of blocks from outside."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Optional, Sequence

from .encoding import MAX_SAFE, ValueRuleError, canon, check_value, is_hex, is_int, merkle_root, sha256_hex
from .errors import InvalidBlock, InvalidTransaction
from .jobs import MAX_SETTLE_PER_BLOCK
from .transactions import MAX_USER_TRANSACTIONS, Transaction

BLOCK_KEYS = {"index", "timestamp_ms", "previous_hash", "difficulty", "merkle_root", "nonce", "transactions", "hash"}
HEADER_KEYS = BLOCK_KEYS - {"transactions"}
# user transactions, the REWARD, v3's JOB_SETTLEs and the MODEL_UPDATE
MAX_BLOCK_TRANSACTIONS = MAX_USER_TRANSACTIONS + 2 + MAX_SETTLE_PER_BLOCK
MAX_BLOCK_BYTES = 1_000_000        # canon(block)
MAX_NONCE = 2**53
# v2 asks difficulty == D (at most 32); v3 any JSON-safe integer (PROTOCOL.md "Version 3: difficulty")
MAX_DIFFICULTY = 2**53 - 1


def header_prefix(index: int, timestamp_ms: int, previous_hash: str, difficulty: int, root: str) -> bytes:
    """``canon(header) + b":"``, the part of the proof-of-work preimage that precedes the nonce."""
    header = {"index": index, "timestamp_ms": timestamp_ms, "previous_hash": previous_hash,
              "difficulty": difficulty, "merkle_root": root}
    return canon(header) + b":"


def block_hash(prefix: bytes, nonce: int) -> str:
    return sha256_hex(prefix + str(nonce).encode("ascii"))


def check_header_fields(data: dict[str, Any], where: Optional[int]) -> None:
    """Types and ranges of a header's fields (the block without ``transactions``)."""
    def bad(msg: str) -> InvalidBlock:
        return InvalidBlock(msg, block_index=where)

    for name in ("index", "difficulty", "timestamp_ms", "nonce"):
        v = data[name]
        if not is_int(v) or v < 0:
            raise bad(f"{name} must be a non-negative integer; got {v!r:.40}")
    if not 1 <= data["difficulty"] <= MAX_DIFFICULTY:
        raise bad(f"difficulty must be 1 to {MAX_DIFFICULTY}; got {data['difficulty']}")
    if data["nonce"] >= MAX_NONCE:
        raise bad(f"nonce must be below 2^53; got {data['nonce']}")
    if data["timestamp_ms"] >= MAX_NONCE:
        raise bad(f"timestamp_ms must be below 2^53; got {data['timestamp_ms']}")
    for name in ("previous_hash", "merkle_root", "hash"):
        if not is_hex(data[name], 64):
            raise bad(f"{name} must be 64 lowercase hex characters; got {data[name]!r:.80}")


@dataclass(frozen=True)
class Block:
    index: int
    timestamp_ms: int
    previous_hash: str
    difficulty: int
    merkle_root: str
    nonce: int
    transactions: tuple[Transaction, ...]
    hash: str

    @classmethod
    def assemble(cls, index: int, timestamp_ms: int, previous_hash: str, difficulty: int,
                 transactions: Sequence[Transaction], nonce: int) -> "Block":
        root = merkle_root([tx.id for tx in transactions])
        prefix = header_prefix(index, timestamp_ms, previous_hash, difficulty, root)
        return cls(index, timestamp_ms, previous_hash, difficulty, root, nonce, tuple(transactions),
                   block_hash(prefix, nonce))

    @cached_property
    def _prefix(self) -> bytes:
        return header_prefix(self.index, self.timestamp_ms, self.previous_hash, self.difficulty, self.merkle_root)

    def prefix(self) -> bytes:
        return self._prefix

    def computed_hash(self) -> str:
        return block_hash(self.prefix(), self.nonce)

    def computed_merkle_root(self) -> str:
        return merkle_root([tx.id for tx in self.transactions])

    def tx_ids(self) -> list[str]:
        return [tx.id for tx in self.transactions]

    def header(self) -> dict[str, Any]:
        return {"index": self.index, "timestamp_ms": self.timestamp_ms, "previous_hash": self.previous_hash,
                "difficulty": self.difficulty, "merkle_root": self.merkle_root, "nonce": self.nonce,
                "hash": self.hash}

    def to_dict(self) -> dict[str, Any]:
        out = self.header()
        out["transactions"] = [tx.to_dict() for tx in self.transactions]
        return out

    @classmethod
    def trusted(cls, data: dict[str, Any]) -> "Block":
        """A block this node stored after validating it, rebuilt without re-checking it.

        Only for bytes whose digest a verified snapshot commits to (``blockchain.snapshots``).
        """
        txs = tuple(Transaction({k: v for k, v in t.items() if k != "id" and k != "signature"}, t["id"],
                                t.get("signature")) for t in data["transactions"])
        return cls(data["index"], data["timestamp_ms"], data["previous_hash"], data["difficulty"], data["merkle_root"],
                   data["nonce"], txs, data["hash"])

    @classmethod
    def from_dict(cls, data: Any, *, lenient: bool = False) -> "Block":
        """Parse a block from outside: the value rules, field types, the size limit and every
        transaction on its own.

        Links, proof of work, Merkle root, order, balances, claims and the model are checked by
        the ledger. ``lenient`` (audits only) lets wrong transaction ids and signatures through,
        marked unverified, so that an audit can name every one of them.
        """
        if type(data) is not dict:
            raise InvalidBlock(f"a block must be an object; got {type(data).__name__}")
        index = data.get("index")
        where = index if is_int(index) and -MAX_SAFE < index < MAX_SAFE else None  # else: its position
        if "timestamp" in data and "timestamp_ms" not in data:
            raise InvalidBlock("this is a protocol version 1 block (it has a float timestamp); this node speaks "
                               "protocol version 2 (PROTOCOL.md), whose blocks carry timestamp_ms", block_index=where)
        if set(data) != BLOCK_KEYS:
            raise InvalidBlock(f"a block must have exactly the fields {sorted(BLOCK_KEYS)}; "
                               f"got {sorted(map(str, data))}",
                               block_index=where)
        try:
            check_value({k: v for k, v in data.items() if k != "transactions"}, "block")
        except ValueRuleError as exc:
            raise InvalidBlock(str(exc), block_index=where) from None
        check_header_fields(data, where)
        txs = data["transactions"]
        if type(txs) is not list:
            raise InvalidBlock(f"transactions must be a list; got {type(txs).__name__}", block_index=where)
        if len(txs) > MAX_BLOCK_TRANSACTIONS:
            raise InvalidBlock(f"a block must hold at most {MAX_BLOCK_TRANSACTIONS} transactions; got {len(txs)}",
                               block_index=where)
        parsed = []
        for tx in txs:
            try:
                parsed.append(Transaction.from_dict(tx, lenient=lenient))
            except InvalidTransaction as exc:
                raise InvalidBlock(exc.message, block_index=where, tx_id=exc.tx_id) from exc
        block = cls(data["index"], data["timestamp_ms"], data["previous_hash"], data["difficulty"], data["merkle_root"],
                    data["nonce"], tuple(parsed), data["hash"])
        size = block.canon_size()
        if size > MAX_BLOCK_BYTES:
            raise InvalidBlock(f"canon(block) must be at most {MAX_BLOCK_BYTES} bytes; got {size}", block_index=where)
        return block

    def canon_size(self) -> int:
        """len(canon(self.to_dict())), from the header's and each transaction's encoded length."""
        header = len(self._prefix) - 1 + len(',"hash":""') + len(self.hash) + len(',"nonce":') + len(str(self.nonce))
        txs = sum(tx.canon_size() for tx in self.transactions) + max(0, len(self.transactions) - 1)
        return header + len(',"transactions":[]') + txs

"""Block headers on their own, as a headers-first sync receives them (PROTOCOL.md "Peer endpoints").

A header is a block without its transactions. Its links, difficulty, time and proof of work can
be checked before any body is asked for (``transition.check_headers``), which is what makes a
peer's claim of a longer chain cheap to test: a peer cannot show headers of work it has not done.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .block import HEADER_KEYS, block_hash, check_header_fields, header_prefix
from .encoding import ValueRuleError, check_value
from .errors import InvalidBlock


@dataclass(frozen=True)
class Header:
    index: int
    timestamp_ms: int
    previous_hash: str
    difficulty: int
    merkle_root: str
    nonce: int
    hash: str

    @classmethod
    def from_dict(cls, data: Any) -> "Header":
        """A header from outside: exactly the header fields, each of the right type and range."""
        if type(data) is not dict:
            raise InvalidBlock(f"a header must be an object; got {type(data).__name__}")
        where = data.get("index") if type(data.get("index")) is int else None
        if set(data) != HEADER_KEYS:
            raise InvalidBlock(f"a header must have exactly the fields {sorted(HEADER_KEYS)}; got "
                               f"{sorted(map(str, data))[:10]}", block_index=where)
        try:
            check_value(data, "header")
        except ValueRuleError as exc:
            raise InvalidBlock(str(exc), block_index=where) from None
        check_header_fields(data, where)
        return cls(data["index"], data["timestamp_ms"], data["previous_hash"], data["difficulty"],
                   data["merkle_root"], data["nonce"], data["hash"])

    def computed_hash(self) -> str:
        prefix = header_prefix(self.index, self.timestamp_ms, self.previous_hash, self.difficulty, self.merkle_root)
        return block_hash(prefix, self.nonce)


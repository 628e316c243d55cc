"""Block headers on their own, as a headers-first sync receives them (PROTOCOL.md "Peer endpoints").

A header is a block without its transactions. Its links, difficulty, time and proof of work can
be checked before any body is asked for, which is what makes a peer's claim of a longer chain
cheap to test: a peer cannot show headers of work it has not done.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence

from .block import HEADER_KEYS, block_hash, check_header_fields, header_prefix
from .encoding import ValueRuleError, check_value
from .errors import InvalidBlock
from .forkchoice import Ancestry
from .transition import Issue, check_header


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


def check_header_chain(headers: Sequence[Header], parent, difficulty: int, now_ms: Optional[int],
                       chain: Optional[Ancestry] = None) -> Optional[Issue]:
    """The first problem of ``headers`` as a run of blocks on top of ``parent`` (a Header or a
    Block), or None when each links to the one before, has the network's difficulty, the proof of
    work its hash claims and a time that does not go back or run ahead of ours.

    Under protocol 3 ``chain`` is the chain ``parent`` ends (``Blockchain.ancestry``): each
    header must carry the difficulty the blocks before it require, and a time after their median
    time past; the headers are appended to it as they pass, so its ``work`` is then the branch's."""
    for header in headers:
        issues = check_header(header, parent, difficulty, now_ms, chain)
        if issues:
            return issues[0]
        if chain is not None:
            chain.append(header.timestamp_ms, header.difficulty)
        parent = header
    return None

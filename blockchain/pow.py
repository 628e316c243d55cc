"""Proof of work with the nonce-last preimage of PROTOCOL.md.

``hash = H(canon(header) + b":" + str(nonce))``. The header prefix is hashed once; each try
copies that state and feeds only the nonce digits, so the hash rate does not depend on how many
transactions the block carries.

Protocol 2 counts a block's ``difficulty`` in leading zero hex digits, protocol 3 in leading
zero bits (PROTOCOL.md "Version 3: difficulty"); the search itself is in bits
(``search_bits``), and a v2 difficulty of d is 4d bits.
"""
from __future__ import annotations

import hashlib
import threading
from typing import Optional

CHECK_EVERY = 1 << 15
MAX_NONCE = 2**53  # PROTOCOL.md: 0 <= nonce < 2^53
MAX_SEARCH_BITS = 128  # the search compares the digest's first 16 bytes


def meets_difficulty(block_hash: str, difficulty: int) -> bool:
    """Protocol 2: the hash starts with ``difficulty`` hex zeros."""
    return block_hash.startswith("0" * difficulty)


def search_nonce(prefix: bytes, difficulty: int, start: int = 0, step: int = 1,
                 stop: Optional[threading.Event] = None, limit: Optional[int] = None,
                 check_every: int = CHECK_EVERY) -> Optional[int]:
    """Smallest nonce ``start + k*step`` (k >= 0) whose hash starts with ``difficulty`` hex zeros
    (protocol 2); ``search_bits`` with 4 * difficulty bits."""
    if not 0 <= difficulty <= 32:
        raise ValueError(f"difficulty must be 0 to 32; got {difficulty}")
    return search_bits(prefix, 4 * difficulty, start, step, stop, limit, check_every)


def search_bits(prefix: bytes, bits: int, start: int = 0, step: int = 1,
                stop: Optional[threading.Event] = None, limit: Optional[int] = None,
                check_every: int = CHECK_EVERY) -> Optional[int]:
    """Smallest nonce ``start + k*step`` (k >= 0) whose hash starts with ``bits`` zero bits.

    Returns None when ``stop`` is set, ``limit`` tries are spent, or the nonces run past 2^53
    first (a new template, with a new timestamp, then gives a fresh search space).
    """
    if not 0 <= bits <= MAX_SEARCH_BITS:
        raise ValueError(f"bits must be 0 to {MAX_SEARCH_BITS}; got {bits}")
    base = hashlib.sha256(prefix)
    if bits == 0:
        return start
    target = 1 << (128 - bits)  # digests whose first 16 bytes, big-endian, are below this
    nonce = start
    tries = 0
    from_bytes = int.from_bytes
    while True:
        for _ in range(check_every):
            h = base.copy()
            h.update(str(nonce).encode("ascii"))
            if from_bytes(h.digest()[:16], "big") < target:
                return nonce if nonce < MAX_NONCE else None
            nonce += step
        tries += check_every
        if stop is not None and stop.is_set():
            return None
        if nonce >= MAX_NONCE:
            return None
        if limit is not None and tries >= limit:
            return None

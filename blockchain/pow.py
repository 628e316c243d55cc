"""Proof of work with the nonce-last preimage of PROTOCOL.md.

``hash = H(canon(header) + b":" + str(nonce))``. The header prefix is hashed once; each try
copies that state and feeds only the nonce digits, so the hash rate does not depend on how many
transactions the block carries.

Protocol 2 counts a block's ``difficulty`` in leading zero hex digits (a hash below 2^(256 - 4d));
protocol 3's difficulty W asks a hash of at most (2^256 - 1) // W (PROTOCOL.md "Version 3:
difficulty"). The search itself takes the bound: ``search_below(prefix, limit)`` finds a hash
below ``limit``; ``search_bits`` is the special case limit = 2^(256 - bits).
"""
from __future__ import annotations

import hashlib
import threading
from typing import Optional

CHECK_EVERY = 1 << 15
MAX_NONCE = 2**53  # PROTOCOL.md: 0 <= nonce < 2^53
HASH_SPACE = 1 << 256


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
    """Smallest nonce ``start + k*step`` (k >= 0) whose hash starts with ``bits`` zero bits
    (``search_below`` with the bound 2^(256 - bits))."""
    if not 0 <= bits <= 256:
        raise ValueError(f"bits must be 0 to 256; got {bits}")
    return search_below(prefix, HASH_SPACE >> bits, start, step, stop, limit, check_every)


def search_below(prefix: bytes, bound: int, start: int = 0, step: int = 1,
                 stop: Optional[threading.Event] = None, limit: Optional[int] = None,
                 check_every: int = CHECK_EVERY) -> Optional[int]:
    """Smallest nonce ``start + k*step`` (k >= 0) whose hash, as a 256-bit big-endian integer, is
    below ``bound`` (1 to 2^256).

    Returns None when ``stop`` is set, ``limit`` tries are spent, or the nonces run past 2^53
    first (a new template, with a new timestamp, then gives a fresh search space).
    """
    if not 1 <= bound <= HASH_SPACE:
        raise ValueError("bound must be 1 to 2^256")
    base = hashlib.sha256(prefix)
    if bound == HASH_SPACE:
        return start
    nonce = start
    tries = 0
    from_bytes = int.from_bytes
    while True:
        for _ in range(check_every):
            h = base.copy()
            h.update(str(nonce).encode("ascii"))
            if from_bytes(h.digest(), "big") < bound:
                return nonce if nonce < MAX_NONCE else None
            nonce += step
        tries += check_every
        if stop is not None and stop.is_set():
            return None
        if nonce >= MAX_NONCE:
            return None
        if limit is not None and tries >= limit:
            return None

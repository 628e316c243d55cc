"""Fork choice: the one rule by which a node decides whether another chain is better than its own.

A chain is better when it has strictly more cumulative work (``difficulty.better_chain``); a tie
keeps our own chain. Under protocol 2 every block carries the network's fixed difficulty (hex
digits, so ``2^(4 * difficulty)`` work a block), which makes "more work" the same as "longer":
the comparison is still made on work, so that issue 23's retargeting changes only
``chain_work``. The ledger (``reorg.py``), headers-first sync and the peer rounds ask
``Blockchain.prefers``, which asks this module; none of them compares chains itself.
"""
from __future__ import annotations

from .difficulty import better_chain, block_work

BITS_PER_HEX_DIGIT = 4


def chain_work(height: int, difficulty: int) -> int:
    """The work of a chain of blocks 0 to ``height`` at the fixed (protocol 2) ``difficulty``."""
    if height < 0:
        raise ValueError(f"height must be at least 0; got {height}")
    return (height + 1) * block_work(BITS_PER_HEX_DIGIT * difficulty)


def is_better(ours_height: int, theirs_height: int, difficulty: int) -> bool:
    """True when a chain ending at ``theirs_height`` has strictly more work than ours, which ends
    at ``ours_height``; a tie or less keeps ours."""
    return better_chain(chain_work(ours_height, difficulty), chain_work(theirs_height, difficulty))

"""Moved to testkit/v3chains.py (shared with scripts/build_v3_vectors.py); the tests' short names."""
from testkit.v3chains import SMALL, Builder, forge, next_difficulty, node_args, v3_chain, work_of

D, MIN_D, EVERY, TARGET_MS = SMALL.difficulty, SMALL.min_difficulty, SMALL.retarget_every, SMALL.target_block_ms
NODE_ARGS = node_args(SMALL)


def v3_ledger(clock, **kwargs):
    return v3_chain(clock, SMALL, **kwargs)


__all__ = ["D", "EVERY", "MIN_D", "NODE_ARGS", "TARGET_MS", "Builder", "forge", "next_difficulty", "v3_ledger",
           "work_of"]

"""Hash rate: one core, with 0 and 1000 pending transactions, and all cores in worker processes."""
from __future__ import annotations

import threading
import time

from blockchain import Block
from blockchain.miner import ProcessMiner
from blockchain.pow import search_nonce
from blockchain.transactions import reward
from testkit.factories import flower

from .util import Progress


def _prefix(pending: int) -> bytes:
    txs = [reward("miner", 1)] + [flower(sender=f"p{i}") for i in range(pending)]
    return Block.assemble(1, int(time.time() * 1000), "0" * 64, 4, txs, 0).prefix()


def single_core_rate(pending: int, hashes: int) -> float:
    prefix = _prefix(pending)
    t = time.perf_counter()
    search_nonce(prefix, 32, limit=hashes)  # difficulty 32: nothing is found, exactly ``hashes`` tries
    return hashes / (time.perf_counter() - t)


def run(hashes: int, blocks: int, difficulty: int = 5) -> dict:
    rates = {}
    bar = Progress("hash rate, one core", 2)
    for pending in (0, 1000):
        rates[pending] = single_core_rate(pending, hashes)
        bar.step()
    prefixes = [f"bench-block-{i}:".encode() for i in range(blocks)]
    never = threading.Event()
    bar = Progress(f"{blocks} blocks at difficulty {difficulty}, one core", blocks)
    one_t, one_n = 0.0, 0
    for p in prefixes:
        t = time.perf_counter()
        nonce = search_nonce(p, difficulty)
        assert nonce is not None  # no stop event and no limit: a search always ends with a nonce
        one_n += nonce
        one_t += time.perf_counter() - t
        bar.step()
    miner = ProcessMiner()
    bar = Progress(f"same blocks, {miner.workers} worker processes", blocks)
    all_t, all_n = 0.0, 0
    try:
        for p in prefixes:
            t = time.perf_counter()
            found = miner(p, 1 << (256 - 4 * difficulty), never)  # the bound of `difficulty` hex zeros
            assert found is not None  # None only once the miner is closed or aborted
            all_n += found
            all_t += time.perf_counter() - t
            bar.step()
    finally:
        miner.close()
    return {
        "one_core_hashes_per_s_0_pending": round(rates[0]),
        "one_core_hashes_per_s_1000_pending": round(rates[1000]),
        "ratio_1000_vs_0": round(rates[1000] / rates[0], 3),
        "blocks": blocks,
        "difficulty": difficulty,
        "workers": miner.workers,
        "one_core_seconds": round(one_t, 3),
        "workers_seconds": round(all_t, 3),
        "one_core_rate_on_blocks": round(one_n / one_t),
        "workers_rate_on_blocks": round(all_n / all_t),
        "speedup": round((all_n / all_t) / (one_n / one_t), 2),
    }

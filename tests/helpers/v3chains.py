"""Protocol 3 chains built in-process at chosen times, for the difficulty tests (PROTOCOL.md
"Version 3: difficulty"): a real ``Blockchain`` whose clock the builder sets, so that a chain's
block times, and with them its retargets and its work, are what the test asks for."""
from __future__ import annotations

from blockchain import Transaction
from blockchain.block import Block
from blockchain.difficulty import DifficultyParams, chain_work, hash_limit, required_difficulty
from blockchain.pow import search_below
from blockchain.transactions import reward
from tests.helpers.factories import ledger

# A small network: difficulty 64 (6 zero bits) at genesis, a retarget every 4 blocks toward a
# median block time of 1 s, never below 4.
D, MIN_D, EVERY, TARGET_MS = 64, 4, 4, 1000
NODE_ARGS = ("--protocol", "3", "--min-difficulty", str(MIN_D), "--retarget-every", str(EVERY),
             "--target-block-ms", str(TARGET_MS))


def v3_ledger(clock, **kwargs):
    return ledger(D, protocol=3, min_difficulty=MIN_D, retarget_every=EVERY, target_block_ms=TARGET_MS,
                  clock=clock, **kwargs)


class Builder:
    """Mines a v3 chain block by block at the times it is told."""

    def __init__(self, start_ms: int, miner: str = "builder") -> None:
        self.t = start_ms
        self.miner = miner
        self.chain = v3_ledger(lambda: self.t / 1000)

    def mine(self, blocks: int, gap_ms: int) -> "Builder":
        for _ in range(blocks):
            self.t += gap_ms
            self.chain.mine(self.miner)
        return self

    def blocks(self) -> list[dict]:
        return [b.to_dict() for b in self.chain.blocks()]


def work_of(blocks: list[dict]) -> int:
    """A v3 chain's work: the sum of its blocks' difficulties, genesis included."""
    return chain_work(b["difficulty"] for b in blocks)


def next_difficulty(blocks: list[dict]) -> int:
    """The difficulty the block after ``blocks`` must carry (``difficulty.required_difficulty``)."""
    params = DifficultyParams(D, TARGET_MS, EVERY, MIN_D)
    return required_difficulty(len(blocks), [(b["timestamp_ms"], b["difficulty"]) for b in blocks], params)


def forge(parent: dict, timestamp_ms: int, difficulty: int, miner: str = "forger") -> dict:
    """A block on ``parent`` with only its REWARD, stamped ``timestamp_ms``, carrying ``difficulty``
    and a hash that meets it: valid in every way the forger controls, except what the test breaks."""
    index = parent["index"] + 1
    txs: list[Transaction] = [reward(miner, index)]
    draft = Block.assemble(index, timestamp_ms, parent["hash"], difficulty, txs, 0)
    nonce = search_below(draft.prefix(), hash_limit(difficulty))
    return Block.assemble(index, timestamp_ms, parent["hash"], difficulty, txs, nonce).to_dict()

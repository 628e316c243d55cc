"""Protocol 3 chains built in-process at chosen times (PROTOCOL.md "Version 3: difficulty"): a real
``Blockchain`` whose clock the builder sets, so that a chain's block times, and with them its
retargets and its work, are what the caller asks for. The difficulty tests and
``scripts/build_v3_vectors.py`` both build their chains here."""
from __future__ import annotations

from typing import Any, Optional

from blockchain import Blockchain, MemoryStore
from blockchain.block import Block
from blockchain.difficulty import DifficultyParams, chain_work, hash_limit, required_difficulty
from blockchain.pow import search_below
from blockchain.transactions import Transaction, reward
from ml import IrisModel

#: A small network: difficulty 64 (6 zero bits) at genesis, a retarget every 4 blocks toward a
#: median block time of 1 s, never below 4.
SMALL = DifficultyParams(64, 1000, 4, 4)


def node_args(params: DifficultyParams = SMALL) -> tuple[str, ...]:
    """The command line that starts a node on ``params``'s network (its genesis difficulty aside)."""
    return ("--protocol", "3", "--min-difficulty", str(params.min_difficulty), "--retarget-every",
            str(params.retarget_every), "--target-block-ms", str(params.target_block_ms))


def v3_chain(clock: Any, params: DifficultyParams = SMALL, **kwargs: Any) -> Blockchain:
    """An in-memory protocol 3 chain on ``params``, at the time ``clock()`` (seconds) says."""
    store = kwargs.pop("store", None) or MemoryStore()
    return Blockchain(IrisModel(), params.difficulty, store, protocol=3, clock=clock,
                      target_block_ms=params.target_block_ms, retarget_every=params.retarget_every,
                      min_difficulty=params.min_difficulty, **kwargs)


class Builder:
    """Mines a v3 chain block by block at the times it is told."""

    def __init__(self, start_ms: int, miner: str = "builder", params: DifficultyParams = SMALL) -> None:
        self.t = start_ms
        self.miner = miner
        self.chain = v3_chain(lambda: self.t / 1000, params)

    def mine(self, blocks: int, gap_ms: int) -> "Builder":
        for _ in range(blocks):
            self.t += gap_ms
            self.chain.mine(self.miner)
        return self

    def blocks(self) -> list[dict[str, Any]]:
        return [b.to_dict() for b in self.chain.blocks()]


def work_of(blocks: list[dict[str, Any]]) -> int:
    """A v3 chain's work: the sum of its blocks' difficulties, genesis included."""
    return chain_work(b["difficulty"] for b in blocks)


def next_difficulty(blocks: list[dict[str, Any]], params: DifficultyParams = SMALL) -> int:
    """The difficulty the block after ``blocks`` must carry (``difficulty.required_difficulty``)."""
    return required_difficulty(len(blocks), [(b["timestamp_ms"], b["difficulty"]) for b in blocks], params)


def forge(parent: dict[str, Any], timestamp_ms: int, difficulty: int, miner: str = "forger",
          txs: Optional[list[Transaction]] = None) -> dict[str, Any]:
    """A block on ``parent`` with its REWARD (and ``txs``), stamped ``timestamp_ms``, carrying
    ``difficulty`` and a hash that meets it: valid in every way the forger controls, except what
    the caller breaks."""
    index = parent["index"] + 1
    body: list[Transaction] = [reward(miner, index), *(txs or [])]
    draft = Block.assemble(index, timestamp_ms, parent["hash"], difficulty, body, 0)
    nonce = search_below(draft.prefix(), hash_limit(difficulty))
    if nonce is None:  # without a stop or a limit the search always ends with a nonce
        raise RuntimeError(f"no nonce meets difficulty {difficulty}")
    return Block.assemble(index, timestamp_ms, parent["hash"], difficulty, body, nonce).to_dict()

"""Build real chains in-process, and forge variants of them, for hostile-peer tests."""
from __future__ import annotations

import copy

from blockchain import Transaction
from blockchain.block import Block
from blockchain.pow import search_nonce
from tests.helpers.factories import flower, ledger


def build_chain(blocks: int, difficulty: int, miner: str = "fake-miner", flowers: int = 1) -> list[dict]:
    chain = ledger(difficulty=difficulty)
    for i in range(blocks):
        for j in range(flowers):
            chain.add_transaction(flower(sender=f"{miner}-{i}-{j}", label="versicolor", features=(6.0, 2.9, 4.5, 1.5)))
        chain.mine(miner)
    return [b.to_dict() for b in chain.blocks()]


def remine(chain: list[dict], start: int, difficulty: int) -> list[dict]:
    """Recompute ids, Merkle roots, links and proof of work from block ``start`` on, keeping
    every transaction body as it is (a forger's chain: well formed, but its content is a lie)."""
    out = copy.deepcopy(chain)
    for i in range(start, len(out)):
        data = out[i]
        txs = [Transaction.create({k: v for k, v in t.items() if k not in ("id", "signature")}, t.get("signature"))
               for t in data["transactions"]]
        prev = out[i - 1]["hash"]
        draft = Block.assemble(data["index"], data["timestamp"], prev, difficulty, txs, 0)
        nonce = search_nonce(draft.prefix(), difficulty)
        out[i] = Block.assemble(data["index"], data["timestamp"], prev, difficulty, txs, nonce).to_dict()
    return out

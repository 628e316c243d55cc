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
        draft = Block.assemble(data["index"], data["timestamp_ms"], prev, difficulty, txs, 0)
        nonce = search_nonce(draft.prefix(), difficulty)
        out[i] = Block.assemble(data["index"], data["timestamp_ms"], prev, difficulty, txs, nonce).to_dict()
    return out


def rich_chain(difficulty: int = 1):
    """A chain with transfers, a signed transfer, flowers, and blocks of 1 to 8 transactions.

    Returns (blocks as dicts, the miner's signing key).
    """
    from blockchain import crypto, transfer_body
    from blockchain.transactions import signed
    from tests.helpers.factories import transfer

    key = crypto.private_key_from_seed("11" * 32)
    miner = crypto.address_of(crypto.public_key_hex(key))
    chain = ledger(difficulty=difficulty)
    chain.add_transaction(flower(sender="ann", label="virginica", features=(6.3, 2.9, 5.6, 1.8)))
    chain.mine(miner)                                                     # 3 txs
    chain.mine(miner)                                                     # 1 tx
    chain.add_transaction(transfer(miner, "bob", 1))
    for i in range(3):
        chain.add_transaction(
            flower(sender="ann", label="versicolor", features=(round(5.9 + i / 10, 2), 3.0, 4.2, 1.5))
        )
    chain.mine(miner)                                                     # 6 txs
    pub = crypto.public_key_hex(key)
    chain.add_transaction(signed(transfer_body(miner, "carol", 1, 1_700_000_100_000, pub), key))
    chain.add_transaction(flower(sender="dan", label="setosa", features=(5.0, 3.5, 1.3, 0.3)))
    chain.add_transaction(flower(sender="ann", label="setosa", features=(4.8, 3.1, 1.6, 0.2)))
    chain.mine(miner)                                                     # 5 txs
    for i in range(6):
        chain.add_transaction(
            flower(sender=f"s{i}", label="virginica", features=(6.5, 3.0, round(5.5 + i / 10, 2), 2.0))
        )
    chain.mine(miner)                                                     # 8 txs
    chain.add_transaction(transfer("bob", "erin", 1))
    chain.mine(miner)                                                     # 2 txs
    return [b.to_dict() for b in chain.blocks()], key


def branch(base: list[dict], keep: int, blocks: int, difficulty: int, miner: str) -> list[dict]:
    """``base`` up to height ``keep``, then ``blocks`` more mined by ``miner``: a branch of ``base``."""
    chain = ledger(difficulty=difficulty)
    if keep > 0:
        chain.replace_chain(base[:keep + 1])
    for i in range(blocks):
        chain.add_transaction(flower(sender=f"{miner}-{keep + i}", label="versicolor", features=(6.0, 2.9, 4.5, 1.5)))
        chain.mine(miner)
    return [b.to_dict() for b in chain.blocks()]


def seed_data_dir(data_dir, blocks: list[dict]) -> None:
    """Write ``blocks`` (from genesis) into a node's data directory, as if it had mined them."""
    from pathlib import Path

    from blockchain import SQLiteStore

    store = SQLiteStore(Path(data_dir) / "chain.sqlite3", durability="os")
    try:
        store.append_blocks(blocks)
    finally:
        store.close()

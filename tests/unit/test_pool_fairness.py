"""The pending pool's fair shares (docs/network.md "Pending pool"): a flooding source cannot keep an honest
transaction out of the pool, nor behind its flood in the blocks; one claim per (sender, flower)."""
import pytest

from blockchain import DuplicateTransaction, PoolFull, SQLiteStore
from tests.helpers.factories import claim, flower, ledger, transfer

FLOOD = "peer:http://127.0.0.1:1"
SETOSA = (5.0, 3.4, 1.5, 0.2)


def flood(chain, count, source=FLOOD):
    for i in range(count):
        chain.add_transaction(flower(sender=f"flood-{i}"), source=source)


def test_an_honest_flower_enters_a_pool_full_of_one_peers_flood_and_is_mined_first(tmp_path):
    store = SQLiteStore(tmp_path / "chain.sqlite3", durability="os")
    chain = ledger(store=store, max_pending=100, max_block_transactions=10)
    flood(chain, 100)
    assert len(chain.pool) == 100
    newest_of_flood = list(chain.pool)[-1]
    with pytest.raises(PoolFull, match="holds 100 of them"):
        chain.add_transaction(flower(sender="flood-more"), source=FLOOD)

    honest = flower(sender="alice")
    chain.add_transaction(honest)
    pending = {tx.id for tx in chain.pending()}
    assert len(pending) == 100 and honest.id in pending and newest_of_flood.id not in pending
    with pytest.raises(PoolFull):  # the peer, at 99, still holds the most
        chain.add_transaction(flower(sender="flood-again"), source=FLOOD)

    block = chain.mine("miner")
    user = [tx.id for tx in block.transactions if tx.type == "FLOWER_DATA"]
    assert len(user) == 10 and honest.id in user[:2]  # round-robin by source: alice's first round
    store.close()
    reopened = ledger(store=SQLiteStore(tmp_path / "chain.sqlite3", durability="os"), max_pending=100)
    assert {tx.id for tx in reopened.pending()} == {tx.id for tx in chain.pending()}  # the evicted one is gone on disk
    reopened.close()


def test_two_floods_share_the_pool_and_blocks_alternate_between_sources():
    chain = ledger(max_pending=60, max_block_transactions=6)
    flood(chain, 60, "peer:a")
    for i in range(30):  # each admission evicts the newest of the largest source
        chain.add_transaction(flower(sender=f"b-{i}"), source="peer:b")
    counts = {}
    for tx in chain.pending():
        side = "a" if tx.sender.startswith("flood-") else "b"
        counts[side] = counts.get(side, 0) + 1
    assert counts == {"a": 30, "b": 30}
    with pytest.raises(PoolFull):
        chain.add_transaction(flower(sender="b-more"), source="peer:b")  # b holds as many as anyone
    block = chain.mine("miner")
    senders = [tx.sender for tx in block.transactions if tx.type == "FLOWER_DATA"]
    assert senders == ["flood-0", "b-0", "flood-1", "b-1", "flood-2", "b-2"]


def _staked_chain(**kwargs):
    """alice and carol refunded (good 1 each), mallory's mislabelled flower on the chain."""
    chain = ledger(min_deposit=1, refund_wait=2, **kwargs)
    for _ in range(9):
        chain.mine("node")
    for who in ("alice", "carol", "mallory"):
        chain.add_transaction(transfer("node", who, 3))
    chain.mine("node")
    good = [flower(sender=who, features=SETOSA, deposit=2) for who in ("alice", "carol")]
    bad = flower(sender="mallory", features=SETOSA, label="virginica", deposit=2)
    for tx in [*good, bad]:
        chain.add_transaction(tx)
    chain.mine("node")
    chain.mine("node")
    for tx in good:
        chain.add_transaction(claim("REFUND", tx.sender, tx.id))
    chain.mine("node")
    assert chain.good("alice") == chain.good("carol") == 1
    return chain, bad.id


def test_50000_duplicate_reports_cannot_block_honest_transfers():
    chain, bad = _staked_chain()
    first = claim("REPORT", "alice", bad)
    chain.add_transaction(first)
    refused = 0
    for i in range(50_000):
        with pytest.raises(DuplicateTransaction, match="already has a REPORT of flower") as refusal:
            chain.add_transaction(claim("REPORT", "alice", bad, timestamp_ms=first.body["timestamp_ms"] + 1 + i))
        refused += refusal.value.code == "claim_pending"
    assert refused == 50_000 and len(chain.pool) == 1
    for _ in range(3):
        chain.add_transaction(transfer("node", "bob", 1))
    block = chain.mine("node")
    assert [tx.type for tx in block.transactions[1:]] == ["REPORT", "TRANSFER", "TRANSFER", "TRANSFER"]
    assert len(chain.pool) == 0


def test_a_claim_that_a_block_from_elsewhere_made_impossible_leaves_the_pool():
    ours, bad = _staked_chain()
    theirs = ledger(min_deposit=1, refund_wait=2)
    for block in ours.blocks()[1:]:
        assert theirs.add_block(block)
    mine = claim("REPORT", "alice", bad)
    ours.add_transaction(mine)
    theirs.add_transaction(claim("REPORT", "alice", bad, timestamp_ms=mine.body["timestamp_ms"] + 1))
    block = theirs.mine("peer")
    assert ours.flower(bad).left == 2  # not yet
    assert ours.add_block(block)
    assert ours.flower(bad).left == 1 and "alice" in ours.flower(bad).reporters
    assert len(ours.pool) == 0  # alice's own REPORT can never be mined now: it left the pool
    assert mine.id not in {tx.id for tx in ours.pending()}

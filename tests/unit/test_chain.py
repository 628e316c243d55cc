"""Blockchain with a real IrisModel: mining, the pool, blocks from elsewhere, storage."""
import json
import sqlite3
import threading

import pytest

from blockchain import (Block, BlockConflict, DuplicateTransaction, InsufficientFunds, InvalidBlock,
                        InvalidTransaction, SQLiteStore, StorageError, Transaction, audit_chain)
from blockchain.pow import search_nonce
from blockchain.transactions import reward
from ml import IrisModel
from tests.helpers.factories import flower, ledger, transfer


def test_new_chain_is_genesis_only():
    chain = ledger(difficulty=2)
    assert chain.height == 0 and chain.last_block.hash == chain.genesis.hash
    assert chain.validate_chain().valid


def test_empty_block_pays_the_miner():
    chain = ledger()
    block = chain.mine("miner")
    assert [tx.type for tx in block.transactions] == ["REWARD"]
    assert chain.balance("miner") == 1


def test_model_changes_only_when_a_block_is_accepted():
    chain = ledger()
    before = chain.model.summary()
    chain.add_transaction(flower(label="virginica", features=(6.0, 3.0, 5.0, 2.0)))
    assert chain.model.summary() == before
    block = chain.mine("miner")
    assert [tx.type for tx in block.transactions] == ["REWARD", "FLOWER_DATA", "MODEL_UPDATE"]
    assert chain.model.data_count == 121
    assert block.transactions[-1].body["data"] == chain.model.summary()
    assert len(chain.pool) == 0
    assert chain.validate_chain().valid


def test_transfers_need_funds_including_pending():
    chain = ledger()
    chain.mine("miner")
    chain.mine("miner")
    chain.add_transaction(transfer("miner", "bob", 2))
    with pytest.raises(InsufficientFunds):
        chain.add_transaction(transfer("miner", "bob", 1))
    with pytest.raises(InsufficientFunds):
        chain.add_transaction(transfer("nobody", "bob", 1))
    chain.mine("other")
    assert chain.balance("bob") == 2 and chain.balance("miner") == 0


def test_duplicates_are_refused():
    chain = ledger()
    tx = flower()
    chain.add_transaction(tx)
    with pytest.raises(DuplicateTransaction, match="pending"):
        chain.add_transaction(tx)
    chain.mine("m")
    with pytest.raises(DuplicateTransaction, match="already in block 1"):
        chain.add_transaction(tx)


def test_node_transactions_cannot_be_submitted():
    with pytest.raises(InvalidTransaction, match="only nodes"):
        ledger().add_transaction(reward("me", 1))


def test_future_timestamps_are_refused():
    with pytest.raises(InvalidTransaction, match="ahead"):
        ledger().add_transaction(flower(timestamp_ms=4_000_000_000_000))


def test_a_block_from_another_node_is_validated_and_appended():
    a, b = ledger(), ledger()
    a.add_transaction(flower())
    block = a.mine("a")
    assert b.add_block(Block.from_dict(block.to_dict())) is True
    assert b.add_block(block) is False  # already known
    assert b.last_block.hash == a.last_block.hash
    assert b.model.state_hash == a.model.state_hash


def test_tampered_block_is_refused_and_changes_nothing():
    a, b = ledger(), ledger()
    a.add_transaction(flower())
    data = a.mine("a").to_dict()
    data["transactions"][1]["data"]["flower_type"] = "virginica"
    before = (b.height, b.model.state_hash)
    with pytest.raises(InvalidBlock, match="id must be"):
        b.add_block(Block.from_dict(data))
    assert (b.height, b.model.state_hash) == before


def test_stale_model_update_is_refused():
    a, b = ledger(), ledger()
    a.add_transaction(flower())
    good = a.mine("a")
    txs = list(good.transactions)
    forged = {**txs[-1].to_dict()}
    forged["data"] = {**forged["data"], "test_correct": forged["data"]["test_correct"] - 1}
    forged_tx = Transaction.create({k: v for k, v in forged.items() if k != "id"})
    block = Block.assemble(1, good.timestamp_ms, good.previous_hash, 1, txs[:-1] + [forged_tx], 0)
    nonce = search_nonce(block.prefix(), 1)
    block = Block.assemble(1, good.timestamp_ms, good.previous_hash, 1, txs[:-1] + [forged_tx], nonce)
    with pytest.raises(InvalidBlock, match="MODEL_UPDATE must equal"):
        b.add_block(block)
    assert b.height == 0


def test_a_block_that_does_not_extend_the_tip_is_a_conflict():
    a, b = ledger(), ledger()
    a.mine("a")
    second = a.mine("a")
    with pytest.raises(BlockConflict):
        b.add_block(second)


def test_concurrent_mining_never_corrupts(tmp_path):
    chain = ledger(difficulty=2, store=SQLiteStore(tmp_path / "c.sqlite3"))
    txs = [flower(sender=f"s{i}") for i in range(40)]
    errors = []

    def submit(batch):
        for tx in batch:
            try:
                chain.add_transaction(tx)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

    def mine():
        for _ in range(3):
            chain.mine("m")

    threads = [threading.Thread(target=submit, args=(txs[i::4],)) for i in range(4)]
    threads += [threading.Thread(target=mine) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    chain.mine("m")
    assert chain.height == 10
    assert chain.validate_chain().valid
    on_chain = [tx.id for b in chain.blocks() for tx in b.transactions if tx.type == "FLOWER_DATA"]
    assert sorted(on_chain) == sorted(tx.id for tx in txs)  # every one exactly once


def test_restart_keeps_chain_pool_and_model(tmp_path):
    path = tmp_path / "c.sqlite3"
    chain = ledger(store=SQLiteStore(path))
    chain.add_transaction(flower())
    chain.mine("m")
    pending = flower(sender="later")
    chain.add_transaction(pending)
    state = (chain.last_block.hash, chain.model.state_hash)
    chain.close()
    again = ledger(store=SQLiteStore(path))
    assert (again.last_block.hash, again.model.state_hash) == state
    assert [tx.id for tx in again.pending()] == [pending.id]
    again.close()


def test_a_tampered_data_file_refuses_to_start(tmp_path):
    path = tmp_path / "c.sqlite3"
    chain = ledger(store=SQLiteStore(path))
    chain.add_transaction(flower())
    chain.mine("m")
    chain.close()
    db = sqlite3.connect(path)
    body = json.loads(db.execute("SELECT body FROM blocks WHERE idx = 1").fetchone()[0])
    body["transactions"][1]["data"]["flower_type"] = "virginica"
    db.execute("UPDATE blocks SET body = ? WHERE idx = 1", (json.dumps(body),))
    db.commit()
    db.close()
    with pytest.raises(StorageError, match="not valid"):
        ledger(store=SQLiteStore(path))


def test_another_network_data_dir_refuses_to_start(tmp_path):
    ledger(difficulty=1, store=SQLiteStore(tmp_path / "c.sqlite3")).close()
    with pytest.raises(StorageError, match="another network"):
        ledger(difficulty=2, store=SQLiteStore(tmp_path / "c.sqlite3"))


def test_one_node_per_data_dir(tmp_path):
    first = SQLiteStore(tmp_path / "c.sqlite3")
    with pytest.raises(StorageError, match="in use"):
        SQLiteStore(tmp_path / "c.sqlite3")
    first.close()
    SQLiteStore(tmp_path / "c.sqlite3").close()


def test_audit_replays_any_chain_to_the_live_model():
    chain = ledger()
    for i in range(3):
        chain.add_transaction(flower(sender=f"s{i}", features=(6.0 + i, 3.0, 5.0, 2.0), label="virginica"))
        chain.mine("m")
    result = audit_chain([b.to_dict() for b in chain.blocks()], IrisModel())
    assert result.valid and result.model.state_hash == chain.model.state_hash


# -- fork choice and reorgs (PROTOCOL.md, "Which chain wins") --------------------------
def test_more_work_wins_and_the_model_follows_the_adopted_chain():
    a, b = ledger(), ledger()
    a.mine("a")
    a.mine("a")
    mine_flower = flower(sender="only-on-a", label="virginica", features=(6.0, 3.0, 5.0, 2.0))
    a.add_transaction(mine_flower)
    spend = transfer("a", "bob", 1)
    a.add_transaction(spend)
    a.mine("a")
    shared = flower(sender="on-both")
    b.add_transaction(shared)
    for _ in range(4):
        b.mine("b")
    a.add_transaction(shared)  # gossip brought it to a too, where it is pending
    replaced, restored = a.replace_chain([blk.to_dict() for blk in b.blocks()])
    assert replaced
    assert a.last_block.hash == b.last_block.hash
    assert a.model.state_hash == b.model.state_hash
    pending = {tx.id for tx in a.pending()}
    assert mine_flower.id in pending            # dropped, still valid: back in the pool
    assert spend.id not in pending              # "a" has no coins on b's chain
    assert shared.id not in pending             # already in b's chain
    assert [tx.id for tx in restored] == [mine_flower.id]
    assert a.validate_chain().valid


def test_a_tie_keeps_the_current_chain():
    a, b = ledger(), ledger()
    a.mine("a")
    b.mine("b")
    assert a.replace_chain([blk.to_dict() for blk in b.blocks()]) == (False, [])
    assert a.last_block.transactions[0].recipient == "a"


def test_an_invalid_longer_chain_changes_nothing():
    from blockchain import InvalidChain

    a, b = ledger(), ledger()
    b.add_transaction(flower())
    for _ in range(3):
        b.mine("b")
    chain = [blk.to_dict() for blk in b.blocks()]
    chain[1]["transactions"][1]["data"]["flower_type"] = "virginica"
    before = (a.last_block.hash, a.model.state_hash)
    with pytest.raises(InvalidChain, match="block 1"):
        a.replace_chain(chain)
    assert (a.last_block.hash, a.model.state_hash) == before


def test_reorg_is_persisted(tmp_path):
    path = tmp_path / "c.sqlite3"
    a, b = ledger(store=SQLiteStore(path)), ledger()
    a.add_transaction(flower(sender="dropped"))
    a.mine("a")
    for _ in range(2):
        b.mine("b")
    assert a.replace_chain(b.blocks())[0]
    state = (a.last_block.hash, [tx.id for tx in a.pending()], a.model.state_hash)
    a.close()
    again = ledger(store=SQLiteStore(path))
    assert (again.last_block.hash, [tx.id for tx in again.pending()], again.model.state_hash) == state
    again.close()


# -- restart from a verified model snapshot -------------------------------------------
def _chain_on_disk(path, blocks=6):
    chain = ledger(store=SQLiteStore(path))
    for i in range(blocks):
        chain.add_transaction(flower(sender=f"s{i}", features=(round(5.0 + i / 10, 2), 3.0, round(1.5 + i / 5, 2), 0.3),
                                     label=["setosa", "versicolor", "virginica"][i % 3]))
        if i % 2:
            chain.add_transaction(flower(sender=f"t{i}", features=(6.0, 2.9, 4.5, 1.5), label="versicolor"))
        chain.mine("m")
    chain.mine("m")  # a block without FLOWER_DATA too
    return chain


def test_restart_uses_the_snapshot_and_gets_the_same_model(tmp_path, caplog):
    import logging

    path = tmp_path / "c.sqlite3"
    chain = _chain_on_disk(path)
    expected = (chain.last_block.hash, chain.model.summary())
    chain.close()  # writes the snapshot
    with caplog.at_level(logging.INFO, logger="blockchain"):
        again = ledger(store=SQLiteStore(path))
    assert "verified snapshot at block 7" in caplog.text
    assert (again.last_block.hash, again.model.summary()) == expected
    assert again.validate_chain().valid
    again.add_transaction(flower(sender="after"))
    again.mine("m")
    assert again.validate_chain().valid
    again.close()


def _restart_with_edited_snapshot(tmp_path, caplog, edit):
    """Write a chain and its snapshot, edit the snapshot on disk, restart: (expected, restarted, log)."""
    import logging

    path = tmp_path / "c.sqlite3"
    chain = _chain_on_disk(path)
    expected = chain.model.summary()
    chain.close()
    store = SQLiteStore(path)
    saved = json.loads(store.get_meta("snapshot_v2"))
    edit(saved)
    store.set_meta("snapshot_v2", json.dumps(saved))
    store.close()
    with caplog.at_level(logging.INFO, logger="blockchain"):
        again = ledger(store=SQLiteStore(path))
    return expected, again, caplog.text


def test_a_tampered_snapshot_means_a_full_replay_not_a_wrong_model(tmp_path, caplog):
    def forge(saved):
        saved["model"]["labels"][0] = (saved["model"]["labels"][0] + 1) % 3
    expected, again, text = _restart_with_edited_snapshot(tmp_path, caplog, forge)
    assert "ignoring the snapshot" in text and "replayed the model" in text
    assert again.model.summary() == expected
    again.close()


def test_a_snapshot_that_disagrees_with_the_chain_is_not_used(tmp_path, caplog):
    """A consistent snapshot of other data (its own hash chain verifies) must still be refused."""
    def replace(saved):
        other = IrisModel()
        other.add_data_point([7.0, 3.0, 6.0, 2.0], "virginica")
        other.commit_data_points()
        saved["model"] = other.snapshot()
    expected, again, text = _restart_with_edited_snapshot(tmp_path, caplog, replace)
    assert "disagrees with block" in text and "replayed the model" in text
    assert again.model.summary() == expected
    again.close()


def test_stored_blocks_that_differ_from_the_snapshot_mean_a_full_check(tmp_path, caplog):
    """The snapshot's digest covers every stored byte: an edited block row is never taken on trust."""
    import logging
    import sqlite3

    path = tmp_path / "c.sqlite3"
    chain = _chain_on_disk(path)
    chain.close()
    db = sqlite3.connect(path)
    body = json.loads(db.execute("SELECT body FROM blocks WHERE idx = 3").fetchone()[0])
    body["transactions"][1]["data"]["flower_type"] = (
        "setosa" if body["transactions"][1]["data"]["flower_type"] != "setosa" else "virginica"
    )
    db.execute("UPDATE blocks SET body = ? WHERE idx = 3", (json.dumps(body),))
    db.commit()
    db.close()
    with caplog.at_level(logging.INFO, logger="blockchain"), pytest.raises(StorageError, match="block 3"):
        ledger(store=SQLiteStore(path))
    assert "differ from what the snapshot commits to" in caplog.text


@pytest.mark.parametrize("undo_blocks", [1000, 2], ids=["undo-records-from-the-snapshot", "rebuilt-below-them"])
def test_a_reorg_right_after_a_snapshot_restart(tmp_path, monkeypatch, caplog, undo_blocks):
    """The ledger comes back from the snapshot with the undo records of its last blocks; a reorg
    within them rewinds, one below them rebuilds the state; either way the result is the branch's."""
    from blockchain import snapshots

    monkeypatch.setattr(snapshots, "UNDO_BLOCKS", undo_blocks)
    path = tmp_path / "c.sqlite3"
    chain = _chain_on_disk(path)              # 7 blocks on disk
    branch = ledger()                         # the same first 4 blocks, then a longer branch of its own
    for block in chain.blocks()[1:5]:
        branch.add_block(block)
    for i in range(5):
        branch.add_transaction(flower(sender=f"branch{i}", features=(6.0, 3.0, 4.8, 1.8), label="virginica"))
        branch.mine("other")
    chain.close()
    import logging

    with caplog.at_level(logging.INFO, logger="blockchain"):
        again = ledger(store=SQLiteStore(path))
        assert again.height == 7 and "match the snapshot at block 7" in caplog.text
        replaced, _ = again.replace_chain([b.to_dict() for b in branch.blocks()])
    assert ("rebuilding the state" in caplog.text) == (undo_blocks == 2)
    assert replaced and again.last_block.hash == branch.last_block.hash
    assert again.model.summary() == branch.model.summary()
    assert again.balance("other") == branch.balance("other") and again.balance("m") == branch.balance("m")
    assert again.validate_chain().valid
    again.close()


def test_a_pending_transfer_double_spent_by_a_peers_block_is_dropped():
    """One rule for every path: a block from elsewhere evicts the pending transactions it makes
    invalid, as a reorg does, and what an address can spend is never negative."""
    ours, theirs = ledger(), ledger()
    ours.add_block(theirs.mine("shared-miner"))             # both: shared-miner has 1 coin
    ours.add_transaction(transfer("shared-miner", "bob", 1))
    theirs.add_transaction(transfer("shared-miner", "carol", 1))
    block = theirs.mine("someone-else")                     # spends the coin elsewhere
    assert ours.add_block(block) is True
    assert [tx.type for tx in ours.pending()] == []         # the transfer to bob is gone
    assert ours.available("shared-miner") == 0 and ours.balance("bob") == 0
    ours.mine("m")
    assert ours.balance("bob") == 0 and ours.validate_chain().valid


def test_reads_never_wait_for_a_writes_disk_sync():
    """A write holds its disk sync under the write lock only: while a transaction's and a block's
    writes are stuck, every read still answers (from the state before the write)."""
    import threading

    from blockchain import MemoryStore

    class StuckStore(MemoryStore):
        def __init__(self):
            super().__init__()
            self.writing, self.release = threading.Event(), threading.Event()
            self.stuck = False

        def _wait(self):
            if self.stuck:
                self.writing.set()
                assert self.release.wait(30)

        def add_pending(self, tx):
            self._wait()
            super().add_pending(tx)

        def append_block(self, block, remove_pending=()):
            self._wait()
            super().append_block(block, remove_pending)

    store = StuckStore()
    chain = ledger(store=store)
    chain.add_transaction(flower(sender="first"))
    for write in (lambda: chain.add_transaction(flower(sender="second")), lambda: chain.mine("m")):
        store.stuck, store.writing, store.release = True, threading.Event(), threading.Event()
        writer = threading.Thread(target=write)
        writer.start()
        assert store.writing.wait(30)
        reads = {}
        reader = threading.Thread(target=lambda reads=reads: reads.update(
            pending=len(chain.pending()), available=chain.available("m"), blocks=len(chain.blocks()),
            updates=chain.model_updates()[1], found=chain.find_transaction("0" * 64)))
        reader.start()
        reader.join(timeout=10)
        assert not reader.is_alive(), "a read waited for a stuck disk write"
        assert reads["found"] == (None, None) and reads["blocks"] == 1
        store.stuck = False
        store.release.set()
        writer.join(timeout=30)
        assert not writer.is_alive()
    assert chain.height == 1 and len(chain.pending()) == 0 and chain.validate_chain().valid


def test_a_data_dir_of_another_protocol_names_the_protocol(tmp_path):
    ledger(difficulty=1, store=SQLiteStore(tmp_path / "c.sqlite3")).close()
    with pytest.raises(StorageError, match=r"for protocol 3, difficulty 1.*same --protocol"):
        ledger(difficulty=1, protocol=3, store=SQLiteStore(tmp_path / "c.sqlite3"))

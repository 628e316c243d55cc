"""Issue 20 items 5, 16 and 17 in the store: side branches bounded in blocks below the tip and in
bytes; a full disk and a locked database as their own errors; reads that never wait for a writer."""
import multiprocessing
import sqlite3
import threading

import pytest

from blockchain import Block, BlockConflict, SQLiteStore, storage
from blockchain.errors import StorageBusy
from blockchain.pow import search_nonce
from blockchain.transactions import reward
from tests.helpers.factories import ledger, transfer

D = 1


def _side(node, parent, miner, padding=0):
    """A valid block on ``parent`` (a Block of ``node``'s chain), with ``padding`` transfers."""
    txs = [reward(miner, parent.index + 1)] + [transfer(f"{miner}-{i}", "x" * 100, 1) for i in range(padding)]
    ts = parent.timestamp_ms + 1
    draft = Block.assemble(parent.index + 1, ts, parent.hash, D, txs, 0)
    return Block.assemble(parent.index + 1, ts, parent.hash, D, txs, search_nonce(draft.prefix(), D))


def _offer(node, block):
    with pytest.raises(BlockConflict):
        node.add_block(block)
    return node.side_block(block.hash) is not None


def test_a_side_block_that_could_not_win_soon_is_not_kept():
    node = ledger(D)
    for _ in range(4):
        node.mine("m")
    genesis = node.block_at(0)
    assert not any(_offer(node, _side(node, genesis, f"far{i}")) for i in range(5))  # 3 below the tip
    assert _offer(node, _side(node, node.block_at(3), "near"))                         # a rival of our tip


def test_side_blocks_are_bounded_in_bytes_oldest_first(tmp_path, monkeypatch):
    path = tmp_path / "c.sqlite3"
    node = ledger(D, store=SQLiteStore(path))
    for _ in range(3):
        node.mine("m")
    parent = node.block_at(2)
    blocks = [_side(node, parent, f"rival{i}", padding=40) for i in range(6)]
    size = len(storage.canon(blocks[0].to_dict()))
    monkeypatch.setattr(storage, "MAX_SIDE_BYTES", 3 * size + size // 2)  # room for three of them
    kept = [_offer(node, b) for b in blocks]
    assert all(kept)  # each was kept when it came...
    held = [b for b in blocks if node.side_block(b.hash) is not None]
    assert held == blocks[-3:]  # ...and the oldest made room for the newest
    assert node.store.side_index.bytes <= storage.MAX_SIDE_BYTES
    node.close()
    db = sqlite3.connect(path)
    stored = db.execute("SELECT count(*), sum(length(CAST(body AS BLOB))) FROM side_blocks").fetchone()
    db.close()
    assert stored[0] == 3 and stored[1] <= storage.MAX_SIDE_BYTES
    again = ledger(D, store=SQLiteStore(path))
    assert again.store.side_index.bytes == stored[1]
    again.close()


def _hold_write_lock(path, locked, release):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    db.execute("INSERT INTO meta (key, value) VALUES ('held', 'by another process')")
    locked.set()
    release.wait(120)
    db.execute("ROLLBACK")
    db.close()


@pytest.fixture
def locked_store(tmp_path):
    """A node on disk with a side block, and another process holding the write lock of its database."""
    path = tmp_path / "c.sqlite3"
    node = ledger(D, store=SQLiteStore(path))
    for _ in range(2):
        node.mine("m")
    side = _side(node, node.block_at(1), "rival")
    assert _offer(node, side)
    ctx = multiprocessing.get_context("spawn")
    locked, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_write_lock, args=(str(path), locked, release))
    holder.start()
    assert locked.wait(60), "the lock holder did not start"
    try:
        yield node, side, release
    finally:
        release.set()
        holder.join(60)
        node.close()


def test_reads_of_side_blocks_and_unknown_hashes_never_wait_for_another_writer(locked_store):
    node, side, release = locked_store
    node.store._db.execute("PRAGMA busy_timeout = 120000")  # our writer waits for the other process meanwhile
    written = []
    writer = threading.Thread(target=lambda: written.append(node.add_transaction(transfer("m", "b", 1))))
    writer.start()
    answers = {}

    def read():
        answers["side"] = node.side_block(side.hash)
        answers["unknown"] = node.side_block("ab" * 32)
        answers["meta"] = node.store.get_meta("schema_version")
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(60)
    assert writer.is_alive() and not written, "the write should still be waiting for the other process's lock"
    assert not reader.is_alive(), "the reads waited for the writer"
    assert answers == {"side": side.to_dict(), "unknown": None, "meta": storage.SCHEMA_VERSION}
    release.set()
    writer.join(60)
    assert written == [3] and node.available("m") == 1  # the write went through once the lock was free


def test_a_write_that_finds_the_database_locked_is_storage_busy_and_changes_nothing(locked_store, monkeypatch):
    node, _, _ = locked_store
    node.store._db.execute(f"PRAGMA busy_timeout = {100}")  # the test need not wait BUSY_TIMEOUT
    with pytest.raises(StorageBusy) as caught:
        node.add_transaction(transfer("m", "bob", 1))
    assert caught.value.code == "storage_busy"
    assert len(node.pool) == 0 and node.available("m") == 2

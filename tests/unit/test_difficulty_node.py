"""Protocol 3's difficulty in the ledger (issue 23): blocks are checked and mined at the required
difficulty, the chain's work is the sum of the difficulties, and fork choice takes the most work."""
from __future__ import annotations

import time

import pytest

from blockchain import InvalidBlock, audit_chain
from blockchain.difficulty import median_time_past, target
from ml import IrisModel
from tests.helpers.v3chains import D, MIN_D, Builder, forge, next_difficulty, v3_ledger, work_of

NOW_MS = int(time.time() * 1000)
START = NOW_MS - 3600 * 1000  # an hour ago: every chain below stays behind the clock


def fresh():
    return v3_ledger(time.time)


def test_the_miner_follows_the_retarget_up_and_down_to_the_minimum():
    b = Builder(START).mine(8, 100)            # ten times faster than the target: x4 (clamped) at height 8
    assert [blk["difficulty"] for blk in b.blocks()] == [D] * 8 + [4 * D]
    b.mine(4, 1000)                            # on target (the median of heights 8..11 is 1000 ms): unchanged
    b.mine(4, 1600)                            # 1.6 times slower: 256 * 1000 // 1600 = 160 at height 16
    b.mine(16, 60_000)                         # far too slow: down to the minimum, never below
    ds = [blk["difficulty"] for blk in b.blocks()]
    assert ds[12] == 4 * D and ds[16] == 160 and ds[-1] == MIN_D
    assert min(ds) == MIN_D
    assert b.chain.work == work_of(b.blocks())
    assert b.chain.tip()["work"] == str(work_of(b.blocks()))
    result = audit_chain(b.blocks(), IrisModel(), now_ms=NOW_MS)
    assert result.valid, [str(i) for i in result.issues]


def test_a_block_with_the_wrong_difficulty_is_refused():
    blocks = Builder(START).mine(8, 100).blocks()   # height 8 requires 4 * D
    node = fresh()
    assert node.extend(blocks[1:8]).problem is None
    for wrong in (D, 4 * D - 1, 4 * D + 1):
        with pytest.raises(InvalidBlock, match=f"difficulty must be {4 * D} at height 8"):
            node.add_block(_block(forge(blocks[7], blocks[7]["timestamp_ms"] + 100, wrong)))
    assert node.add_block(_block(forge(blocks[7], blocks[7]["timestamp_ms"] + 100, 4 * D)))


def test_a_hash_above_the_target_is_refused():
    blocks = Builder(START).mine(1, 1000).blocks()
    block = forge(blocks[0], blocks[0]["timestamp_ms"] + 1000, D)
    lazy = forge(blocks[0], blocks[0]["timestamp_ms"] + 1000, 1)  # mined at difficulty 1, then relabelled
    while int(lazy["hash"], 16) <= target(D):   # a hash that happens to meet D is no test
        lazy = forge(blocks[0], lazy["timestamp_ms"] + 1, 1)
    node = fresh()
    from blockchain.block import Block
    relabelled = Block.assemble(1, lazy["timestamp_ms"], lazy["previous_hash"], D,
                                Block.from_dict(lazy).transactions, lazy["nonce"])
    with pytest.raises(InvalidBlock, match=f"hash is above the target of difficulty {D}"):
        node.add_block(relabelled)
    assert node.add_block(_block(block))


def test_a_block_at_or_below_the_median_time_past_is_refused():
    b = Builder(START).mine(3, 1000)
    b.mine(8, 0)   # the clock stands still: blocks share its time while the median is older
    blocks = b.blocks()
    times = [blk["timestamp_ms"] for blk in blocks]
    mtp = median_time_past(times[-11:])
    assert mtp == times[-1]  # the parent's time is the median: a block at it is not after it
    node = fresh()
    assert node.extend(blocks[1:]).problem is None
    with pytest.raises(InvalidBlock, match="not after the median time past"):
        node.add_block(_block(forge(blocks[-1], times[-1], next_difficulty(blocks))))
    assert node.add_block(_block(forge(blocks[-1], times[-1] + 1, next_difficulty(blocks))))
    # and the node's own miner stamps its block after the median time past, however its clock stands
    b.mine(1, 0)
    assert b.blocks()[-1]["timestamp_ms"] == mtp + 1


def test_a_block_more_than_two_hours_ahead_is_refused():
    blocks = Builder(START).mine(1, 1000).blocks()
    node = fresh()
    ahead = node.now_ms() + 2 * 3600 * 1000 + 60_000
    with pytest.raises(InvalidBlock, match="more than 2 hours ahead"):
        node.add_block(_block(forge(blocks[0], ahead, D)))


def test_most_work_wins_not_the_longest_chain():
    heavy = Builder(START, "heavy").mine(12, 1000).blocks()      # 13 blocks at D
    light = Builder(START, "light").mine(30, 100_000).blocks()   # 31 blocks, retargeted down to MIN_D
    assert len(light) > len(heavy) and work_of(light) < work_of(heavy)
    node = fresh()
    assert node.replace_chain(heavy)[0]
    assert node.replace_chain(light) == (False, [])               # longer, lighter: refused
    assert node.state.hashes[-1] == heavy[-1]["hash"]
    other = fresh()
    assert other.replace_chain(light)[0]
    assert other.replace_chain(heavy)[0]                          # shorter, heavier: wins
    assert other.work == work_of(heavy) and other.height == 12
    tie = Builder(START, "tie").mine(12, 1000).blocks()
    assert work_of(tie) == work_of(heavy)
    assert other.replace_chain(tie) == (False, [])                # a tie keeps ours
    assert other.state.hashes[-1] == heavy[-1]["hash"]


def test_a_reorg_rewinds_the_work_record():
    base = Builder(START, "base").mine(6, 1000)
    node = fresh()
    assert node.replace_chain(base.blocks())[0]
    before = node.work
    heavier = Builder(START, "rival").mine(8, 100).blocks()   # fast blocks: height 8 carries 4 * D
    assert node.replace_chain(heavier)[0]
    assert node.work == work_of(heavier) > before
    assert node.tip()["work"] == str(work_of(heavier))


def test_work_survives_a_restart_from_a_snapshot(tmp_path, caplog):
    from blockchain.storage import SQLiteStore
    blocks = Builder(START).mine(40, 700).blocks()  # a little fast: x 1000/700 every 4 blocks
    store = SQLiteStore(tmp_path / "chain.db")
    node = v3_ledger(time.time, store=store)
    assert node.extend(blocks[1:]).problem is None
    work = node.work
    node.close()
    with caplog.at_level("INFO", logger="blockchain"):
        again = v3_ledger(time.time, store=SQLiteStore(tmp_path / "chain.db"))
    assert "match the snapshot" in caplog.text  # restored from the block texts, not replayed
    assert again.work == work == work_of(blocks)
    assert again.state.work.next_difficulty() == node.state.work.next_difficulty()
    again.close()


def _block(data: dict):
    from blockchain.block import Block
    return Block.from_dict(data)

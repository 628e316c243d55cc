"""Runs of blocks from elsewhere (``Blockchain.extend`` / ``adopt``), block locators and header
checks: the ledger side of headers-first sync."""
import copy
import itertools

import pytest

from blockchain import InvalidChain
from blockchain.chain_reads import locator_heights
from blockchain.errors import InvalidBlock
from blockchain.headers import Header
from blockchain.transition import check_headers
from tests.helpers.chains import branch, build_chain
from tests.helpers.factories import ledger

D = 1


@pytest.fixture(scope="module")
def chain30():
    return build_chain(30, D)


def test_a_locator_takes_ten_single_steps_then_doubles_and_ends_at_genesis():
    assert locator_heights(0) == [0]
    assert locator_heights(5) == [5, 4, 3, 2, 1, 0]
    heights = locator_heights(100_000)
    assert heights[:10] == list(range(100_000, 99_990, -1))
    steps = [a - b for a, b in itertools.pairwise(heights[9:-1])]
    assert steps == [2 ** i for i in range(1, len(steps) + 1)]
    assert heights[-1] == 0 and len(heights) <= 64


def test_the_locator_names_our_own_blocks(chain30):
    node = ledger(D)
    node.replace_chain(chain30)
    assert node.locator() == [chain30[h]["hash"] for h in locator_heights(30)]


def test_extend_takes_pages_and_keeps_the_valid_prefix(chain30):
    node = ledger(D)
    result = node.extend(chain30[1:11])
    assert result.switched and result.height == 10 and result.problem is None
    broken = copy.deepcopy(chain30[11:20])
    broken[4]["nonce"] += 1  # block 15 no longer has its proof of work
    result = node.extend(broken)
    assert result.height == 14 and result.problem.block_index == 15
    assert node.extend(chain30[15:]).height == 30
    assert node.last_block.hash == chain30[-1]["hash"]
    assert node.validate_chain().valid


def test_extend_stops_where_the_blocks_no_longer_continue_the_tip(chain30):
    node = ledger(D)
    other = build_chain(3, D, miner="elsewhere")
    node.extend(other[1:])
    result = node.extend(chain30[1:5])
    assert result.moved and not result.switched and result.problem is None and node.height == 3


def test_adopt_a_longer_branch_from_its_fork_point(chain30):
    ours = branch(chain30, 20, 5, D, miner="ours")
    theirs = branch(chain30, 20, 6, D, miner="theirs")
    node = ledger(D)
    node.replace_chain(ours)
    assert not node.adopt(20, theirs[21:26]).switched          # a tie keeps ours
    result = node.adopt(20, theirs[21:])
    assert result.switched and node.last_block.hash == theirs[-1]["hash"]
    replayed = ledger(D)
    replayed.replace_chain(theirs)
    assert node.model.state_hash == replayed.model.state_hash and node.validate_chain().valid
    assert {tx.id for tx in node.pending()} >= {t["id"] for b in ours[21:] for t in b["transactions"]
                                                if t["type"] == "FLOWER_DATA"}
    assert node.side_block(ours[-1]["hash"])["hash"] == ours[-1]["hash"]


def test_adopt_keeps_a_valid_prefix_only_when_asked_and_only_if_longer(chain30):
    ours = branch(chain30, 20, 2, D, miner="ours")
    theirs = copy.deepcopy(branch(chain30, 20, 6, D, miner="theirs"))
    theirs[26]["nonce"] += 1
    node = ledger(D)
    node.replace_chain(ours)
    before = node.last_block.hash
    with pytest.raises(InvalidChain):
        node.adopt(20, theirs[21:], keep_valid_prefix=False)
    assert node.last_block.hash == before
    result = node.adopt(20, theirs[21:])
    assert result.switched and result.height == 25 and result.problem.block_index == 26


def test_header_chains_are_checked_for_links_difficulty_and_work(chain30):
    headers = [Header.from_dict({k: v for k, v in b.items() if k != "transactions"}) for b in chain30[1:]]
    genesis = Header.from_dict({k: v for k, v in chain30[0].items() if k != "transactions"})
    assert check_headers(headers, genesis, D, None) is None
    relinked = headers[:3] + headers[4:]
    assert check_headers(relinked, genesis, D, None).block_index == 5   # a gap: index and link break
    assert "difficulty" in check_headers(headers, genesis, D + 1, None).message
    forged = dict(chain30[2], nonce=chain30[2]["nonce"] + 1)
    forged.pop("transactions")
    assert "recomputed" in check_headers([headers[0], Header.from_dict(forged)], genesis, D, None).message
    with pytest.raises(InvalidBlock):
        Header.from_dict({**forged, "extra": 1})


def test_blocks_that_do_not_extend_the_tip_are_kept_as_a_side_branch_only_with_work(chain30):
    from blockchain import Block, BlockConflict

    node = ledger(D)
    node.replace_chain(chain30[:8])
    side = branch(chain30, 5, 3, D, miner="side")        # blocks 6, 7, 8 on top of our block 5 (tip 7)
    for raw in side[6:]:
        with pytest.raises(BlockConflict):
            node.add_block(Block.from_dict(raw))
        assert node.side_block(raw["hash"])["hash"] == raw["hash"]   # its parent is ours, or kept before
    stranger = build_chain(12, D, miner="stranger")[11]               # its parent is no block we hold
    with pytest.raises(BlockConflict):
        node.add_block(Block.from_dict(stranger))
    assert node.side_block(stranger["hash"]) is None
    unworked = dict(branch(chain30, 5, 1, D, miner="lazy")[6])
    unworked["nonce"] += 1                                            # no proof of work any more
    with pytest.raises(BlockConflict):
        node.add_block(Block.from_dict(unworked))
    assert node.side_block(unworked["hash"]) is None
    assert node.height == 7 and node.last_block.hash == chain30[7]["hash"]

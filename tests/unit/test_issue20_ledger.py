"""Issue 20 (ledger side): a block that skips an index on our tip, a reorg's restored transfers,
and side blocks whose body does not match their header."""
import pytest

from blockchain import Block, InvalidBlock
from blockchain.pow import search_nonce
from blockchain.transactions import reward
from tests.helpers.factories import ledger, transfer

D = 1


def _mined(index, parent, txs, timestamp_ms=None):
    ts = timestamp_ms if timestamp_ms is not None else parent.timestamp_ms + 1
    draft = Block.assemble(index, ts, parent.hash, D, txs, 0)
    return Block.assemble(index, ts, parent.hash, D, txs, search_nonce(draft.prefix(), D))


def test_a_block_on_our_tip_that_skips_an_index_is_invalid_not_a_conflict():
    node = ledger(D)
    node.mine("a")
    tip = node.last_block
    skipping = _mined(tip.index + 2, tip, [reward("a", tip.index + 2)])
    with pytest.raises(InvalidBlock, match="index must be"):
        node.add_block(skipping)
    assert node.height == 1 and node.side_block(skipping.hash) is None


def test_a_reorg_restores_only_transfers_a_new_one_would_be_admitted_for():
    node, other = ledger(D), ledger(D)
    other.mine("x")
    node.replace_chain([b.to_dict() for b in other.blocks()])
    for _ in range(14):
        node.mine("alice")
    for _ in range(7):
        node.add_transaction(transfer("alice", "bob", 1))
    node.mine("zed")
    for _ in range(7):
        node.add_transaction(transfer("alice", "bob", 1))
    node.mine("zed")
    for _ in range(12):
        node.add_transaction(transfer("bob", "carl", 1))
    other.mine("alice")
    other.mine("alice")  # on the fork alice has 2 and bob nothing
    for _ in range(20):
        other.mine("x")
    switched, _ = node.replace_chain([b.to_dict() for b in other.blocks()])
    assert switched and node.balance("alice") == 2 and node.balance("bob") == 0
    pending = node.pending()
    spent = {}
    for tx in pending:
        spent[tx.sender] = spent.get(tx.sender, 0) + tx.amount
    assert spent == {"alice": 2}  # bob's transfers lived on alice's pending ones: a new one would be refused
    for sender, amount in spent.items():
        assert node.available(sender) == node.balance(sender) - amount >= 0
    block = node.mine("m")
    assert node.validate_chain().valid and len(block.transactions) == 3

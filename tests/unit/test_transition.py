"""The one state transition (blockchain/transition.py): it judges a block on a state and returns
the issues and the block's effects, and changes neither the state nor the model."""
import copy

from blockchain import Block
from blockchain.transition import Outcome, transition
from tests.helpers.factories import flower, ledger, transfer


def _fingerprint(chain):
    """Everything the ledger's state and model hold, as plain data."""
    state = chain.state
    return (copy.deepcopy(state.ledger_data(len(state.hashes))), list(state.hashes), dict(state.tx_block),
            dict(state.block_heights), list(state.updates), state.rows, chain.model.summary(),
            chain.model.state_hash)


def _a_block_with_data():
    source = ledger()
    source.mine("miner")
    source.add_transaction(transfer("miner", "alice", 1))
    source.add_transaction(flower(sender="alice"))
    return source, source.mine("miner")


def test_a_valid_block_changes_nothing_until_it_is_committed():
    source, block = _a_block_with_data()
    other = ledger()
    assert other.add_block(source.block_at(1))
    before = _fingerprint(other)

    outcome = transition(other.state, block, other.model, other.now_ms())

    assert isinstance(outcome, Outcome) and outcome.valid and outcome.issues == []
    assert _fingerprint(other) == before  # pure: the state and the model are as they were
    assert other.add_block(block)  # the same check, through POST /blocks' path, commits it
    assert other.state.balances == source.state.balances
    assert other.model.state_hash == source.model.state_hash


def test_an_invalid_block_lists_its_issues_and_changes_nothing():
    source, block = _a_block_with_data()
    other = ledger()
    other.add_block(source.block_at(1))
    other.add_block(block)
    before = _fingerprint(other)

    again = transition(other.state, block, other.model, other.now_ms())  # on top of itself

    messages = [issue.message for issue in again.issues]
    assert not again.valid
    assert any("index must be" in m for m in messages)
    assert any("previous_hash must be" in m for m in messages)
    assert any("unique in the chain" in m for m in messages)
    assert _fingerprint(other) == before


def test_a_forged_model_update_is_an_issue_of_the_transition():
    source, block = _a_block_with_data()
    data = block.to_dict()
    update = data["transactions"][-1]
    assert update["type"] == "MODEL_UPDATE"
    correct = update["data"]["test_correct"]
    update["data"] = dict(update["data"], test_correct=correct - 1 if correct else correct + 1)
    forged = Block.from_dict(data, lenient=True)
    other = ledger()
    other.add_block(source.block_at(1))
    before = _fingerprint(other)

    outcome = transition(other.state, forged, other.model, other.now_ms())

    assert any("MODEL_UPDATE must equal the replayed model" in i.message for i in outcome.issues)
    assert _fingerprint(other) == before

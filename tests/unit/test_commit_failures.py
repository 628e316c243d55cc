"""One commit path, one failure rule: a validated block is on disk, in the state and in the model,
or in none of them. Each step (the store, the state, the model) is made to fail on purpose, and
the ledger is then read through its public API and after a restart from its store."""
import pytest

from blockchain import Block, SQLiteStore, StorageError
from blockchain.errors import StorageFull
from blockchain.state import ChainState
from ml import IrisModel
from tests.helpers.factories import flower, ledger, transfer


class FailingStore(SQLiteStore):
    """A real store whose block writes can be made to fail (a full disk)."""

    fail = False

    def append_blocks(self, blocks, remove_pending=()):
        if self.fail:
            raise StorageFull("the disk is full (on purpose)")
        super().append_blocks(blocks, remove_pending)


class FailingModel(IrisModel):
    """A real model whose next commit can be made to fail (a bug in the model)."""

    fail = False

    def commit_data_points(self):
        if self.fail:
            self.discard_data_points()
            raise RuntimeError("the model failed (on purpose)")
        return super().commit_data_points()

    def at_size(self, size):
        rebuilt = super().at_size(size)
        rebuilt.__class__ = FailingModel
        return rebuilt


def _view(chain):
    """What a client can read: height, tip, balances, pool, model, and the audit's verdict."""
    return {"tip": chain.tip(), "blocks": [b.hash for b in chain.blocks()], "miner": chain.balance("miner"),
            "alice": chain.balance("alice"), "pending": sorted(tx.id for tx in chain.pending()),
            "model": chain.model.summary(), "updates": chain.model_updates()[1]}


def _setup(tmp_path, model=None):
    store = FailingStore(tmp_path / "chain.sqlite3")
    chain = ledger(store=store) if model is None else _ledger_with(model, store)
    chain.mine("miner")
    chain.add_transaction(transfer("miner", "alice", 1))
    chain.add_transaction(flower(sender="alice"))
    return store, chain


def _ledger_with(model, store):
    from blockchain import Blockchain
    return Blockchain(model, 1, store)


def _after_restart(tmp_path, chain):
    chain.close()
    again = ledger(store=SQLiteStore(tmp_path / "chain.sqlite3"))
    try:
        return _view(again), again.validate_chain().valid
    finally:
        again.close()


def _assert_nothing_half_applied(chain, before, tmp_path):
    assert _view(chain) == before
    assert chain.validate_chain().valid  # the store ends at the live tip and the model equals the replay
    restarted, valid = _after_restart(tmp_path, chain)
    assert valid and {k: v for k, v in restarted.items() if k != "model"} == \
        {k: v for k, v in before.items() if k != "model"}
    assert restarted["model"] == before["model"]


def test_a_store_failure_while_mining_leaves_nothing_behind(tmp_path):
    store, chain = _setup(tmp_path)
    before = _view(chain)
    store.fail = True
    with pytest.raises(StorageError):
        chain.mine("miner")
    _assert_nothing_half_applied(chain, before, tmp_path)


def test_a_model_failure_while_mining_takes_the_block_out_of_the_store_and_the_state(tmp_path):
    model = FailingModel()
    store, chain = _setup(tmp_path, model)
    before = _view(chain)
    chain.model.fail = True
    with pytest.raises(Exception, match="model"):
        chain.mine("miner")
    _assert_nothing_half_applied(chain, before, tmp_path)


def test_a_state_failure_while_mining_takes_the_block_out_of_the_store(tmp_path, monkeypatch):
    store, chain = _setup(tmp_path)
    before = _view(chain)

    def broken(*args):
        raise RuntimeError("the state failed (on purpose)")

    monkeypatch.setattr(ChainState, "_index_transfer", broken)  # fails half way through applying the block
    with pytest.raises(RuntimeError, match="state failed"):
        chain.mine("miner")
    monkeypatch.undo()
    _assert_nothing_half_applied(chain, before, tmp_path)


def _blocks_from_another_node(count):
    other = ledger()
    other.mine("miner")
    other.add_transaction(transfer("miner", "alice", 1))
    other.add_transaction(flower(sender="alice"))
    for _ in range(count):
        other.mine("miner")
    return [Block.from_dict(b.to_dict()) for b in other.blocks()[1:]]


@pytest.mark.parametrize("step", ["store", "model", "state"])
def test_a_failure_in_any_step_of_a_page_leaves_none_of_the_page(tmp_path, monkeypatch, step):
    page = _blocks_from_another_node(3)
    store = FailingStore(tmp_path / "chain.sqlite3")
    chain = _ledger_with(FailingModel(), store)
    before = _view(chain)
    if step == "store":
        store.fail = True
    elif step == "model":
        chain.model.fail = True
    else:
        monkeypatch.setattr(ChainState, "_index_transfer", lambda *a: (_ for _ in ()).throw(RuntimeError("state")))
    with pytest.raises(Exception):  # noqa: B017 - each step raises its own error; what matters is what is left
        chain.extend(page)
    monkeypatch.undo()
    _assert_nothing_half_applied(chain, before, tmp_path)


def test_after_a_failure_the_same_block_commits_normally(tmp_path):
    store, chain = _setup(tmp_path)
    store.fail = True
    with pytest.raises(StorageError):
        chain.mine("miner")
    store.fail = False
    block = chain.mine("miner")
    assert sorted(tx.type for tx in block.transactions) == ["FLOWER_DATA", "MODEL_UPDATE", "REWARD", "TRANSFER"]
    assert chain.height == 2 and chain.balance("alice") == 1 and chain.validate_chain().valid
    restarted, valid = _after_restart(tmp_path, chain)
    assert valid and restarted["tip"]["height"] == 2

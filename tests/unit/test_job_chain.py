"""A training job on one node through the package's public surface (``Blockchain``): the pool takes
the four user types through their rules, the miner writes the JOB_SETTLE, ``job``/``jobs`` show each
step, and the job tables come back after a restart (snapshot and full replay) and after a reorg
across a settlement."""
import logging

import pytest

from blockchain import Block, InvalidTransaction, SQLiteStore, Transaction
from blockchain.errors import ClaimPending
from tests.helpers.jobchain import GOOD_TREE, SETOSA_TREE, JobNode, a_test_set, job_data


def run_job(node: JobNode, *, settle: bool = True) -> str:
    """req (bounty 3) and two workers: ann's perfect tree and bob's poor one, bob committing first."""
    node.earn("req", 3)
    node.earn("ann", 1)
    node.earn("bob", 1)
    test = a_test_set()
    job = node.job("req", 3, job_data(test))
    node.mine()
    view = node.chain.job(job)
    node.commit("bob", job, 1, SETOSA_TREE)
    node.mine()
    node.commit("ann", job, 1, GOOD_TREE)
    node.mine()
    node.mine_to(view["windows"]["test"][0])
    node.reveal_test("req", job, test)
    node.mine()
    node.mine_to(view["windows"]["model"][0])
    node.reveal_model("ann", job, GOOD_TREE)
    node.reveal_model("bob", job, SETOSA_TREE)
    node.mine()
    if settle:
        node.mine_to(view["windows"]["settle"] + 1)
    return job


def test_a_job_goes_from_its_job_to_its_settlement_and_the_view_follows_each_step():
    node = JobNode()
    node.earn("req", 3)
    node.earn("ann", 1)
    node.earn("bob", 1)
    test = a_test_set()
    job = node.job("req", 3, job_data(test))
    assert node.chain.job(job) is None          # pending: not on the chain yet
    block = node.mine()
    j = block.index
    view = node.chain.job(job)
    assert view["id"] == job and view["height"] == j and view["requester"] == "req" and view["bounty"] == 3
    assert view["windows"] == {"commit": [j + 1, j + 2], "test": [j + 3, j + 4], "model": [j + 5, j + 6],
                               "settle": j + 7}
    assert view["state"] == "commit" and view["commitments"] == [] and view["test"] is None
    assert view["data"] == job_data(test) and node.chain.balance("req") == 0   # the bounty is escrowed

    node.commit("bob", job, 1, SETOSA_TREE)
    with pytest.raises(ClaimPending, match="one commitment per worker"):   # the pool holds one per worker
        node.commit("bob", job, 1, GOOD_TREE)
    node.mine()
    node.commit("ann", job, 1, GOOD_TREE)
    commit_block = node.mine()
    view = node.chain.job(job)
    assert [(c["worker"], c["height"], c["position"], c["revealed"]) for c in view["commitments"]] == [
        ("bob", j + 1, 1, False), ("ann", j + 2, 1, False)]
    assert commit_block.index == j + 2 and view["state"] == "test"
    assert node.chain.balance("ann") == 0 and node.chain.balance("bob") == 0   # the stakes are locked

    node.reveal_test("req", job, test)
    node.mine()
    assert node.chain.job(job)["test"] == test
    node.mine_to(j + 5)
    assert node.chain.job(job)["state"] == "model"
    node.reveal_model("ann", job, GOOD_TREE)
    node.reveal_model("bob", job, SETOSA_TREE)
    node.mine()
    view = node.chain.job(job)
    assert view["models"] == {"ann": GOOD_TREE, "bob": SETOSA_TREE}
    assert [c["revealed"] for c in view["commitments"]] == [True, True]
    node.mine_to(j + 7)
    assert node.chain.job(job)["state"] == "settling" and node.chain.job(job)["settlement"] is None

    settled_block = node.mine()
    assert [tx.type for tx in settled_block.transactions][:2] == ["REWARD", "JOB_SETTLE"]
    view = node.chain.job(job)
    assert view["state"] == "settled" and view["settled_in"] == j + 7
    assert view["settlement"] == {"outcome": "won", "winner": "ann", "scores": [["bob", 1], ["ann", 4]],
                                  "payouts": [["ann", 4], ["bob", 1]], "burnt": 0}
    assert view["settlement"] == settled_block.transactions[1].body_dict()["data"]
    assert (node.chain.balance("ann"), node.chain.balance("bob"), node.chain.balance("req")) == (4, 1, 0)
    assert node.chain.validate_chain().valid


def test_jobs_lists_newest_first_by_state_with_the_total():
    node = JobNode()
    node.earn("req", 4)
    first = node.job("req", 1, job_data(a_test_set("a")))
    node.mine()
    second = node.job("req", 1, job_data(a_test_set("b")))
    third = node.job("req", 1, job_data(a_test_set("c"), commit_blocks=5))
    node.mine()
    node.mine_to(node.chain.job(first)["windows"]["test"][0])   # first: test; the others one block behind
    page, total = node.chain.jobs()
    assert [v["id"] for v in page] == [third, second, first] and total == 3
    assert [v["id"] for v in node.chain.jobs(offset=1, limit=1)[0]] == [second]
    states = {v["id"]: v["state"] for v in page}
    assert states[third] == "commit"
    in_test, count = node.chain.jobs(state="test")
    assert count == len(in_test) == sum(1 for s in states.values() if s == "test")
    assert first in {v["id"] for v in in_test}
    assert node.chain.jobs(state="settled") == ([], 0)
    with pytest.raises(ValueError, match="state must be one of"):
        node.chain.jobs(state="open")


def test_the_pool_refuses_what_no_block_may_hold():
    node = JobNode()
    node.earn("req", 2)
    job = node.job("req", 1, job_data(a_test_set(), max_commits=1))
    node.mine()
    with pytest.raises(InvalidTransaction, match="only nodes create JOB_SETTLE"):
        node.chain.add_transaction(Transaction.create({
            "type": "JOB_SETTLE", "sender": "MODEL", "recipient": "MODEL", "amount": 0, "block_index": 9,
            "job_id": job, "data": {"outcome": "no_model", "winner": None, "scores": [], "payouts": [["x", 1]],
                                    "burnt": 0}}))
    with pytest.raises(InvalidTransaction, match="the requester may not commit"):
        node.commit("req", job, 1, GOOD_TREE)
    with pytest.raises(InvalidTransaction, match="only the job's requester|valid in blocks"):
        node.reveal_test("ann", job, a_test_set())
    v2 = JobNode(protocol=2)
    v2.earn("req", 1)
    with pytest.raises(InvalidTransaction, match="valid only on a protocol 3 network"):
        v2.job("req", 1, job_data(a_test_set()))


def test_the_job_tables_come_back_after_a_restart_from_the_snapshot_and_from_a_replay(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="blockchain")
    path = tmp_path / "chain.sqlite3"
    node = JobNode(SQLiteStore(path))
    settled = run_job(node)
    node.earn("req", 1)
    open_job = node.job("req", 1, job_data(a_test_set("open")))
    node.mine()
    before = (node.chain.jobs(), node.chain.job(settled), node.chain.balance("ann"), node.t)
    node.chain.close()                               # writes the snapshot
    again = JobNode(SQLiteStore(path))
    assert "from the verified snapshot" in caplog.text
    again.t = before[3]
    assert (again.chain.jobs(), again.chain.job(settled), again.chain.balance("ann")) == before[:3]
    again.commit("ann", open_job, 1, GOOD_TREE)      # the open job takes commitments again
    again.mine()
    assert again.chain.job(open_job)["commitments"][0]["worker"] == "ann"
    snapshot_view = again.chain.jobs()
    store = again.chain.store
    store.set_meta("snapshot_v2", "")                # without a snapshot: a full check and replay
    again.chain.store.close()
    caplog.clear()
    replayed = JobNode(SQLiteStore(path))
    assert "replayed the model" in caplog.text
    assert replayed.chain.jobs() == snapshot_view
    assert replayed.chain.validate_chain().valid


def test_a_reorg_across_a_settlement_takes_the_branch_s_jobs():
    ours = JobNode()
    job = run_job(ours, settle=False)                 # both models revealed in our chain
    settle_at = ours.chain.job(job)["windows"]["settle"]
    theirs = JobNode()
    model_first = ours.chain.job(job)["windows"]["model"][0]
    for block in ours.chain.blocks()[1:model_first]:  # the same chain up to the model window
        theirs.chain.add_block(block)
    theirs.t = ours.t
    theirs.reveal_model("bob", job, SETOSA_TREE)      # only bob reveals on their branch
    theirs.mine_to(settle_at + 3)
    ours.mine_to(settle_at + 1)
    assert ours.chain.job(job)["settlement"]["winner"] == "ann"
    replaced, _ = ours.chain.replace_chain([b.to_dict() for b in theirs.chain.blocks()])
    assert replaced
    view = ours.chain.job(job)
    assert view == theirs.chain.job(job)
    assert view["settlement"]["winner"] == "bob" and view["models"] == {"bob": SETOSA_TREE}
    assert view["settlement"]["burnt"] == 1           # ann's unrevealed stake
    assert ours.chain.balance("ann") == theirs.chain.balance("ann") == 0
    assert ours.chain.balance("bob") == 4
    assert ours.chain.validate_chain().valid


def test_a_mining_node_scores_each_revealed_model_once_and_an_audit_scores_again(monkeypatch):
    from ml import ledger_model
    calls: list[int] = []
    port = type(ledger_model())
    scored = port.score_job_models

    def counting(self, models, rows, labels):
        calls.append(len(models))
        return scored(self, models, rows, labels)

    monkeypatch.setattr(port, "score_job_models", counting)
    node = JobNode()
    job = run_job(node)                                  # mines the settlement: its template, then its check
    assert node.chain.job(job)["settlement"]["winner"] == "ann"
    assert sum(calls) == 2                               # two models, each scored once
    other = JobNode()
    for block in node.chain.blocks()[1:]:                # another node takes the blocks: it scores them itself
        other.chain.add_block(Block.from_dict(block.to_dict()))
    assert other.chain.job(job) == node.chain.job(job) and sum(calls) == 4
    assert other.chain.validate_chain().valid and sum(calls) == 6  # an audit starts from nothing


def test_the_kept_scores_are_the_newest_and_shared_by_copies():
    from blockchain.state import KEPT_SCORES
    state = JobNode().chain.state.copy()
    copy = state.copy()
    state.keep_scores({(f"t{i}", "m"): i for i in range(KEPT_SCORES + 10)})
    assert len(copy.scores) == KEPT_SCORES and ("t9", "m") not in copy.scores and copy.scores[("t10", "m")] == 10

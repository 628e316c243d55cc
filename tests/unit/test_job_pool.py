"""The pending pool and training jobs, through the package's public surface (``Blockchain``): the
pool admits every valid commitment (one per worker) without counting pending ones against a job's
free slots; the first mined take the slots and the rest leave the pool; a pending job transaction
whose window closes leaves the pool when a block is accepted; a reorg puts back what is valid again
(the pool's one rule, ``LedgerCore.revalidated``); and a commitment kept unmined cannot lock honest
workers out."""
import logging

import pytest

from blockchain import InvalidTransaction, Transaction
from blockchain.errors import ClaimPending
from tests.helpers.jobchain import GOOD_TREE, SETOSA_TREE, JobNode, a_test_set, job_data


def pending_commits(node: JobNode) -> list[str]:
    return [tx.sender for tx in node.chain.pool if tx.type == "JOB_COMMIT"]


def test_the_first_commitments_mined_take_the_slots_and_the_rest_leave_the_pool():
    node = JobNode()
    for who in ("req", "ann", "bob", "cat"):
        node.earn(who, 2)
    job = node.job("req", 1, job_data(a_test_set(), max_commits=2, commit_blocks=4))
    node.mine()
    node.commit("ann", job, 1, GOOD_TREE)
    with pytest.raises(ClaimPending, match="one commitment per worker"):
        node.commit("ann", job, 1, SETOSA_TREE)
    node.commit("bob", job, 1, SETOSA_TREE)
    node.commit("cat", job, 1, GOOD_TREE)           # pending ones do not count against the slots
    assert sorted(pending_commits(node)) == ["ann", "bob", "cat"]
    node.mine()
    assert [c["worker"] for c in node.chain.job(job)["commitments"]] == ["ann", "bob"]
    assert pending_commits(node) == []              # cat's can never fit now: it left the pool
    assert node.chain.balance("cat") == 2           # and locked nothing
    with pytest.raises(InvalidTransaction, match="at most 2 commitments and has 2"):
        node.commit("cat", job, 1, GOOD_TREE)


def test_a_pending_commitment_leaves_the_pool_when_a_block_from_elsewhere_closes_its_window(caplog):
    caplog.set_level(logging.INFO, logger="blockchain")
    ours = JobNode()
    ours.earn("req", 2)
    ours.earn("ann", 2)
    job = ours.job("req", 1, job_data(a_test_set(), commit_blocks=2))
    ours.mine()
    last = ours.chain.job(job)["windows"]["commit"][1]
    theirs = JobNode()
    for block in ours.chain.blocks()[1:]:
        theirs.chain.add_block(block)
    theirs.t = ours.t
    theirs.mine_to(last + 1)                       # their tip is the window's last block
    ours.mine_to(last)                             # our next block is the window's last
    ours.commit("ann", job, 1, GOOD_TREE)
    assert pending_commits(ours) == ["ann"]
    assert ours.chain.add_block(theirs.chain.blocks()[last])  # their block, without ann's commitment
    assert pending_commits(ours) == []
    assert "dropped pending JOB_COMMIT" in caplog.text
    assert ours.chain.balance("ann") == 2          # nothing locked: the commitment never made it


def test_a_reorg_puts_back_the_commitments_and_the_first_mined_take_the_free_slot():
    ours = JobNode()
    for who in ("req", "ann", "bob", "cat"):
        ours.earn(who, 2)
    job = ours.job("req", 1, job_data(a_test_set(), max_commits=2, commit_blocks=6))
    ours.mine()
    theirs = JobNode()
    for block in ours.chain.blocks()[1:]:
        theirs.chain.add_block(block)
    theirs.t = ours.t
    ours.commit("ann", job, 1, GOOD_TREE)
    ours.commit("bob", job, 1, SETOSA_TREE)
    ours.mine()                                    # ann and bob hold both slots on our branch
    theirs.commit("cat", job, 1, GOOD_TREE)
    theirs.mine(3)                                 # cat holds one on theirs, which is longer
    replaced, _ = ours.chain.replace_chain([b.to_dict() for b in theirs.chain.blocks()])
    assert replaced
    assert [c["worker"] for c in ours.chain.job(job)["commitments"]] == ["cat"]
    assert sorted(pending_commits(ours)) == ["ann", "bob"]  # both are valid again, one at a time
    ours.mine()
    assert [c["worker"] for c in ours.chain.job(job)["commitments"]] == ["cat", "ann"]
    assert pending_commits(ours) == []             # bob's no longer fits: it left the pool


def test_a_commitment_kept_unmined_behind_its_senders_queue_does_not_lock_out_honest_workers():
    """mal queues cheap TRANSFERs to an address it also holds, then its JOB_COMMIT behind them (one
    source's transactions keep their order): blocks of 4 transactions never reach the commitment
    within the 3-block commit window. Were pending commitments counted against the slots, ann's would
    be refused meanwhile, and mal would have locked her out for nothing (the review of the first pool
    cap); they are not, so ann's is admitted and mined."""
    node = JobNode(max_block_transactions=4)
    for who in ("req", "ann", "mal"):
        node.earn(who, 30)
    job = node.job("req", 1, job_data(a_test_set(), max_commits=1, commit_blocks=3))
    node.mine()
    last = node.chain.job(job)["windows"]["commit"][1]
    for _ in range(20):
        node.send(Transaction.create({"type": "TRANSFER", "sender": "mal", "recipient": "mal2", "amount": 1,
                                      "timestamp_ms": node.tick()}))
    node.commit("mal", job, 1, SETOSA_TREE)
    while node.chain.height + 1 <= last:
        try:
            node.commit("ann", job, 1, GOOD_TREE)
            break
        except InvalidTransaction:
            node.mine()
    node.mine_to(last + 2)
    assert [c["worker"] for c in node.chain.job(job)["commitments"]] == ["ann"]

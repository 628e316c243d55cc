"""A training job on a network of three real protocol-3 nodes: the JOB is posted to a, the workers'
commitments and reveals and the requester's test reveal go to b and c, blocks are mined by all
three in turn (the settlement by c), and after settlement every node shows the same job, the same
settlement and the same balances."""
import pytest

from blockchain import crypto
from client import Sealed, TestSet
from ml import kinds
from ml.base import iris_base
from ml.measurements import units
from ml.training import train
from tests.helpers.network import connect, step, wait_for_agreement, wait_until

pytestmark = pytest.mark.network
V3 = ("--protocol", "3", "--difficulty", "1", "--min-difficulty", "1", "--sync-interval", "0.3")


def address(key):
    return crypto.address_of(crypto.public_key_hex(key))


def pending_ids(node):
    return {t["id"] for t in node.get("/transactions/pending").json()["transactions"]}


def mine_on(node, nodes):
    """``node`` mines one block; wait until every node has it."""
    height = node.api.health().height + 1
    node.api.mine()
    wait_for_agreement(nodes, timeout=30, height=height)


def sent_everywhere(tx_id, nodes):
    wait_until(lambda: all(tx_id in pending_ids(n) for n in nodes), timeout=30, what=f"{tx_id[:12]} in every pool")


def test_three_nodes_run_a_job_to_settlement_and_agree_on_the_payouts(start_node):
    step("three connected protocol-3 nodes")
    a = start_node("a", extra_args=V3)
    b = start_node("b", extra_args=(*V3, "--peers", a.url))
    c = start_node("c", extra_args=(*V3, "--peers", f"{a.url},{b.url}"))
    connect(a, b)
    connect(a, c)
    connect(b, c)
    nodes = [a, b, c]
    wait_until(lambda: all(len(n.get("/nodes").json()["nodes"]) == 2 for n in nodes), what="every node to know two")

    step("a's miner earns coins and funds a requester and two workers")
    requester, good, lazy = (crypto.generate_private_key() for _ in range(3))
    bank = a.api.health().address
    while a.api.balance(bank).balance < 18:
        mine_on(a, nodes)
    for who, amount in ((requester, 12), (good, 3), (lazy, 3)):
        r = a.post("/transactions/new", json={"sender": bank, "recipient": address(who), "amount": amount})
        assert r.status_code == 201, r.text
        sent_everywhere(r.json()["transaction_id"], nodes)
    mine_on(b, nodes)
    assert [n.api.balance(address(requester)).balance for n in nodes] == [12, 12, 12]

    step("the JOB goes to a; b mines it")
    base = iris_base()
    classes = list(base.classes)
    rows = [[units(v) for v in r] for r in base.train]
    labels = [classes.index(x) for x in base.train_labels]
    test = TestSet.make([[units(v) for v in r] for r in base.test], [classes.index(x) for x in base.test_labels])
    job_id = a.api.create_job(requester, 10, "knn", {"flowers_to": 0}, test, stake=2, max_commits=3,
                              commit_blocks=2, test_blocks=1, model_blocks=2).job_id
    sent_everywhere(job_id, nodes)
    mine_on(b, nodes)
    windows = c.api.job(job_id).windows
    assert all(n.api.job(job_id).state == "commit" for n in nodes)

    step("the workers commit through b and c; c mines the commitments")
    honest = Sealed.for_key(train("knn", rows, labels, 3, seed=0).model, good)
    zero = Sealed.for_key({"kind": "knn", "rows": [[0, 0, 0, 0]], "labels": [0], "weights": [1, 1, 1, 1], "k": 1}, lazy)
    sent_everywhere(b.api.commit_job(good, job_id, honest.commitment).transaction_id, nodes)
    sent_everywhere(c.api.commit_job(lazy, job_id, zero.commitment).transaction_id, nodes)
    mine_on(c, nodes)
    assert all(len(n.api.job(job_id).commitments) == 2 for n in nodes)
    miners = [a, b, c]
    while c.api.health().height < windows.commit[1]:
        mine_on(miners[c.api.health().height % 3], nodes)

    step("the requester reveals its test set through c; a mines it")
    sent_everywhere(c.api.reveal_test(requester, job_id, test).transaction_id, nodes)
    mine_on(a, nodes)
    assert all(n.api.job(job_id).test == test.to_dict() for n in nodes)
    while c.api.health().height < windows.test[1]:
        mine_on(miners[c.api.health().height % 3], nodes)

    step("the models are revealed through b and a; b mines them, c writes the settlement")
    sent_everywhere(b.api.reveal_model(good, job_id, honest).transaction_id, nodes)
    sent_everywhere(a.api.reveal_model(lazy, job_id, zero).transaction_id, nodes)
    mine_on(b, nodes)
    while c.api.health().height < windows.settle - 1:
        mine_on(miners[c.api.health().height % 3], nodes)
    mine_on(c, nodes)                                   # block windows.settle: c's miner writes JOB_SETTLE
    settle_block = a.get(f"/block/{windows.settle}").json()      # read from a node that did not mine it
    settles = [t for t in settle_block["transactions"] if t["type"] == "JOB_SETTLE"]
    rewarded = {t["recipient"] for t in settle_block["transactions"] if t["type"] == "REWARD"}
    assert len(settles) == 1 and rewarded == {c.api.health().address}     # c's miner wrote it
    views = [n.api.job(job_id) for n in nodes]
    assert all(v.state == "settled" and v.settled_in == windows.settle for v in views)
    s = views[0].settlement
    assert s["outcome"] == "won" and s["winner"] == address(good)
    assert dict(map(tuple, s["scores"])) == {address(good): kinds.score(honest.model, test.rows, test.labels),
                                             address(lazy): kinds.score(zero.model, test.rows, test.labels)}
    assert dict(map(tuple, s["payouts"])) == {address(good): 12, address(lazy): 2}
    assert [v.settlement for v in views] == [s, s, s]
    assert [v.to_dict() for v in views[1:]] == [views[0].to_dict()] * 2

    step("every node shows the same balances, and its own chain is valid")
    for who, expected in ((requester, 2), (good, 1 + 12), (lazy, 1 + 2)):
        assert [n.api.balance(address(who)).balance for n in nodes] == [expected] * 3
    assert all(n.api.validate().valid for n in nodes)

"""Training jobs on a network of three real protocol-3 nodes, one test per outcome. "won": the JOB is
posted to a, the workers' commitments and reveals and the requester's test reveal go to b and c,
blocks are mined by all three in turn (the settlement by c), and after settlement every node shows
the same job, the same settlement and the same balances. "withheld": the requester never reveals its
test set (stakes back, the bounty split in exact integer shares, the odd coin to the first
commitment). "no_model": the test set is revealed and no model is (the bounty back to the
requester, the stakes burnt)."""
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


def three_nodes(start_node):
    """Three connected protocol-3 nodes, each knowing the other two."""
    a = start_node("a", extra_args=V3)
    b = start_node("b", extra_args=(*V3, "--peers", a.url))
    c = start_node("c", extra_args=(*V3, "--peers", f"{a.url},{b.url}"))
    connect(a, b)
    connect(a, c)
    connect(b, c)
    nodes = [a, b, c]
    wait_until(lambda: all(len(n.get("/nodes").json()["nodes"]) == 2 for n in nodes), what="every node to know two")
    return nodes


def fund(nodes, amounts):
    """a's miner earns the coins and sends ``amounts`` (key -> coins); b mines the transfers."""
    a, b = nodes[0], nodes[1]
    bank = a.api.health().address
    while a.api.balance(bank).balance < sum(amounts.values()):
        mine_on(a, nodes)
    for who, amount in amounts.items():
        r = a.post("/transactions/new", json={"sender": bank, "recipient": address(who), "amount": amount})
        assert r.status_code == 201, r.text
        sent_everywhere(r.json()["transaction_id"], nodes)
    mine_on(b, nodes)
    for who, amount in amounts.items():
        assert [n.api.balance(address(who)).balance for n in nodes] == [amount] * 3


def mine_through(nodes, height):
    """The three nodes mine in turn until the tip is ``height``."""
    while nodes[2].api.health().height < height:
        mine_on(nodes[nodes[2].api.health().height % 3], nodes)


def agreed_settlement(nodes, job_id, settle_at):
    """The one settlement every node shows for ``job_id``, settled in block ``settle_at``."""
    views = [n.api.job(job_id) for n in nodes]
    assert all(v.state == "settled" and v.settled_in == settle_at for v in views)
    assert [v.to_dict() for v in views[1:]] == [views[0].to_dict()] * 2
    block = nodes[0].get(f"/block/{settle_at}").json()
    assert [t["data"] for t in block["transactions"] if t["type"] == "JOB_SETTLE"] == [views[0].settlement]
    return views[0].settlement


def balances_agree(nodes, expected):
    """Every node shows the balances ``expected`` (key -> coins), and its own chain is valid."""
    for who, coins in expected.items():
        assert [n.api.balance(address(who)).balance for n in nodes] == [coins] * 3, address(who)
    assert all(n.api.validate().valid for n in nodes)


def small_test_set():
    return TestSet.make([[510, 350, 140, 20], [700, 320, 470, 140]], [0, 1])


def test_three_nodes_run_a_job_to_settlement_and_agree_on_the_payouts(start_node):
    step("three connected protocol-3 nodes")
    nodes = three_nodes(start_node)
    a, b, c = nodes

    step("a's miner earns coins and funds a requester and two workers")
    requester, good, lazy = (crypto.generate_private_key() for _ in range(3))
    fund(nodes, {requester: 12, good: 3, lazy: 3})

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


def test_three_nodes_agree_on_a_withheld_test_set_stakes_back_and_the_bounty_split(start_node):
    step("three nodes; a requester (bounty 10) and three workers (stake 2)")
    nodes = three_nodes(start_node)
    a, b, c = nodes
    requester, first, second, third = (crypto.generate_private_key() for _ in range(4))
    fund(nodes, {requester: 10, first: 2, second: 2, third: 2})
    test = small_test_set()
    job_id = b.api.create_job(requester, 10, "tree", {"flowers_to": 0}, test, stake=2, max_commits=3,
                              commit_blocks=2, test_blocks=1, model_blocks=2).job_id
    sent_everywhere(job_id, nodes)
    mine_on(a, nodes)
    windows = a.api.job(job_id).windows

    step("one worker commits in the first block of the window, two in the second")
    model = {"kind": "tree", "nodes": [[0]]}  # each worker seals it for its own address
    sent_everywhere(c.api.commit_job(first, job_id, Sealed.for_key(model, first).commitment).transaction_id, nodes)
    mine_on(b, nodes)
    sent_everywhere(a.api.commit_job(second, job_id, Sealed.for_key(model, second).commitment).transaction_id, nodes)
    sent_everywhere(b.api.commit_job(third, job_id, Sealed.for_key(model, third).commitment).transaction_id, nodes)
    mine_on(c, nodes)
    assert [n.api.job(job_id).commitments[0].worker for n in nodes] == [address(first)] * 3

    step("the requester never reveals; the nodes mine through the settlement")
    mine_through(nodes, windows.settle)
    s = agreed_settlement(nodes, job_id, windows.settle)
    assert s["outcome"] == "withheld" and s["winner"] is None and s["burnt"] == 0
    # 10 // 3 = 3 each, and the 10 % 3 = 1 coin left to the first commitment; every stake back
    assert dict(map(tuple, s["payouts"])) == {address(first): 2 + 4, address(second): 2 + 3, address(third): 2 + 3}
    balances_agree(nodes, {requester: 0, first: 6, second: 5, third: 5})


def test_three_nodes_agree_on_no_model_the_bounty_back_and_the_stakes_burnt(start_node):
    step("three nodes; a requester (bounty 7) and two workers (stake 3)")
    nodes = three_nodes(start_node)
    a, b, c = nodes
    requester, ann, bob = (crypto.generate_private_key() for _ in range(3))
    fund(nodes, {requester: 7, ann: 4, bob: 3})
    test = small_test_set()
    job_id = c.api.create_job(requester, 7, "tree", {"flowers_to": 0}, test, stake=3, max_commits=2,
                              commit_blocks=1, test_blocks=1, model_blocks=2).job_id
    sent_everywhere(job_id, nodes)
    mine_on(b, nodes)
    windows = a.api.job(job_id).windows

    step("both workers commit; the requester reveals its test set through a")
    model = {"kind": "tree", "nodes": [[0]]}  # each worker seals it for its own address
    sent_everywhere(a.api.commit_job(ann, job_id, Sealed.for_key(model, ann).commitment).transaction_id, nodes)
    sent_everywhere(b.api.commit_job(bob, job_id, Sealed.for_key(model, bob).commitment).transaction_id, nodes)
    mine_on(c, nodes)
    assert all(len(n.api.job(job_id).commitments) == 2 for n in nodes)
    mine_through(nodes, windows.commit[1])
    sent_everywhere(a.api.reveal_test(requester, job_id, test).transaction_id, nodes)
    mine_on(b, nodes)
    assert all(n.api.job(job_id).test == test.to_dict() for n in nodes)

    step("no worker reveals its model; the nodes mine through the settlement")
    mine_through(nodes, windows.settle)
    s = agreed_settlement(nodes, job_id, windows.settle)
    assert s["outcome"] == "no_model" and s["winner"] is None
    assert sorted(map(tuple, s["scores"])) == sorted([(address(ann), None), (address(bob), None)])
    assert dict(map(tuple, s["payouts"])) == {address(requester): 7}
    assert s["burnt"] == 2 * 3
    balances_agree(nodes, {requester: 7, ann: 1, bob: 0})

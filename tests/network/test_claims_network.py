"""Deposits, a refund and a report across two real nodes: claims sent to one node, mined by the
other, and both agree on every balance and deposit."""
import pytest

from tests.helpers.network import connect, step, wait_for_agreement, wait_until

pytestmark = pytest.mark.network
SETOSA = {"sepal_length": 5.0, "sepal_width": 3.4, "petal_length": 1.5, "petal_width": 0.2}
STAKED = ("--min-deposit", "1", "--refund-wait", "2")


def test_a_refund_and_a_report_across_two_nodes(start_node):
    a = start_node("a", difficulty=2, extra_args=STAKED)
    b = start_node("b", difficulty=2, extra_args=STAKED)
    connect(a, b)
    step("a's miner funds alice and mallory")
    bank = a.get("/health").json()["address"]
    for _ in range(4):
        a.post("/mine")
    for who in ("alice", "mallory"):
        assert a.post("/transactions/new", json={"sender": bank, "recipient": who, "amount": 2}).status_code == 201
    a.post("/mine")
    wait_for_agreement([a, b])

    step("alice (true label) and mallory (flipped label) contribute on b with a deposit; a mines")
    good = b.post("/flower/add", json={"sender": "alice", **SETOSA, "flower_type": "setosa", "deposit": 2}).json()
    bad = b.post("/flower/add", json={"sender": "mallory", **SETOSA, "flower_type": "virginica", "deposit": 2}).json()
    wait_until(lambda: a.get("/transactions/pending").json()["count"] == 2, what="a to hear of both flowers")
    a.post("/mine")
    a.post("/mine")
    wait_for_agreement([a, b])

    step("alice's refund sent to a, mined by b; her report sent to b, mined by a")
    r = a.post("/flower/refund", json={"sender": "alice", "flower_id": good["transaction_id"]})
    assert r.status_code == 201, r.text
    wait_until(lambda: b.get("/transactions/pending").json()["count"] == 1, what="b to hear of the refund")
    b.post("/mine")
    wait_for_agreement([a, b])
    r = b.post("/flower/report", json={"sender": "alice", "flower_id": bad["transaction_id"]})
    assert r.status_code == 201, r.text
    wait_until(lambda: a.get("/transactions/pending").json()["count"] == 1, what="a to hear of the report")
    a.post("/mine")
    wait_for_agreement([a, b])

    for node in (a, b):
        assert node.get("/balance/alice").json()["balance"] == 4  # her 2 back, and mallory's 2
        assert node.get("/balance/mallory").json()["balance"] == 0
        mallory = node.get("/contributions?sender=mallory").json()["contributions"][0]
        assert (mallory["left"], mallory["reported_by"]) == (0, ["alice"])
        assert node.get("/contributions?sender=alice").json()["good"] == 1
        assert node.get("/chain/validate").json()["valid"] is True

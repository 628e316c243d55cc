"""Deposits, refunds and reports through the API (PROTOCOL.md "Deposits, refunds and reports")
on a staked network: min_deposit 1, refund_wait 2."""
import pytest

from api import create_app
from blockchain.transactions import Transaction, claim_body
from tests.api.conftest import snapshot

SETOSA = {"sepal_length": 5.0, "sepal_width": 3.4, "petal_length": 1.5, "petal_width": 0.2}


@pytest.fixture
def client():
    app = create_app({"ephemeral": True, "difficulty": 1, "min_deposit": 1, "refund_wait": 2})
    yield app.test_client()
    app.extensions["node"].close()


def fund(client, *addresses, each=3):
    node = client.get("/health").get_json()["address"]
    for _ in range(len(addresses) * each):
        client.post("/mine")
    for address in addresses:
        r = client.post("/transactions/new", json={"sender": node, "recipient": address, "amount": each})
        assert r.status_code == 201, r.get_json()
    client.post("/mine")


def claim(client, kind, sender, flower_id):
    return client.post(f"/flower/{kind}", json={"sender": sender, "flower_id": flower_id})


def test_an_honest_contributor_is_refunded_and_a_poisoner_is_reported(client):
    fund(client, "alice", "mallory")
    good = client.post("/flower/add", json={"sender": "alice", **SETOSA, "flower_type": "setosa", "deposit": 2})
    bad = client.post("/flower/add", json={"sender": "mallory", **SETOSA, "flower_type": "virginica", "deposit": 2})
    assert good.status_code == bad.status_code == 201
    assert client.get("/balance/alice").get_json() == {"address": "alice", "balance": 3, "available": 1}
    mined = client.post("/mine").get_json()
    good_id, bad_id = good.get_json()["transaction_id"], bad.get_json()["transaction_id"]
    assert client.get("/balance/alice").get_json()["balance"] == 1  # the deposit left the balance

    before = snapshot(client)
    early = claim(client, "refund", "alice", good_id)
    assert early.status_code == 400 and early.get_json()["error"]["code"] == "claim_not_allowed"
    assert early.get_json()["error"]["message"] == (
        f"refund_wait is 2 blocks; this flower can be claimed from block {mined['index'] + 2} "
        f"(now {mined['index'] + 1})"
    )
    assert snapshot(client) == before
    client.post("/mine")

    wrong = claim(client, "refund", "mallory", bad_id)
    assert wrong.status_code == 400
    assert wrong.get_json()["error"]["message"] == "the model predicts setosa for this flower, not virginica"
    not_yet = claim(client, "report", "alice", bad_id)
    assert not_yet.get_json()["error"]["message"] == (
        "only contributors with a refunded contribution may report; you have none")
    assert claim(client, "refund", "alice", good_id).status_code == 201
    client.post("/mine")
    mine = client.get("/contributions?sender=alice").get_json()
    assert mine["good"] == 1
    assert (
        mine["contributions"][0] | {"deposit": 2, "left": 0, "refunded": True, "model_agrees": True}
        == mine["contributions"][0]
    )
    assert client.get("/balance/alice").get_json()["balance"] == 3

    again = claim(client, "refund", "alice", good_id)
    assert again.get_json()["error"]["message"] == "nothing is left of this deposit"
    assert claim(client, "report", "alice", bad_id).status_code == 201
    client.post("/mine")
    assert client.get("/balance/alice").get_json()["balance"] == 5  # take = min(2, max(1, 2 * 1 // 1))
    theirs = client.get("/contributions?sender=mallory").get_json()["contributions"][0]
    assert (theirs["left"], theirs["refunded"], theirs["reported_by"], theirs["model_agrees"]) == (
        0,
        False,
        ["alice"],
        False,
    )
    assert client.get("/chain/validate").get_json()["valid"] is True


def test_deposit_rules_at_submission(client):
    fund(client, "alice", each=2)
    r = client.post("/flower/add", json={"sender": "alice", **SETOSA, "flower_type": "setosa"})
    assert r.status_code == 400 and "min_deposit 1" in r.get_json()["error"]["message"]
    r = client.post("/flower/add", json={"sender": "alice", **SETOSA, "flower_type": "setosa", "deposit": 3})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "insufficient_funds"
    assert client.post("/flower/add", json={"sender": "alice", **SETOSA, "flower_type": "setosa",
                                            "deposit": 2}).status_code == 201
    r = client.post("/transactions/new", json={"sender": "alice", "recipient": "bob", "amount": 1})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "insufficient_funds"  # the deposit is promised


def test_every_refusal_reason(client):
    """Each rule of PROTOCOL.md "Deposits, refunds and reports" refuses with its own reason."""
    fund(client, "alice", "mallory", "carol", "dave")
    flowers = {}
    for sender, label, deposit in (("alice", "setosa", 1), ("mallory", "virginica", 2), ("carol", "setosa", 1),
                                   ("dave", "setosa", 1)):
        r = client.post("/flower/add", json={"sender": sender, **SETOSA, "flower_type": label, "deposit": deposit})
        flowers[sender] = r.get_json()["transaction_id"]
    client.post("/mine")
    client.post("/mine")
    client.post("/mine")
    assert claim(client, "refund", "alice", flowers["alice"]).status_code == 201
    assert claim(client, "refund", "carol", flowers["carol"]).status_code == 201
    client.post("/mine")

    def refused(kind, sender, flower_id):
        r = claim(client, kind, sender, flower_id)
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "claim_not_allowed", r.get_json()
        return r.get_json()["error"]["message"]

    before = snapshot(client)
    assert (
        refused("refund", "mallory", flowers["dave"]) == "only the contributor (dave) may claim a refund of this flower"
    )
    assert refused("report", "mallory", flowers["mallory"]) == (
        "a contributor may not report their own flower; claim a refund instead")
    assert refused("report", "alice", flowers["dave"]) == (
        "the model agrees with this flower's label setosa; only data it disagrees with can be reported")
    assert refused("refund", "alice", "ab" * 32).startswith("flower_id must name a FLOWER_DATA on the chain")
    assert snapshot(client) == before
    assert claim(client, "report", "alice", flowers["mallory"]).status_code == 201
    client.post("/mine")  # total_good is 2 and alice's good 1: she takes max(1, 2 * 1 // 2) = 1 of 2
    theirs = client.get("/contributions?sender=mallory").get_json()["contributions"][0]
    assert (theirs["left"], theirs["reported_by"]) == (1, ["alice"])
    assert refused("report", "alice", flowers["mallory"]) == "you have already reported this flower"
    assert claim(client, "report", "carol", flowers["mallory"]).status_code == 201
    client.post("/mine")
    assert refused("report", "dave", flowers["mallory"]) == "nothing is left of this deposit"
    assert client.get("/chain/validate").get_json()["valid"] is True


def test_a_second_pending_claim_of_the_same_flower_is_refused_with_409(client):
    fund(client, "alice", "mallory")
    good = client.post("/flower/add", json={"sender": "alice", **SETOSA, "flower_type": "setosa", "deposit": 2})
    bad = client.post("/flower/add", json={"sender": "mallory", **SETOSA, "flower_type": "virginica", "deposit": 2})
    client.post("/mine")
    client.post("/mine")
    good_id, bad_id = good.get_json()["transaction_id"], bad.get_json()["transaction_id"]
    assert claim(client, "refund", "alice", good_id).status_code == 201
    again = claim(client, "refund", "alice", good_id)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "claim_pending"
    assert "one claim per sender and flower may be pending" in again.get_json()["error"]["message"]
    client.post("/mine")
    assert claim(client, "report", "alice", bad_id).status_code == 201
    before = snapshot(client)
    for _ in range(3):
        twin = claim(client, "report", "alice", bad_id)
        assert twin.status_code == 409 and twin.get_json()["error"]["code"] == "claim_pending"
    assert snapshot(client) == before


@pytest.mark.parametrize("protocol", [2, 3])
def test_the_judgement_says_what_the_node_does_with_a_claim_not_yet_due(protocol):
    """/flower/<id>/judgement, /contributions and POST /flower/refund agree: a correct flower whose
    wait is not over is not refundable yet, though the vote is for it; once due, all three allow it."""
    app = create_app({"ephemeral": True, "difficulty": 1, "min_deposit": 1, "refund_wait": 2, "protocol": protocol})
    client = app.test_client()
    try:
        fund(client, "alice")
        flower = client.post("/flower/add", json={"sender": "alice", **SETOSA, "flower_type": "setosa", "deposit": 1})
        flower_id = flower.get_json()["transaction_id"]
        client.post("/mine")
        j = client.get(f"/flower/{flower_id}/judgement").get_json()
        entry = client.get("/contributions?sender=alice").get_json()["contributions"][0]
        assert j["vote_allows_refund"] is True and j["due"] is False
        assert j["refund_allowed"] is False and entry["refund_allowed"] is False
        assert "can be claimed from block" in j["blocked_by"][0]
        assert claim(client, "refund", "alice", flower_id).status_code == 400
        client.post("/mine")
        j = client.get(f"/flower/{flower_id}/judgement").get_json()
        entry = client.get("/contributions?sender=alice").get_json()["contributions"][0]
        assert j["due"] is True and j["blocked_by"] == []
        assert j["refund_allowed"] is True and entry["refund_allowed"] is True
        assert claim(client, "refund", "alice", flower_id).status_code == 201
    finally:
        app.extensions["node"].close()


def test_a_peers_second_claim_of_the_same_flower_says_why_it_was_not_added(client):
    """POST /transactions (the peer route): a valid claim that the one-claim rule keeps out answers 200
    (nothing is wrong with the peer) and says why, rather than calling it already known."""
    fund(client, "alice")
    flower = client.post("/flower/add", json={"sender": "alice", **SETOSA, "flower_type": "setosa", "deposit": 1})
    flower_id = flower.get_json()["transaction_id"]
    for _ in range(3):
        client.post("/mine")
    first = claim(client, "refund", "alice", flower_id)
    assert first.status_code == 201, first.get_json()
    body = claim_body("REFUND", "alice", flower_id, first.get_json()["transaction"]["timestamp_ms"] + 1)
    second = client.post("/transactions", json=Transaction.create(body).to_dict())
    assert second.status_code == 200
    assert "already has a REFUND" in second.get_json()["message"], second.get_json()
    assert client.get("/transactions/pending").get_json()["count"] == 1

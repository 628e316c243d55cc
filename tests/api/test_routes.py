"""Every user-facing route of DESIGN.md through the Flask test client."""
from tests.api.conftest import FLOWER, MEASURES


def test_health(client):
    body = client.get("/health").get_json()
    assert body["status"] == "ok" and body["height"] == 0 and body["difficulty"] == 1
    assert len(body["address"]) == 40 and body["node_id"]


def test_mine_post_and_get(client):
    first = client.post("/mine")
    assert first.status_code == 200
    block = first.get_json()
    assert block["index"] == 1 and block["hash"].startswith("0")
    assert {"message", "index", "hash", "previous_hash", "nonce", "timestamp_ms", "transactions"} <= set(block)
    second = client.get("/mine").get_json()
    assert second["index"] == 2 and second["previous_hash"] == block["hash"]


def test_flower_add_then_mine_trains_the_model(client):
    before = client.get("/model/info").get_json()
    added = client.post("/flower/add", json={**FLOWER, "sepal_length": 5})
    assert added.status_code == 201
    body = added.get_json()
    assert body["block_index"] == 1 and len(body["transaction_id"]) == 64
    assert body["transaction"]["data"]["sepal_length"] == "5.00"  # stored as the protocol's string
    assert client.get("/model/info").get_json() == before  # not trained until mined
    pending = client.get("/transactions/pending").get_json()
    assert pending["count"] == 1 and pending["transactions"][0]["id"] == body["transaction_id"]
    mined = client.post("/mine").get_json()
    assert [t["type"] for t in mined["transactions"]] == ["REWARD", "FLOWER_DATA", "MODEL_UPDATE"]
    info = client.get("/model/info").get_json()
    assert info["data_count"] == 121 and info["model_hash"] != before["model_hash"]
    assert mined["transactions"][-1]["data"]["model_hash"] == info["model_hash"]
    history = client.get("/model/history").get_json()["history"]
    assert [h["block_index"] for h in history] == [0, 1]
    assert history[-1]["data_points_trained"] == 121


def test_predict(client):
    body = client.post("/flower/predict", json=MEASURES).get_json()
    assert body["prediction"] == "setosa"
    assert set(body["probabilities"]) == {"setosa", "versicolor", "virginica"}
    assert abs(sum(body["probabilities"].values()) - 1) < 1e-9


def test_evaluate(client):
    body = client.get("/model/evaluate").get_json()
    assert body["accuracy"] == 1.0 and body["test_samples"] == 30 and body["data_points_trained"] == 120
    assert body["class_metrics"]["virginica"]["recall"] == 1.0
    assert "macro avg" in body["class_metrics"]


def test_transfer_flow_and_balances(client):
    address = client.get("/health").get_json()["address"]
    client.post("/mine")
    client.post("/mine")
    assert client.get(f"/balance/{address}").get_json()["balance"] == 2
    sent = client.post("/transactions/new", json={"sender": address, "recipient": "bob", "amount": 2})
    assert sent.status_code == 201 and sent.get_json()["block_index"] == 3
    assert client.get(f"/balance/{address}").get_json() == {"address": address, "balance": 2, "available": 0}
    refused = client.post("/transactions/new", json={"sender": address, "recipient": "bob", "amount": 1})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "insufficient_funds"
    client.post("/mine")
    assert client.get("/balance/bob").get_json()["balance"] == 2


def test_unfunded_transfer_is_a_clear_400(client):
    r = client.post("/transactions/new", json={"sender": "alice", "recipient": "bob", "amount": 5})
    assert r.status_code == 400
    assert r.get_json()["error"]["code"] == "insufficient_funds"
    assert "alice" in r.get_json()["error"]["message"]


def test_duplicate_submission_is_409(client):
    body = {**FLOWER, "timestamp_ms": 1_700_000_000_000}
    assert client.post("/flower/add", json=body).status_code == 201
    again = client.post("/flower/add", json=body)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "duplicate_transaction"
    assert client.get("/transactions/pending").get_json()["count"] == 1


def test_chain_and_validate(client):
    client.post("/flower/add", json=FLOWER)
    client.post("/mine")
    chain = client.get("/chain").get_json()
    assert chain["length"] == 2 and chain["chain"][1]["previous_hash"] == chain["chain"][0]["hash"]
    assert client.get("/chain/validate").get_json() == {"valid": True, "length": 2, "errors": []}

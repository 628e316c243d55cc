"""Signed transactions through the API (PROTOCOL.md, "Signed transactions")."""
import pytest

from api import create_app
from blockchain import crypto
from blockchain.transactions import flower_body, transfer_body
from tests.api.conftest import MEASURES, snapshot
from tests.helpers.factories import measurements

KEY = crypto.private_key_from_seed("22" * 32)
PUB = crypto.public_key_hex(KEY)
ADDR = crypto.address_of(PUB)


def signed_flower(ts=1_700_000_000_000, **change):
    body = flower_body(ADDR, measurements(MEASURES.values()), "setosa", ts, 0, PUB)
    request = {"sender": ADDR, **MEASURES, "flower_type": "setosa", "timestamp_ms": ts, "public_key": PUB,
               "signature": crypto.sign_body(KEY, body)}
    request.update(change)
    return request


def test_a_signed_flower_is_accepted_and_stored_with_its_signature(client):
    r = client.post("/flower/add", json=signed_flower())
    assert r.status_code == 201
    tx = r.get_json()["transaction"]
    assert tx["public_key"] == PUB and len(tx["signature"]) == 128 and tx["sender"] == ADDR
    mined = client.post("/mine").get_json()
    assert mined["transactions"][1]["signature"] == tx["signature"]
    assert client.get("/chain/validate").get_json()["valid"] is True


def test_the_same_signed_transaction_twice_is_409_and_stored_once(client):
    assert client.post("/flower/add", json=signed_flower()).status_code == 201
    again = client.post("/flower/add", json=signed_flower())
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "duplicate_transaction"
    assert client.get("/transactions/pending").get_json()["count"] == 1


@pytest.mark.parametrize("change,code", [
    ({"sepal_length": 6.0}, "invalid_signature"),               # edited after signing
    ({"flower_type": "virginica"}, "invalid_signature"),
    ({"timestamp_ms": 1_700_000_001_000}, "invalid_signature"),
    ({"deposit": 1}, "invalid_signature"),
    ({"signature": "00" * 64}, "invalid_signature"),             # does not verify
    ({"sender": "someone-else"}, "invalid_transaction"),          # not the key's address
    ({"public_key": crypto.public_key_hex(crypto.private_key_from_seed("33" * 32))}, "invalid_transaction"),
])
def test_forged_or_edited_signed_flowers_are_refused(client, change, code):
    before = snapshot(client)
    r = client.post("/flower/add", json=signed_flower(**change))
    assert r.status_code == 400
    assert r.get_json()["error"]["code"] == code
    assert snapshot(client) == before


def test_a_key_without_its_signature_is_refused(client):
    before = snapshot(client)
    request = signed_flower()
    del request["signature"]
    r = client.post("/flower/add", json=request)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_signature"
    assert snapshot(client) == before


@pytest.mark.parametrize("path,request_body", [
    ("/flower/add", {"sender": "ann", **MEASURES, "flower_type": "setosa"}),
    ("/transactions/new", {"sender": "ann", "recipient": "bob", "amount": 1}),
])
@pytest.mark.parametrize("field", ["signature", "public_key", "timestamp_ms"])
def test_an_optional_field_given_as_null_is_refused(client, path, request_body, field):
    """PROTOCOL.md "Strict JSON": optional fields are absent, never null."""
    before = snapshot(client)
    r = client.post(path, json={**request_body, field: None})
    assert r.status_code == 400, r.get_json()
    error = r.get_json()["error"]
    assert error["code"] == "invalid_request" and error["message"].startswith(f"{field}: must be left out")
    assert error["details"][0]["field"] == field and error["details"][0]["got"] == "null"
    assert snapshot(client) == before


def test_signed_transfer(client):
    unfunded = client.post("/transactions/new", json={"sender": "x", "recipient": ADDR, "amount": 1})
    assert unfunded.status_code == 400 and unfunded.get_json()["error"]["code"] == "insufficient_funds"
    app_address = client.get("/health").get_json()["address"]
    client.post("/mine")
    client.post("/mine")
    assert (
        client.post("/transactions/new", json={"sender": app_address, "recipient": ADDR, "amount": 2}).status_code
        == 201
    )
    client.post("/mine")
    body = transfer_body(ADDR, "bob", 2, 1_700_000_000_000, PUB)
    request = {"sender": ADDR, "recipient": "bob", "amount": 2, "timestamp_ms": 1_700_000_000_000, "public_key": PUB,
               "signature": crypto.sign_body(KEY, body)}
    before = snapshot(client)
    edited = client.post("/transactions/new", json={**request, "amount": 1})
    assert edited.status_code == 400 and edited.get_json()["error"]["code"] == "invalid_signature"
    assert snapshot(client) == before
    accepted = client.post("/transactions/new", json=request)
    assert accepted.status_code == 201
    pending = client.get("/transactions/pending").get_json()["transactions"]
    assert [t["id"] for t in pending] == [accepted.get_json()["transaction_id"]] and pending[0]["signature"]
    again = client.post("/transactions/new", json=request)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "duplicate_transaction"
    assert client.get("/transactions/pending").get_json()["count"] == 1
    assert client.get(f"/balance/{ADDR}").get_json() == {"address": ADDR, "balance": 2, "available": 0}


def test_require_signatures_refuses_unsigned_with_instructions():
    app = create_app({"ephemeral": True, "difficulty": 1, "require_signatures": True})
    try:
        client = app.test_client()
        r = client.post("/flower/add", json={"sender": "anon", **MEASURES, "flower_type": "setosa"})
        assert r.status_code == 400
        error = r.get_json()["error"]
        assert error["code"] == "signature_required"
        assert (
            "public_key" in error["message"] and "signature" in error["message"] and "canon(body)" in error["message"]
        )
        assert client.post("/flower/add", json=signed_flower()).status_code == 201
        assert client.get("/health").get_json()["require_signatures"] is True
    finally:
        app.extensions["node"].close()

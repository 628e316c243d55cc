"""Bad input gets a clear 4xx JSON error and changes nothing (DESIGN.md, invariant 4)."""
import json

import pytest

from tests.api.conftest import FLOWER, MEASURES, snapshot

TRANSFER = {"sender": "alice", "recipient": "bob", "amount": 1}


def raw(text):
    return {"data": text, "content_type": "application/json"}


def js(value):
    return {"json": value}


CASES = [
    # (id, method, path, request kwargs, status, error code)
    ("broken-json", "post", "/transactions/new", raw('{"sender": "a",'), 400, "invalid_json"),
    ("balance-of-a-non-address", "get", "/balance/a%20b", {}, 400, "invalid_request"),
    ("contributions-of-a-non-address", "get", "/contributions/a%20b", {}, 400, "invalid_request"),
    ("dashboard-file-with-a-nul", "get", "/web/%00", {}, 404, "not_found"),
    ("dashboard-file-with-a-nul-inside", "get", "/web/app%00.js", {}, 404, "not_found"),
    ("empty-body", "post", "/flower/add", raw(""), 400, "invalid_json"),
    ("null-body", "post", "/flower/add", raw("null"), 400, "invalid_json"),
    ("list-body", "post", "/transactions/new", js([TRANSFER]), 400, "invalid_json"),
    ("string-body", "post", "/flower/predict", js("hello"), 400, "invalid_json"),
    ("number-body", "post", "/flower/predict", raw("42"), 400, "invalid_json"),
    ("missing-field", "post", "/transactions/new", js({"sender": "a", "recipient": "b"}), 400, "invalid_request"),
    (
        "missing-flower-type",
        "post",
        "/flower/add",
        js({k: v for k, v in FLOWER.items() if k != "flower_type"}),
        400,
        "invalid_request",
    ),
    ("string-number", "post", "/flower/add", js({**FLOWER, "sepal_length": "5"}), 400, "invalid_request"),
    ("bool-number", "post", "/flower/add", js({**FLOWER, "petal_width": True}), 400, "invalid_request"),
    ("object-number", "post", "/flower/predict", js({**MEASURES, "sepal_width": {"v": 1}}), 400, "invalid_request"),
    ("list-number", "post", "/flower/predict", js({**MEASURES, "sepal_width": [1.0]}), 400, "invalid_request"),
    ("null-number", "post", "/flower/predict", js({**MEASURES, "sepal_width": None}), 400, "invalid_request"),
    ("string-amount", "post", "/transactions/new", js({**TRANSFER, "amount": "5"}), 400, "invalid_request"),
    ("bool-amount", "post", "/transactions/new", js({**TRANSFER, "amount": True}), 400, "invalid_request"),
    ("object-sender", "post", "/transactions/new", js({**TRANSFER, "sender": {"a": 1}}), 400, "invalid_request"),
    ("nan", "post", "/flower/add", raw(json.dumps(FLOWER).replace("5.1", "NaN")), 400, "invalid_json"),
    ("infinity", "post", "/flower/predict", raw(json.dumps(MEASURES).replace("5.1", "Infinity")), 400, "invalid_json"),
    ("minus-infinity", "post", "/flower/add", raw(json.dumps(FLOWER).replace("5.1", "-Infinity")), 400, "invalid_json"),
    ("1e400", "post", "/flower/add", raw(json.dumps(FLOWER).replace("5.1", "1e400")), 400, "invalid_request"),
    (
        "1e400-amount",
        "post",
        "/transactions/new",
        raw(json.dumps(TRANSFER).replace(": 1}", ": 1e400}")),
        400,
        "invalid_request",
    ),
    ("negative-amount", "post", "/transactions/new", js({**TRANSFER, "amount": -5}), 400, "invalid_request"),
    ("zero-amount", "post", "/transactions/new", js({**TRANSFER, "amount": 0}), 400, "invalid_request"),
    ("fractional-amount", "post", "/transactions/new", js({**TRANSFER, "amount": 1.5}), 400, "invalid_request"),
    ("float-amount", "post", "/transactions/new", js({**TRANSFER, "amount": 2.0}), 400, "invalid_request"),
    ("huge-amount", "post", "/transactions/new", js({**TRANSFER, "amount": 10**13}), 400, "invalid_request"),
    ("self-transfer", "post", "/transactions/new", js({**TRANSFER, "recipient": "alice"}), 400, "invalid_transaction"),
    ("negative-measure", "post", "/flower/add", js({**FLOWER, "sepal_length": -1.0}), 400, "invalid_request"),
    ("zero-measure", "post", "/flower/add", js({**FLOWER, "sepal_width": 0}), 400, "invalid_request"),
    ("over-100-measure", "post", "/flower/add", js({**FLOWER, "petal_length": 100.01}), 400, "invalid_request"),
    ("negative-predict", "post", "/flower/predict", js({**MEASURES, "petal_width": -0.2}), 400, "invalid_request"),
    ("over-100-predict", "post", "/flower/predict", js({**MEASURES, "petal_width": 1000}), 400, "invalid_request"),
    ("unknown-flower", "post", "/flower/add", js({**FLOWER, "flower_type": "rose"}), 400, "invalid_transaction"),
    ("flower-class-not-a-name", "post", "/flower/add", js({**FLOWER, "flower_type": "Rose!"}), 400, "invalid_request"),
    ("not-hundredths", "post", "/flower/add", js({**FLOWER, "sepal_length": 5.123}), 400, "invalid_request"),
    ("one-decimal-string", "post", "/flower/add", js({**FLOWER, "sepal_length": "5.1"}), 400, "invalid_request"),
    ("deposit-negative", "post", "/flower/add", js({**FLOWER, "deposit": -1}), 400, "invalid_request"),
    ("deposit-unfunded", "post", "/flower/add", js({**FLOWER, "deposit": 5}), 400, "insufficient_funds"),
    (
        "refund-unknown-flower",
        "post",
        "/flower/refund",
        js({"sender": "a", "flower_id": "ab" * 32}),
        400,
        "claim_not_allowed",
    ),
    ("report-bad-id", "post", "/flower/report", js({"sender": "a", "flower_id": "xyz"}), 400, "invalid_request"),
    (
        "peer-sends-a-v1-block",
        "post",
        "/blocks",
        js(
            {
                "index": 1,
                "timestamp": 1.5,
                "previous_hash": "0" * 64,
                "difficulty": 1,
                "merkle_root": "0" * 64,
                "nonce": 0,
                "hash": "0" * 64,
                "transactions": [],
            }
        ),
        400,
        "invalid_block",
    ),
    (
        "peer-sends-a-genesis-tx",
        "post",
        "/transactions",
        js({"type": "GENESIS", "sender": "0", "recipient": "MODEL", "amount": 0, "params": {}, "id": "00" * 32}),
        400,
        "invalid_transaction",
    ),
    ("flower-case", "post", "/flower/add", js({**FLOWER, "flower_type": "Setosa"}), 400, "invalid_request"),
    ("reserved-sender-0", "post", "/transactions/new", js({**TRANSFER, "sender": "0"}), 400, "invalid_request"),
    ("reserved-sender-model", "post", "/flower/add", js({**FLOWER, "sender": "MODEL"}), 400, "invalid_request"),
    ("empty-sender", "post", "/flower/add", js({**FLOWER, "sender": ""}), 400, "invalid_request"),
    ("long-sender", "post", "/flower/add", js({**FLOWER, "sender": "x" * 129}), 400, "invalid_request"),
    ("control-char-sender", "post", "/flower/add", js({**FLOWER, "sender": "a\u0000b"}), 400, "invalid_request"),
    ("unknown-field", "post", "/flower/add", js({**FLOWER, "label": "setosa"}), 400, "invalid_request"),
    ("client-reward", "post", "/transactions/new", js({**TRANSFER, "type": "REWARD"}), 400, "invalid_request"),
    (
        "signature-without-key",
        "post",
        "/transactions/new",
        js({**TRANSFER, "signature": "ab" * 64}),
        400,
        "invalid_signature",
    ),
    ("bad-public-key", "post", "/transactions/new", js({**TRANSFER, "public_key": "zz"}), 400, "invalid_request"),
    (
        "future-timestamp",
        "post",
        "/flower/add",
        js({**FLOWER, "timestamp_ms": 4_000_000_000_000}),
        400,
        "invalid_transaction",
    ),
    (
        "duplicate-keys",
        "post",
        "/flower/predict",
        raw('{"sepal_length": 5.1, "sepal_length": 6.0, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}'),
        400,
        "invalid_json",
    ),
    (
        "not-utf8",
        "post",
        "/flower/add",
        {"data": b'{"sender": "\xff\xfe"}', "content_type": "application/json"},
        400,
        "invalid_json",
    ),
    ("deep-nesting", "post", "/flower/add", raw("[" * 1000 + "]" * 1000), 400, "invalid_json"),
    ("deeper-nesting", "post", "/transactions/new", raw('{"a":' * 100000 + "1" + "}" * 100000), 400, "invalid_json"),
    ("nested-object-1000", "post", "/transactions/new", raw('{"a":' * 1000 + "1" + "}" * 1000), 400, "invalid_json"),
    ("over-1-MiB", "post", "/flower/add", raw('{"sender": "' + "x" * (1024 * 1024) + '"}'), 413, "body_too_large"),
    ("form-encoded", "post", "/flower/add", {"data": {"sender": "a"}}, 415, "unsupported_media_type"),
    (
        "text-plain",
        "post",
        "/transactions/new",
        {"data": json.dumps(TRANSFER), "content_type": "text/plain"},
        415,
        "unsupported_media_type",
    ),
    ("unknown-route", "get", "/nope", {}, 404, "not_found"),
    ("unknown-nested-route", "post", "/flower/remove", js({}), 404, "not_found"),
    ("wrong-method-chain", "post", "/chain", {}, 405, "method_not_allowed"),
    ("wrong-method-mine", "delete", "/mine", {}, 405, "method_not_allowed"),
    ("wrong-method-add", "get", "/flower/add", {}, 405, "method_not_allowed"),
    ("wrong-method-predict", "put", "/flower/predict", js(MEASURES), 405, "method_not_allowed"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_and_changes_nothing(client, case):
    _, method, path, kwargs, status, code = case
    before = snapshot(client)
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and len(error["message"]) > 10
    assert snapshot(client) == before


def test_messages_name_the_field_and_the_value(client):
    error = client.post("/flower/add", json={**FLOWER, "sepal_length": -3.0}).get_json()["error"]
    assert error["message"].startswith("sepal_length:") and "-3.0" in error["message"]
    assert error["details"][0]["field"] == "sepal_length"


def test_the_node_still_works_after_every_bad_request(client):
    for _, method, path, kwargs, _, _ in CASES:
        getattr(client, method)(path, **kwargs)
    assert client.post("/flower/add", json=FLOWER).status_code == 201
    mined = client.post("/mine")
    assert mined.status_code == 200 and len(mined.get_json()["transactions"]) == 3
    assert client.post("/flower/predict", json=MEASURES).get_json()["prediction"] == "setosa"
    assert client.get("/model/evaluate").get_json()["data_points_trained"] == 121
    assert client.get("/chain/validate").get_json()["valid"] is True


def test_a_version_1_block_is_refused_with_the_reason(client):
    old = {"index": 1, "timestamp": 1700000000.5, "previous_hash": "0" * 64, "difficulty": 1, "merkle_root": "0" * 64,
           "nonce": 0, "hash": "0" * 64, "transactions": []}
    r = client.post("/blocks", json=old)
    assert r.status_code == 400 and "protocol version 1 block" in r.get_json()["error"]["message"]


@pytest.mark.parametrize("text, got", [("true", "got true"), ("null", "got null"), ("[1]", "got [1]"),
                                       ("1e400", "finite number")])
def test_a_measurement_of_another_json_type_gets_one_clear_message(client, text, got):
    body = '{"sepal_length": %s, "sepal_width": 3.4, "petal_length": 1.5, "petal_width": 0.2}' % text
    r = client.post("/flower/predict", **raw(body))
    error = r.get_json()["error"]
    assert r.status_code == 400 and error["code"] == "invalid_request"
    assert error["message"].startswith("sepal_length: ") and got in error["message"], error
    assert [d["field"] for d in error["details"]] == ["sepal_length"]


def test_a_bad_flower_id_and_a_missing_address_are_named_plainly(client):
    r = client.post("/flower/refund", json={"sender": "a", "flower_id": "xyz"})
    assert r.status_code == 400 and r.get_json()["error"]["message"].startswith(
        "flower_id: must be 64 lowercase hex characters"), r.get_json()
    r = client.get("/transfers")
    assert (
        r.status_code == 400
        and r.get_json()["error"]["message"] == "address must be given: /transfers?address=<address>"
    )


@pytest.mark.parametrize("flower_type, hint", [("Virginica", '; did you mean "virginica"?'), ("ROSE!", "")])
def test_a_class_name_that_is_not_lowercase_gets_the_friendly_message(client, flower_type, hint):
    error = client.post("/flower/add", json={**FLOWER, "flower_type": flower_type}).get_json()["error"]
    assert error["code"] == "invalid_request"
    assert error["message"] == (f"flower_type: must be one of the network's class names (GET /model/info), in "
                                f"lowercase{hint}; got {json.dumps(flower_type)}")
    assert "[a-z0-9" not in error["message"]  # no raw pattern

"""A transaction's own rules (PROTOCOL.md v2, "Transactions"), checked without a chain."""
import math

import pytest

from blockchain import InvalidSignature, InvalidTransaction, Transaction, crypto, flower_body
from blockchain.transactions import signed
from tests.helpers.factories import flower
from tests.helpers.vectors import vectors

GOOD_FLOWER = {"type": "FLOWER_DATA", "sender": "a", "recipient": "MODEL", "amount": 0, "timestamp_ms": 1000,
               "data": {"sepal_length": "5.00", "sepal_width": "3.00", "petal_length": "1.00", "petal_width": "0.20",
                        "flower_type": "setosa"}}
GOOD_TRANSFER = {"type": "TRANSFER", "sender": "a", "recipient": "b", "amount": 1, "timestamp_ms": 1000}
GOOD_REFUND = {"type": "REFUND", "sender": "a", "recipient": "MODEL", "amount": 0, "timestamp_ms": 1000,
               "flower_id": "ab" * 32}


def _with(base, path, value):
    body = {**base, "data": dict(base["data"])} if "data" in base else dict(base)
    target = body["data"] if path.startswith("data.") else body
    key = path.split(".")[-1]
    if value is KeyError:
        del target[key]
    else:
        target[key] = value
    return body


@pytest.mark.parametrize("path,value,words", [
    ("data.sepal_length", "-1.00", "two decimals"),
    ("data.sepal_length", "0.00", "0.01 to 100.00"),
    ("data.sepal_length", "100.50", "0.01 to 100.00"),
    ("data.sepal_length", "5.0", "two decimals"),
    ("data.sepal_length", "05.00", "two decimals"),
    ("data.sepal_length", 5.0, "float"),
    ("data.sepal_length", math.nan, "float"),
    ("data.sepal_length", 5, "two decimals"),
    ("data.sepal_length", True, "two decimals"),
    ("data.flower_type", "Rose", "flower_type must be a class name"),
    ("data.flower_type", 7, "flower_type must be a class name"),
    ("data.petal_width", KeyError, "exactly the keys"),
    ("sender", "0", "reserved"),
    ("sender", "MODEL", "reserved"),
    ("sender", "", "1 to 128"),
    ("sender", "x" * 129, "1 to 128"),
    ("sender", "a\nb", "printable ASCII"),
    ("sender", "a b", "without spaces"),
    ("sender", "\U0001fae8", "printable ASCII"),  # a code point newer interpreters call printable
    ("recipient", "bob", 'recipient "MODEL"'),
    ("amount", -1, "from 0 to"),
    ("amount", 10**12 + 1, "from 0 to"),
    ("timestamp_ms", "now", "timestamp_ms"),
    ("timestamp_ms", 1.5, "float"),
    ("timestamp_ms", -1, "non-negative"),
    ("timestamp_ms", 2**53, "-2^53 < v < 2^53"),
    ("extra", 1, "must not have the fields"),
])
def test_flower_rules(path, value, words):
    with pytest.raises(InvalidTransaction) as err:
        Transaction.create(_with(GOOD_FLOWER, path, value))
    assert words in err.value.message


@pytest.mark.parametrize("path,value,words", [
    ("amount", 0, "from 1 to"),
    ("amount", -5, "from 1 to"),
    ("amount", 10**12 + 1, "from 1 to"),
    ("amount", 1.5, "float"),
    ("amount", True, "integer"),
    ("recipient", "a", "never sends to itself"),
    ("recipient", "MODEL", "reserved"),
    ("sender", "0", "reserved"),
    ("type", "STEAL", "type must be one of"),
])
def test_transfer_rules(path, value, words):
    with pytest.raises(InvalidTransaction) as err:
        Transaction.create(_with(GOOD_TRANSFER, path, value))
    assert words in err.value.message


@pytest.mark.parametrize("path,value,words", [
    ("amount", 1, "amount 0"),
    ("flower_id", "AB" * 32, "flower_id"),
    ("recipient", "bob", 'recipient "MODEL"'),
])
def test_claim_rules(path, value, words):
    with pytest.raises(InvalidTransaction) as err:
        Transaction.create(_with(GOOD_REFUND, path, value))
    assert words in err.value.message


def test_valid_bodies_get_canonical_ids():
    for body in (GOOD_TRANSFER, GOOD_FLOWER, GOOD_REFUND):
        tx = Transaction.create(body)
        assert Transaction.from_dict(tx.to_dict()) == tx
    assert flower().type == "FLOWER_DATA"


def test_wrong_id_is_refused():
    data = Transaction.create(GOOD_TRANSFER).to_dict()
    data["id"] = "0" * 64
    with pytest.raises(InvalidTransaction, match="id must be"):
        Transaction.from_dict(data)


def test_signatures():
    vector = vectors()["transactions"]["signed"]
    key = crypto.private_key_from_seed(vector["private_key_seed_hex"])
    pub = crypto.public_key_hex(key)
    data = vector["transaction"]["data"]
    body = flower_body(crypto.address_of(pub), data, data["flower_type"], 1700000000002, 0, pub)
    tx = signed(body, key)
    assert tx.to_dict() == vector["transaction"]
    edited = {**tx.to_dict(), "amount": 4}
    with pytest.raises(InvalidTransaction):
        Transaction.from_dict(edited)  # id no longer matches the edited body
    with pytest.raises(InvalidSignature):
        Transaction.create({**body, "amount": 4}, tx.signature)  # re-hashed, but the signature fails
    with pytest.raises(InvalidTransaction, match="address of public_key"):
        Transaction.create({**body, "sender": "someone-else"}, tx.signature)
    with pytest.raises(InvalidSignature, match="must have a signature"):
        Transaction.create(body)


def test_clients_cannot_forge_node_transactions():
    reward = {"type": "REWARD", "sender": "0", "recipient": "me", "amount": 1000, "block_index": 1}
    with pytest.raises(InvalidTransaction, match="REWARD"):
        Transaction.create(reward)


@pytest.mark.parametrize("value", [{}, [], None, 5, {"a": 1}])
def test_a_type_of_the_wrong_kind_is_invalid_not_a_crash(value):
    # found by schemathesis: {"type": {}} used to raise TypeError (unhashable) and answer 500
    with pytest.raises(InvalidTransaction, match="type must be one of"):
        Transaction.create({**GOOD_TRANSFER, "type": value})


def test_a_transaction_cannot_be_edited_after_it_is_made():
    tx = Transaction.create(GOOD_FLOWER)
    with pytest.raises(TypeError):
        tx.body["amount"] = 5
    with pytest.raises(TypeError):
        tx.body["data"]["flower_type"] = "virginica"
    copy = tx.to_dict()
    copy["data"]["flower_type"] = "virginica"
    assert tx.label() == "setosa" and tx.computed_id() == tx.id

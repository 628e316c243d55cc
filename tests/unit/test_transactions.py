"""A transaction's own rules (PROTOCOL.md, "Transactions"), checked without a chain."""
import math

import pytest

from blockchain import InvalidSignature, InvalidTransaction, Transaction, crypto, transfer_body
from blockchain.transactions import signed
from tests.helpers.factories import flower
from tests.helpers.vectors import vectors

GOOD_FLOWER = {"type": "FLOWER_DATA", "sender": "a", "recipient": "MODEL", "amount": 0, "timestamp": 1.0,
               "data": {"sepal_length": 5.0, "sepal_width": 3.0, "petal_length": 1.0, "petal_width": 0.2,
                        "flower_type": "setosa"}}
GOOD_TRANSFER = {"type": "TRANSFER", "sender": "a", "recipient": "b", "amount": 1, "timestamp": 1.0}


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
    ("data.sepal_length", -1.0, "(0, 100]"),
    ("data.sepal_length", 0.0, "(0, 100]"),
    ("data.sepal_length", 100.5, "(0, 100]"),
    ("data.sepal_length", math.nan, "finite float"),
    ("data.sepal_length", math.inf, "finite float"),
    ("data.sepal_length", "5", "finite float"),
    ("data.sepal_length", 5, "finite float"),  # stored form is a float, 5.0
    ("data.sepal_length", True, "finite float"),
    ("data.flower_type", "rose", "flower_type must be one of"),
    ("data.petal_width", KeyError, "exactly the keys"),
    ("sender", "0", "reserved"),
    ("sender", "MODEL", "reserved"),
    ("sender", "", "1 to 128"),
    ("sender", "x" * 129, "1 to 128"),
    ("sender", "a\nb", "printable"),
    ("recipient", "bob", 'recipient "MODEL"'),
    ("amount", 1, 'amount 0'),
    ("timestamp", "now", "timestamp"),
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
    ("amount", 1.5, "integer"),
    ("amount", True, "integer"),
    ("recipient", "a", "never sends to itself"),
    ("sender", "0", "reserved"),
    ("type", "STEAL", "type must be one of"),
])
def test_transfer_rules(path, value, words):
    with pytest.raises(InvalidTransaction) as err:
        Transaction.create(_with(GOOD_TRANSFER, path, value))
    assert words in err.value.message


def test_valid_bodies_get_canonical_ids():
    tx = Transaction.create(GOOD_TRANSFER)
    assert Transaction.from_dict(tx.to_dict()) == tx
    assert flower().type == "FLOWER_DATA"


def test_wrong_id_is_refused():
    data = Transaction.create(GOOD_TRANSFER).to_dict()
    data["id"] = "0" * 64
    with pytest.raises(InvalidTransaction, match="id must be"):
        Transaction.from_dict(data)


def test_signatures():
    key = crypto.private_key_from_seed(vectors()["signed_transaction"]["private_key_seed_hex"])
    pub = crypto.public_key_hex(key)
    body = transfer_body(crypto.address_of(pub), "bob", 3, 1700000002.0, pub)
    tx = signed(body, key)
    assert tx.to_dict() == vectors()["signed_transaction"]["transaction"]
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

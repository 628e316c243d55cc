"""client.Node.send and send_flower sign with a wallet key; a node that requires signatures
accepts them and mines them under the key's address."""
import pytest

from blockchain import crypto
from client import ApiError, Node

IRIS = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}


def test_a_signed_flower_is_accepted_where_signatures_are_required(start_node):
    node = Node(start_node("signed", difficulty=1, extra_args=("--require-signatures",)).url, timeout=30)
    key = crypto.generate_private_key()
    address = crypto.address_of(crypto.public_key_hex(key))
    with pytest.raises(ApiError) as refused:
        node.add_flower(address, "setosa", IRIS)
    assert refused.value.status in (400, 401, 403)
    sent = node.send_flower(key, "setosa", IRIS)
    assert node.mine().index == 1
    assert [c.flower_id for c in node.contributions(address).contributions] == [sent.transaction_id]


def test_a_signed_transfer_moves_coins(start_node):
    node = Node(start_node("signed-send", difficulty=1).url, timeout=30)
    key = crypto.generate_private_key()
    address = crypto.address_of(crypto.public_key_hex(key))
    node.mine()
    miner = node.block(1).transactions[-1].recipient
    node.add_transaction({"sender": miner, "recipient": address, "amount": 1})
    node.mine()
    sent = node.send(key, "bob", 1)
    assert sent.transaction.public_key == crypto.public_key_hex(key)
    node.mine()
    assert (node.balance("bob").balance, node.balance(address).balance) == (1, 0)

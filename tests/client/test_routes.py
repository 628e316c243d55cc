"""client.Node's route methods against one real node: a flower and a transfer go through the
pool into a block, and every read route answers with the fields its schema promises."""
import pytest

from client import ApiError, Node

IRIS = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}


@pytest.fixture
def node(start_node):
    return Node(start_node("routes", difficulty=1).url, timeout=30)


def test_a_flower_and_a_transfer_are_mined_and_seen_everywhere(node):
    node.mine()  # the miner gets coins to send
    miner = node.block(1)["transactions"][-1]["recipient"]
    flower = node.add_flower("alice", "setosa", IRIS)
    transfer = node.add_transaction({"sender": miner, "recipient": "bob", "amount": 1})
    waiting = {t["id"] for t in node.pending()["transactions"]}
    assert {flower["transaction_id"], transfer["transaction_id"]} <= waiting
    mined = node.mine()
    assert node.pending()["transactions"] == []
    block = node.block(2)
    assert node.block(block["hash"])["index"] == 2 == mined["index"]
    assert {flower["transaction_id"], transfer["transaction_id"]} <= {t["id"] for t in block["transactions"]}
    assert node.balance("bob")["balance"] == 1
    assert [(c["flower_id"], c["block_index"]) for c in node.contributions("alice")["contributions"]] == [
        (flower["transaction_id"], 2)]
    assert node.validate()["valid"] is True
    assert node.tip()["height"] == 2 == node.chain()["length"] - 1
    assert [b["index"] for b in node.chain(page=1)["chain"]] == [1, 2]


def test_model_routes_and_prediction(node):
    assert node.predict(IRIS)["prediction"] == "setosa"
    assert node.model_info()["model_hash"] == node.health()["model_hash"]
    assert 0 <= node.model_evaluate()["accuracy"] <= 1
    assert isinstance(node.model_history()["history"], list)
    assert node.nodes()["nodes"] == []


def test_a_bad_flower_is_an_api_error(node):
    with pytest.raises(ApiError) as caught:
        node.add_flower("alice", "rose", IRIS)
    assert caught.value.status == 400


def test_the_transfer_and_history_iterators(node):
    node.mine()
    miner = node.block(1)["transactions"][-1]["recipient"]
    ids = [node.add_transaction({"sender": miner, "recipient": "bob", "amount": 1})["transaction_id"]]
    node.add_flower("alice", "versicolor", {"sepal_length": 6.0, "sepal_width": 2.9, "petal_length": 4.5,
                                            "petal_width": 1.5})
    node.mine()
    assert [t["id"] for t in node.iter_transfers("bob")] == ids
    assert list(node.iter_model_history()) == node.model_history()["history"] != []

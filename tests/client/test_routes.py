"""client.Node's route methods against one real node: a flower and a transfer go through the
pool into a block, and every read route answers a typed object with the fields its schema promises."""
import pytest

from blockchain import crypto
from client import ApiError, Node, models

IRIS = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}


@pytest.fixture
def node(start_node):
    return Node(start_node("routes", difficulty=1).url, timeout=30)


def test_a_flower_and_a_transfer_are_mined_and_seen_everywhere(node):
    node.mine()  # the miner gets coins to send
    miner = node.block(1).transactions[-1].recipient
    flower = node.add_flower("alice", "setosa", IRIS)
    transfer = node.add_transaction({"sender": miner, "recipient": "bob", "amount": 1})
    assert isinstance(flower, models.Accepted) and flower.transaction.data["sepal_length"] == "5.10"
    waiting = node.pending()
    assert {t.id for t in waiting.transactions} == {flower.transaction_id, transfer.transaction_id}
    assert waiting.count == 2 and waiting.next is None
    assert node.proof(flower.transaction_id).status == "pending"
    mined = node.mine()
    assert isinstance(mined, models.Mined) and mined.message
    assert node.pending().transactions == []
    block = node.block(2)
    assert isinstance(block, models.Block) and block.main_chain is True
    assert node.block(block.hash).index == 2 == mined.index
    assert {flower.transaction_id, transfer.transaction_id} <= {t.id for t in block.transactions}
    assert (node.proof(flower.transaction_id).status, node.proof(flower.transaction_id).block_index) == (
        "confirmed", 2)
    bob = node.balance("bob")
    assert (bob.address, bob.balance, bob.available) == ("bob", 1, 1)
    mine = node.contributions("alice")
    assert [(c.flower_id, c.block_index, c.model_agrees) for c in mine.contributions] == [
        (flower.transaction_id, 2, True)]
    assert (mine.count, mine.good) == (1, 0)
    assert [c.flower_id for c in node.iter_contributions("alice")] == [flower.transaction_id]
    judged = node.judgement(flower.transaction_id)
    assert (judged.label, judged.k, len(judged.neighbours)) == ("setosa", 3, 3)
    assert node.validate().valid is True and node.validate().errors == []
    assert node.tip().height == 2 == node.chain().length - 1
    assert node.tip().hash == node.health().tip == block.hash
    assert [b.index for b in node.chain(page=1).chain] == [1, 2]
    assert node.transfers("bob").transfers[0].id == transfer.transaction_id


def test_model_routes_and_prediction(node):
    predicted = node.predict(IRIS)
    assert predicted.prediction == "setosa" and predicted.probabilities["setosa"] == 1.0
    assert [n.label for n in predicted.neighbours] == ["setosa"] * 3
    info = node.model_info()
    assert info.model_hash == node.health().model_hash == predicted.model_hash
    assert info.classes == ["setosa", "versicolor", "virginica"] and info.trained is True
    evaluation = node.model_evaluate()
    assert 0 <= evaluation.accuracy <= 1 and evaluation.confusion_matrix.labels == info.classes
    assert sum(map(sum, evaluation.confusion_matrix.matrix)) == evaluation.test_samples == info.test_rows
    history = node.model_history().history
    assert [(h.block_index, h.model_hash) for h in history] == [(0, info.model_hash)]
    assert node.nodes().nodes == []


def test_to_dict_is_the_answer_as_the_node_sent_it(node):
    health = node.health()
    raw = node.call("GET", "/health")
    assert health.to_dict() == raw
    node.add_flower("alice", "setosa", IRIS)
    node.mine()
    block = node.block(1)
    assert block.to_dict() == node.call("GET", "/block/1")  # nested, without the optional fields left out
    assert "data" not in block.to_dict()["transactions"][0] and block.transactions[0].data is None  # the REWARD
    assert health.require_signatures is False  # a field beyond the contract's, kept as an attribute
    with pytest.raises(Exception):  # noqa: B017 - answers are read-only (pydantic raises ValidationError)
        health.height = 5


def test_a_bad_flower_is_an_api_error(node):
    with pytest.raises(ApiError) as caught:
        node.add_flower("alice", "rose", IRIS)
    assert caught.value.status == 400


def test_the_transfer_and_history_iterators(node):
    node.mine()
    miner = node.block(1).transactions[-1].recipient
    ids = [node.add_transaction({"sender": miner, "recipient": "bob", "amount": 1}).transaction_id]
    node.add_flower("alice", "versicolor", {"sepal_length": 6.0, "sepal_width": 2.9, "petal_length": 4.5,
                                            "petal_width": 1.5})
    node.mine()
    assert [t.id for t in node.iter_transfers("bob")] == ids
    history = list(node.iter_model_history())
    assert history == node.model_history().history and [h.block_index for h in history] == [0, 2]
    assert all(isinstance(h, models.HistoryEntry) for h in history)


def test_a_refund_claim_too_early_is_refused_with_the_reason(node):
    key = crypto.generate_private_key()
    node.mine()
    flower = node.send_flower(key, "setosa", IRIS)
    node.mine()
    with pytest.raises(ApiError) as caught:
        node.claim(key, "refund", flower.transaction_id)
    assert (caught.value.status, caught.value.code) == (400, "claim_not_allowed")
    with pytest.raises(ValueError):
        node.claim(key, "steal", flower.transaction_id)


def test_drift_and_base_data(node):
    drift = node.model_drift()
    assert (drift.window, drift.enough_data, drift.drifted) == (50, False, False)
    assert node.model_drift(window=5).window == 5
    with pytest.raises(ApiError) as caught:
        node.model_drift(window=1)
    assert caught.value.status == 400
    base = node.model_base()
    info = node.model_info()
    assert base.classes == info.classes and len(base.test) == len(base.test_labels) == info.test_rows
    assert len(base.train) == len(base.train_labels) > 0 and all(len(row) == 4 for row in base.train)


def test_artifacts_are_stored_listed_read_and_fetched_from_a_peer(start_node):
    import hashlib

    a = Node(start_node("art-a", difficulty=1).url, timeout=30)
    b = Node(start_node("art-b", difficulty=1).url, timeout=30)
    data = b"rows a worker trains on"
    stored = a.put_artifact(data)
    assert (stored.sha256, stored.size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert a.put_artifact(data) == stored  # held already: the same answer (200)
    assert a.artifact(stored.sha256) == data
    assert [x.sha256 for x in a.artifacts().artifacts] == [stored.sha256] == [x.sha256 for x in a.iter_artifacts()]
    with pytest.raises(ApiError) as caught:
        b.artifact(stored.sha256)
    assert caught.value.status == 404
    b.register([a.url])
    fetched = b.fetch_artifact(stored.sha256)
    assert (fetched.created, fetched.peer, fetched.sha256) == (True, a.url, stored.sha256)
    assert b.artifact(stored.sha256) == data
    again = b.fetch_artifact(stored.sha256)
    assert (again.created, again.peer) == (False, None)

"""The /jobs API on one real protocol-3 node: a job from creation to settlement through HTTP (signed
by the client library), and every 4xx a user can meet on the way: an unknown job, a window that is
closed or not yet open, a second commitment, a reveal that does not match its commitment, a model
over the bounds, a prediction before settlement; and a copycat that copies a rival's commitment and
replays its reveal (refused: the commitment binds its worker; its stake is burnt, the rival wins)."""
import pytest

from blockchain import crypto
from client import Sealed, TestSet
from client.node import ApiError
from ml import kinds
from ml.base import iris_base
from ml.measurements import units
from ml.training import train

V3 = ("--protocol", "3", "--difficulty", "1", "--min-difficulty", "1")


def iris():
    base = iris_base()
    classes = list(base.classes)
    rows = [[units(v) for v in r] for r in base.train]
    return (rows, [classes.index(c) for c in base.train_labels],
            [[units(v) for v in r] for r in base.test], [classes.index(c) for c in base.test_labels])


class Net:
    def __init__(self, process):
        self.p = process
        self.api = process.api
        self.bank = self.api.health().address

    def mine(self, n=1):
        for _ in range(n):
            self.api.mine()

    def height(self):
        return self.api.health().height

    def mine_to(self, height):
        """Mine until the tip is ``height`` (so the next block is height + 1)."""
        while self.height() < height:
            self.mine()

    def fund(self, amounts):
        while self.api.balance(self.bank).balance < sum(amounts.values()):
            self.mine()
        for who, amount in amounts.items():
            r = self.p.post("/transactions/new", json={"sender": self.bank, "recipient": who, "amount": amount})
            assert r.status_code == 201, r.text
        self.mine()

    def balance(self, who):
        return self.api.balance(who).balance


def address(key):
    return crypto.address_of(crypto.public_key_hex(key))


def error(call):
    with pytest.raises(ApiError) as caught:
        call()
    return caught.value.status, caught.value.code, caught.value.message


@pytest.fixture
def net(start_node):
    return Net(start_node("jobs", extra_args=V3))


def test_a_job_from_creation_to_settlement_and_every_refusal(net):
    requester, good, lazy = (crypto.generate_private_key() for _ in range(3))
    net.fund({address(requester): 12, address(good): 3, address(lazy): 3})
    rows, labels, test_rows, test_labels = iris()
    test = TestSet.make(test_rows, test_labels)
    posted = net.api.create_job(requester, 10, "knn", {"flowers_to": 0}, test, stake=2, max_commits=4,
                                commit_blocks=3, test_blocks=2, model_blocks=2)
    job_id = posted.job_id
    assert posted.transaction_id == job_id
    assert error(lambda: net.api.job(job_id))[:2] == (404, "unknown_job")   # pending: not a job until mined
    net.mine()
    job = net.api.job(job_id)
    w = job.windows
    assert job.state == "commit" and job.requester == address(requester) and job.bounty == 10
    assert job.data["test_commitment"] == test.commitment and job.test is None
    assert job.data["features"] == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert net.balance(address(requester)) == 2    # the bounty is escrowed

    honest = Sealed.for_key(train("knn", rows, labels, 3, seed=0).model, good)
    zero = Sealed.for_key({"kind": "knn", "rows": [[0, 0, 0, 0]], "labels": [0], "weights": [1, 1, 1, 1], "k": 1}, lazy)
    # before the commit window closes: no test reveal, no model reveal, no prediction
    assert error(lambda: net.api.reveal_test(requester, job_id, test))[:2] == (409, "window_closed")
    assert error(lambda: net.api.reveal_model(good, job_id, honest))[:2] == (409, "window_closed")
    assert error(lambda: net.api.job_predict(job_id, [[510, 350, 140, 20]]))[:2] == (409, "not_settled")
    net.api.commit_job(good, job_id, honest.commitment)
    net.api.commit_job(lazy, job_id, zero.commitment)
    net.mine()
    status, code, message = error(lambda: net.api.commit_job(good, job_id, zero.commitment))
    assert (status, code) == (409, "already_committed") and "one commitment per worker" in message
    assert error(lambda: net.api.commit_job(good, "ab" * 32, honest.commitment, stake=2))[:2] == (404, "unknown_job")
    assert [c.worker for c in net.api.job(job_id).commitments] == [address(good), address(lazy)]
    assert net.balance(address(good)) == 1          # the stake is locked

    net.mine_to(w.commit[1])                          # the next block opens the test window
    assert net.api.job(job_id).state == "test"
    late = crypto.generate_private_key()
    assert error(lambda: net.api.commit_job(late, job_id, honest.commitment))[:2] == (409, "window_closed")
    wrong = TestSet.make(test_rows, test_labels)      # the same rows, another salt
    status, code, message = error(lambda: net.api.reveal_test(requester, job_id, wrong))
    assert (status, code) == (400, "commitment_mismatch") and "test_commitment" in message
    assert error(lambda: net.api.reveal_test(good, job_id, test))[:2] == (400, "not_requester")
    net.api.reveal_test(requester, job_id, test)
    net.mine()
    assert net.api.job(job_id).test == test.to_dict()

    net.mine_to(w.test[1])
    assert net.api.job(job_id).state == "model"
    other = Sealed.make(honest.model, address(good))   # the committed model under another salt
    assert error(lambda: net.api.reveal_model(good, job_id, other))[:2] == (400, "commitment_mismatch")
    too_big = Sealed.make({**honest.model, "k": kinds.MAX_K + 1}, address(good))
    status, code, message = error(lambda: net.api.reveal_model(good, job_id, too_big))
    assert (status, code) == (400, "invalid_model") and "k must be" in message
    assert error(lambda: net.api.reveal_model(requester, job_id, honest))[:2] == (400, "not_committed")
    net.api.reveal_model(good, job_id, honest)
    net.api.reveal_model(lazy, job_id, zero)
    net.mine()
    assert error(lambda: net.api.reveal_model(good, job_id, honest))[:2] == (409, "already_revealed")
    assert set(net.api.job(job_id).models) == {address(good), address(lazy)}

    net.mine_to(w.settle)
    job = net.api.job(job_id)
    assert job.state == "settled" and job.settled_in == w.settle
    s = job.settlement
    expected = {address(good): kinds.score(honest.model, test_rows, test_labels),
                address(lazy): kinds.score(zero.model, test_rows, test_labels)}
    assert s["outcome"] == "won" and s["winner"] == address(good)
    assert dict(map(tuple, s["scores"])) == expected
    assert dict(map(tuple, s["payouts"])) == {address(good): 12, address(lazy): 2}
    assert net.balance(address(good)) == 1 + 12 and net.balance(address(lazy)) == 1 + 2
    assert net.balance(address(requester)) == 2

    answer = net.api.job_predict(job_id, test_rows)
    assert answer.winner == address(good) and answer.kind == "knn"
    assert answer.predictions == kinds.predict_all(honest.model, test_rows)
    assert answer.labels == [["setosa", "versicolor", "virginica"][p] for p in answer.predictions]
    status, code, _ = error(lambda: net.api.job_predict(job_id, [[1, 2, 3]]))
    assert (status, code) == (400, "invalid_request")

    page = net.api.jobs("settled")
    assert page.count == 1 and [j.id for j in page.jobs] == [job_id] and page.next is None
    listed = page.jobs[0].to_dict()
    assert listed["test_revealed"] is True and "models" not in listed and "test" not in listed
    assert listed["settlement"] == s and listed["commitments"] == [c.to_dict() for c in job.commitments]
    assert net.api.jobs("commit").count == 0


def test_a_copycat_front_running_a_commitment_cannot_open_it_and_loses_its_stake(net):
    """The copycat reads the honest worker's pending JOB_COMMIT, copies its model_commitment and is
    ordered before it (sent first, so mined first in the same block). At reveal time it replays the
    honest reveal (the same model and salt) as its own: the node refuses it with 400
    ``commitment_mismatch``, saying the commitment binds its worker; at settlement the copy is an
    unrevealed commitment, so its stake is burnt, and the honest worker wins."""
    requester, honest_key, copycat = (crypto.generate_private_key() for _ in range(3))
    net.fund({address(requester): 5, address(honest_key): 2, address(copycat): 2})
    _, _, test_rows, test_labels = iris()
    test = TestSet.make(test_rows, test_labels)
    job_id = net.api.create_job(requester, 5, "tree", {"flowers_to": 0}, test, stake=2, max_commits=4,
                                commit_blocks=2, test_blocks=1, model_blocks=2).job_id
    net.mine()
    w = net.api.job(job_id).windows
    tree = {"kind": "tree", "nodes": [[2, 245, 1, 2], [0], [3, 165, 3, 4], [1], [2]]}
    honest = Sealed.for_key(tree, honest_key)
    net.api.commit_job(copycat, job_id, honest.commitment)    # the copy, ahead of the original
    net.api.commit_job(honest_key, job_id, honest.commitment)
    net.mine()
    commits = net.api.job(job_id).commitments
    assert [c.worker for c in commits] == [address(copycat), address(honest_key)]
    assert commits[0].model_commitment == commits[1].model_commitment and commits[0].height == commits[1].height

    net.mine_to(w.commit[1])
    net.api.reveal_test(requester, job_id, test)
    net.mine_to(w.test[1])
    replay = Sealed(honest.model, honest.salt, address(copycat))   # the honest model and salt, sent by the copycat
    status, code, message = error(lambda: net.api.reveal_model(copycat, job_id, replay))
    assert (status, code) == (400, "commitment_mismatch"), message
    assert f"they are {address(honest_key)}'s model and salt" in message and "binds its worker" in message
    net.api.reveal_model(honest_key, job_id, honest)
    net.mine()
    status, code, message = error(lambda: net.api.reveal_model(copycat, job_id, replay))   # seen on the chain: still
    assert (status, code) == (400, "commitment_mismatch") and "binds its worker" in message

    net.mine_to(w.settle)
    s = net.api.job(job_id).settlement
    assert s["outcome"] == "won" and s["winner"] == address(honest_key)
    assert s["scores"] == [[address(copycat), None], [address(honest_key), kinds.score(tree, test_rows, test_labels)]]
    assert s["burnt"] == 2 and dict(map(tuple, s["payouts"])) == {address(honest_key): 5 + 2}
    assert net.balance(address(copycat)) == 0 and net.balance(address(honest_key)) == 7


def test_listing_pages_and_bad_queries(net):
    requester = crypto.generate_private_key()
    net.fund({address(requester): 3})
    ids = []
    for i in range(3):
        test = TestSet.make([[i, i, i, i]], [0])
        ids.append(net.api.create_job(requester, 1, "tree", {"flowers_to": 0}, test, stake=1, max_commits=1,
                                      commit_blocks=5 + i, test_blocks=1, model_blocks=2).job_id)
    net.mine()
    first = net.api.jobs(limit=2)
    assert first.count == 3 and len(first.jobs) == 2 and first.next == 2
    second = net.api.jobs(offset=first.next, limit=2)
    assert len(second.jobs) == 1 and second.next is None
    assert sorted(j.id for j in first.jobs + second.jobs) == sorted(ids)
    assert [j.id for j in net.api.iter_jobs("commit")] == [j.id for j in first.jobs + second.jobs]
    bad = (("state=open", "state"), ("limit=0", "limit"), ("offset=-1", "offset"), ("limit=101", "limit"))
    for query, field in bad:
        r = net.p.get(f"/jobs?{query}")
        assert r.status_code == 400 and field in r.json()["error"]["message"], query
    assert net.p.get("/jobs/not-a-job").status_code == 404
    r = net.p.post("/jobs", json={"sender": "x", "bounty": 1})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_request"


def test_a_job_on_an_unknown_height_is_refused_with_the_rules_reason(net):
    requester = crypto.generate_private_key()
    net.fund({address(requester): 2})
    test = TestSet.make([[1, 2, 3, 4]], [0])
    status, _, message = error(lambda: net.api.create_job(requester, 1, "linear", {"flowers_to": 99}, test, stake=1,
                                                          max_commits=1, commit_blocks=1, test_blocks=1,
                                                          model_blocks=2))
    assert status == 400 and "flowers_to" in message


def test_the_first_commitments_mined_take_a_jobs_slots_and_the_rest_leave_the_pool(net):
    requester, ann, bob, cat = (crypto.generate_private_key() for _ in range(4))
    net.fund({address(requester): 1, address(ann): 1, address(bob): 1, address(cat): 1})
    test = TestSet.make([[1, 2, 3, 4]], [0])
    job_id = net.api.create_job(requester, 1, "tree", {"flowers_to": 0}, test, stake=1, max_commits=2,
                                commit_blocks=4, test_blocks=1, model_blocks=2).job_id
    net.mine()
    model = {"kind": "tree", "nodes": [[0]]}

    def seal(key):  # the model sealed for the worker that commits it
        return Sealed.for_key(model, key).commitment

    net.api.commit_job(ann, job_id, seal(ann))
    status, code, message = error(lambda: net.api.commit_job(ann, job_id, seal(ann)))
    assert (status, code) == (409, "claim_pending") and "one commitment per worker" in message
    net.api.commit_job(bob, job_id, seal(bob))
    net.api.commit_job(cat, job_id, seal(cat))  # pending commitments do not count against the slots
    pending = net.p.get("/transactions/pending").json()["transactions"]
    assert sorted(tx["sender"] for tx in pending if tx["type"] == "JOB_COMMIT") == sorted(
        [address(ann), address(bob), address(cat)])
    net.mine()
    assert sorted(c.worker for c in net.api.job(job_id).commitments) == sorted([address(ann), address(bob)])
    pending = net.p.get("/transactions/pending").json()["transactions"]
    assert [tx for tx in pending if tx["type"] == "JOB_COMMIT"] == []  # cat's can never fit now
    status, code, message = error(lambda: net.api.commit_job(cat, job_id, seal(cat)))
    assert (status, code) == (400, "invalid_transaction") and "at most 2 commitments and has 2" in message
    assert net.balance(address(cat)) == 1

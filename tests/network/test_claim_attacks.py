"""The two attacks of issue 21 against a real node: they win under protocol 2 (why version 3
exists) and lose under the draft version 3, whose claims are judged by settled data only and
count identical measurements once (PROTOCOL.md "Version 3 (draft): claims")."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.network import step

pytestmark = pytest.mark.network
BASE = json.loads((Path(__file__).parents[1] / "vectors" / "iris-base.json").read_text())
FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
ALICE = {
    "sepal_length": 5.1,
    "sepal_width": 3.4,
    "petal_length": 1.5,
    "petal_width": 0.3,
}  # a true setosa, not a base row


def base_row(i: int) -> tuple[dict, str]:
    return dict(zip(FEATURES, map(float, BASE["train"][i]), strict=True)), BASE["train_labels"][i]


class Net:
    """One staked node (min_deposit 1, refund_wait 2) and its miner as the bank."""

    def __init__(self, node) -> None:
        self.node = node
        self.bank = node.get("/health").json()["address"]

    def mine(self, n: int = 1) -> None:
        for _ in range(n):
            assert self.node.post("/mine").status_code in (200, 201)

    def fund(self, amounts: dict) -> None:
        while self.node.get(f"/balance/{self.bank}").json()["balance"] < sum(amounts.values()):
            self.mine()
        for who, amount in amounts.items():
            r = self.node.post("/transactions/new", json={"sender": self.bank, "recipient": who, "amount": amount})
            assert r.status_code == 201, r.text
        self.mine()

    def add(self, sender: str, features: dict, label: str, deposit: int) -> str:
        r = self.node.post("/flower/add", json={"sender": sender, **features, "flower_type": label, "deposit": deposit})
        assert r.status_code == 201, r.text
        return r.json()["transaction_id"]

    def claim(self, kind: str, sender: str, flower_id: str) -> int:
        return self.node.post(f"/flower/{kind}", json={"sender": sender, "flower_id": flower_id}).status_code

    def balance(self, who: str) -> int:
        return self.node.get(f"/balance/{who}").json()["balance"]

    def good(self, who: str) -> int:
        return self.node.get(f"/contributions?sender={who}").json()["good"]

    def record(self, who: str, row: int) -> None:
        """``who`` buys a good record: a copy of a base row with its true label, refunded."""
        features, label = base_row(row)
        flower = self.add(who, features, label, 1)
        self.mine(2)
        assert self.claim("refund", who, flower) == 201
        self.mine()
        assert self.good(who) == 1


@pytest.mark.parametrize("protocol", [2, 3])
def test_planting_copies_of_an_honest_flower_steals_it_only_under_v2(start_node, protocol):
    net = Net(start_node("planter", difficulty=2, extra_args=("--min-deposit", "1", "--refund-wait", "2",
                                                              "--protocol", str(protocol))))
    assert net.node.get("/health").json()["protocol"] == protocol
    net.fund({"alice": 5, "mallory": 4})
    step("mallory buys a good record for 1 coin")
    net.record("mallory", 7)
    step("alice contributes a true setosa; mallory then plants 3 copies of it labelled versicolor")
    alice = net.add("alice", ALICE, "setosa", 5)
    net.mine()
    copies = [net.add("mallory", ALICE, "versicolor", 1) for _ in range(3)]
    net.mine()
    step("alice's flower is due: mallory reports it, alice claims it")
    seen = net.node.get(f"/flower/{alice}/judgement").json()
    if protocol == 3:  # the judgement shows why: the copies are not settled, so they do not vote
        counted = [n for n in seen["neighbours"] if n["counted"]]
        assert len(counted) == 3 and all(n["label"] == "setosa" and n["flower_id"] is None for n in counted)
        planted = [n for n in seen["neighbours"] if n["flower_id"] in copies]
        assert len(planted) == 3 and not any(n["counted"] for n in planted)
        assert (seen["refund_allowed"], seen["report_allowed"]) == (True, False)
        wallet = subprocess.run([sys.executable, "-m", "client", "judgement", alice, "--node", net.node.url],
                                capture_output=True, text=True, timeout=60, cwd=Path(__file__).parents[2])
        assert wallet.returncode == 0, wallet.stderr
        assert "refund allowed, report refused" in wallet.stdout
        assert wallet.stdout.count("ignored") >= 3 and "not settled" in wallet.stdout
    else:
        assert (seen["refund_allowed"], seen["report_allowed"]) == (False, True)
    entry = net.node.get("/contributions?sender=alice").json()["contributions"][0]
    assert (entry["refund_allowed"], entry["report_allowed"]) == (seen["refund_allowed"], seen["report_allowed"])
    reported = net.claim("report", "mallory", alice)
    refunded = net.claim("refund", "alice", alice)
    net.mine()
    copies_refunded = [net.claim("refund", "mallory", c) for c in copies]
    net.mine()
    if protocol == 2:
        assert (reported, refunded, copies_refunded) == (201, 400, [201, 201, 201])
        assert (net.balance("alice"), net.balance("mallory")) == (0, 9)  # the numbers
        return
    assert (reported, refunded, copies_refunded) == (400, 201, [400, 400, 400])
    assert net.good("alice") == 1
    step("alice, now good, reports every planted copy")
    assert [net.claim("report", "alice", c) for c in copies] == [201, 201, 201]
    net.mine()
    assert net.balance("alice") > 5 and net.balance("mallory") < 4
    assert net.node.get("/chain/validate").json()["valid"] is True


@pytest.mark.parametrize("protocol", [2, 3])
def test_duplicating_a_base_row_mislabelled_poisons_for_free_only_under_v2(start_node, protocol):
    net = Net(start_node("duplicator", difficulty=2, extra_args=("--min-deposit", "1", "--refund-wait", "2",
                                                                 "--protocol", str(protocol))))
    net.fund({"eve": 3, "bob": 1})
    net.record("bob", 8)
    step("eve posts 3 copies of a base setosa row labelled virginica")
    features, label = base_row(0)
    assert label == "setosa"
    copies = [net.add("eve", features, "virginica", 1) for _ in range(3)]
    net.mine(3)
    step("bob reports one copy; eve claims all three")
    reported = net.claim("report", "bob", copies[0])
    refunded = [net.claim("refund", "eve", c) for c in copies]
    net.mine()
    if protocol == 2:
        assert (reported, refunded) == (400, [201, 201, 201])
        assert (net.balance("eve"), net.good("eve")) == (3, 3)
        prediction = net.node.post("/flower/predict", json=features).json()["prediction"]
        assert prediction == "virginica"  # the model is poisoned on a base row, at no cost
        return
    assert (reported, refunded) == (201, [400, 400, 400])
    assert net.good("eve") == 0
    assert [net.claim("report", "bob", c) for c in copies[1:]] == [201, 201]
    net.mine()
    assert net.balance("eve") == 0 and net.balance("bob") == 4
    assert net.node.get("/chain/validate").json()["valid"] is True

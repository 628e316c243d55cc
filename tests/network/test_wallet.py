"""The wallet (python -m client) end to end against a live --require-signatures node."""
import os
import stat
import subprocess
import sys

import pytest

from tests.helpers.nodes import ROOT

pytestmark = pytest.mark.network


def wallet(*args, node=None):
    cmd = [sys.executable, "-m", "client", *args]
    if node is not None:
        cmd += ["--node", node]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_signed_session_with_the_wallet(start_node, tmp_path):
    node = start_node("signed", difficulty=2, extra_args=("--require-signatures",))
    key = tmp_path / "alice.key"

    made = wallet("keygen", "--key", str(key))
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    again = wallet("keygen", "--key", str(key))
    assert again.returncode == 1 and again.stderr.count("\n") == 1 and "refusing to overwrite" in again.stderr
    address = wallet("address", "--key", str(key)).stdout.strip()
    assert len(address) == 40

    unsigned = node.post("/flower/add", json={"sender": "anon", "sepal_length": 5.0, "sepal_width": 3.4,
                                              "petal_length": 1.5, "petal_width": 0.2, "flower_type": "setosa"})
    assert unsigned.status_code == 400 and unsigned.json()["error"]["code"] == "signature_required"

    sent = wallet("flower", "--key", str(key), "--sepal-length", "5.0", "--sepal-width", "3.4",
                  "--petal-length", "1.5", "--petal-width", "0.2", "--type", "setosa", node=node.url)
    assert sent.returncode == 0, sent.stderr
    assert "flower data sent" in sent.stdout
    pending = node.get("/transactions/pending").json()["transactions"]
    assert pending[0]["sender"] == address and pending[0]["signature"]

    node.post("/mine")
    node.post("/mine")
    node_key = node.data_dir / "node_key"  # the node's own key is a wallet key too
    node_address = node.get("/health").json()["address"]
    funded = wallet("send", "--key", str(node_key), "--to", address, "--amount", "2", node=node.url)
    assert funded.returncode == 0, funded.stderr
    node.post("/mine")
    balance = wallet("balance", "--key", str(key), node=node.url)
    assert balance.returncode == 0 and f"{address}: balance 2, available 2" in balance.stdout

    paid = wallet("send", "--key", str(key), "--to", "bob", "--amount", "2", node=node.url)
    assert paid.returncode == 0, paid.stderr
    too_much = wallet("send", "--key", str(key), "--to", "bob", "--amount", "1", node=node.url)
    assert too_much.returncode == 1
    assert too_much.stderr.startswith("error: refused (400 insufficient_funds)") and too_much.stderr.count("\n") == 1
    node.post("/mine")
    assert wallet("balance", "bob", node=node.url).stdout.strip() == "bob: balance 2, available 2"
    # --node is taken before the subcommand too (the newcomer's `python -m client --node URL balance bob`)
    before = wallet("--node", node.url, "balance", "bob")
    assert before.returncode == 0 and before.stdout.strip() == "bob: balance 2, available 2", before.stderr
    assert wallet("balance", node_address, node=node.url).returncode == 0
    assert node.get("/chain/validate").json()["valid"] is True


def test_wallet_errors_are_one_readable_line(tmp_path):
    missing = wallet("address", "--key", str(tmp_path / "nope.key"))
    assert (
        missing.returncode == 1
        and missing.stderr == f"error: {tmp_path / 'nope.key'} does not exist; create it first\n"
    )
    wallet("keygen", "--key", str(tmp_path / "k"))
    down = wallet("balance", "--key", str(tmp_path / "k"), node="http://127.0.0.1:9")
    assert down.returncode == 1 and "cannot reach the node" in down.stderr and "Traceback" not in down.stderr
    bad = wallet("flower", "--key", str(tmp_path / "k"), "--sepal-length", "-1", "--sepal-width", "3",
                 "--petal-length", "1", "--petal-width", "1", "--type", "setosa")
    assert bad.returncode == 2 and "must be 0.01 to 100.00 cm" in bad.stderr and "Traceback" not in bad.stderr
    hundredths = wallet("flower", "--key", str(tmp_path / "k"), "--sepal-length", "5.123", "--sepal-width", "3",
                        "--petal-length", "1", "--petal-width", "1", "--type", "setosa")
    assert hundredths.returncode == 2 and "must be a multiple of 0.01 cm; got 5.123" in hundredths.stderr
    not_an_id = wallet("refund", "--key", str(tmp_path / "k"), "xyz")
    assert not_an_id.returncode == 2 and "must be a transaction id" in not_an_id.stderr


def test_deposit_refund_and_report_with_the_wallet(start_node, tmp_path):
    """On a staked network: signed deposits, a refund refused too early and then granted, a report,
    and the contributions listing; each refusal is one line with the node's reason."""
    node = start_node("staked", difficulty=2, extra_args=("--min-deposit", "1", "--refund-wait", "2"))
    keys = {}
    for name in ("alice", "mallory"):
        keys[name] = tmp_path / f"{name}.key"
        assert wallet("keygen", "--key", str(keys[name])).returncode == 0
    for _ in range(4):
        node.post("/mine")
    for name in ("alice", "mallory"):
        address = wallet("address", "--key", str(keys[name])).stdout.strip()
        assert wallet("send", "--key", str(node.data_dir / "node_key"), "--to", address, "--amount", "2",
                      node=node.url).returncode == 0
    node.post("/mine")
    setosa = ("--sepal-length", "5.0", "--sepal-width", "3.4", "--petal-length", "1.5", "--petal-width", "0.2")
    good = wallet("flower", "--key", str(keys["alice"]), *setosa, "--type", "setosa", "--deposit", "2", node=node.url)
    bad = wallet("flower", "--key", str(keys["mallory"]), *setosa, "--type", "virginica", "--deposit", "2",
                 node=node.url)
    assert good.returncode == bad.returncode == 0 and "with a deposit of 2" in good.stdout
    good_id, bad_id = good.stdout.split("transaction ")[1].split()[0], bad.stdout.split("transaction ")[1].split()[0]
    node.post("/mine")
    early = wallet("refund", good_id, "--key", str(keys["alice"]), node=node.url)
    assert early.returncode == 1 and early.stderr.count("\n") == 1
    assert early.stderr.startswith("error: refused (400 claim_not_allowed): refund_wait is 2 blocks")
    node.post("/mine")
    assert wallet("refund", good_id, "--key", str(keys["alice"]), node=node.url).returncode == 0
    node.post("/mine")
    assert wallet("report", bad_id, "--key", str(keys["alice"]), node=node.url).returncode == 0
    node.post("/mine")
    listing = wallet("contributions", "--key", str(keys["alice"]), node=node.url).stdout
    assert "good 1" in listing and "deposit 2 refunded" in listing and "model agrees" in listing
    theirs = wallet("contributions", "--key", str(keys["mallory"]), node=node.url).stdout
    assert "deposit 2, 0 left" in theirs and "model disagrees" in theirs
    assert "balance 4" in wallet("balance", "--key", str(keys["alice"]), node=node.url).stdout


def test_usage_errors_exit_2():
    for args in (("balance",), ("contributions",)):
        r = wallet(*args)
        assert r.returncode == 2 and r.stderr.startswith("error: give an address or --key"), r.stderr


def test_the_wallet_lists_every_contribution_across_pages(start_node):
    """/contributions is paged (at most 1000 a page); the wallet follows next to the last page."""
    node = start_node("prolific", difficulty=1)
    ids = []
    for i in range(1005):
        r = node.post("/flower/add", json={"sender": "prolific", "sepal_length": round(4.5 + (i % 300) / 100, 2),
                                           "sepal_width": 3.4, "petal_length": 1.5, "petal_width": 0.2,
                                           "flower_type": "setosa"})
        assert r.status_code == 201, r.text
        ids.append(r.json()["transaction_id"])
    while node.get("/health").json()["pending"]:
        assert node.post("/mine").status_code == 200
    first = node.get("/contributions?sender=prolific").json()
    assert first["count"] == 1005 and first["next"] is not None  # the node pages it
    listing = wallet("contributions", "prolific", node=node.url)
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert lines[0] == "prolific: 1005 contribution(s), good 0"
    assert [line.split()[0] for line in lines[1:]] == ids

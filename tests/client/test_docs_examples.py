"""docs/client.md's examples run: every Example cell of the methods table (in order, against a
real node of a LocalNetwork of two) and the page's python blocks."""
import contextlib
import io
import re

from blockchain import crypto
from client import LocalNetwork, Node
from client.local import ROOT

PAGE = (ROOT / "docs" / "client.md").read_text(encoding="utf-8")
IRIS = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}


def table_examples() -> list[str]:
    rows = [line for line in PAGE.splitlines() if line.startswith("| `")]
    return [re.findall(r"`([^`]*)`", row.split("|")[4])[0] for row in rows]


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", PAGE, re.S)


def test_every_table_example_runs_against_a_real_node():
    examples = table_examples()
    assert len(examples) >= 18
    with LocalNetwork(2, difficulty=1, register=False) as net:
        node = net[0]
        miner = node.mine()
        node.add_transaction({"sender": node.block(miner.index).transactions[-1].recipient,
                              "recipient": "alice", "amount": 1})
        flower_id = node.add_flower("dora", "setosa", IRIS).transaction_id
        node.mine()
        for example in examples:
            code = example.replace("http://127.0.0.1:5001", net[1].url)
            assert eval(code, {"node": node, "iris": IRIS, "flower_id": flower_id}) is not None, example  # noqa: S307 - our own page
        assert [p.url for p in node.nodes().nodes] == [net[1].url]
        waiting = [(t.sender, t.recipient, t.amount) for t in node.pending().transactions
                   if t.sender == "alice" and t.recipient == "bob"]
        assert waiting == [("alice", "bob", 1)]  # the add_transaction example, not mined yet


def test_the_python_blocks_run(tmp_path):
    blocks = python_blocks()
    assert len(blocks) == 6
    key_file = tmp_path / "wallet.key"
    address = crypto.address_of(crypto.public_key_hex(crypto.create_key_file(key_file)))
    with LocalNetwork(1, register=False) as net:
        node = Node(net[0].url)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            for block in blocks:
                if "node.send(" in block:  # give the key's address a coin to send first
                    miner = node.block(node.mine().index).transactions[-1].recipient
                    node.add_transaction({"sender": miner, "recipient": address, "amount": 1})
                    node.mine()
                code = block.replace("http://127.0.0.1:5000", net[0].url).replace('"wallet.key"', repr(str(key_file)))
                exec(code, {"node": node, "iris": IRIS})  # noqa: S102 - our own page
        assert {t.sender for t in node.pending().transactions} == {address}  # the signed send and flower
    printed = out.getvalue().splitlines()
    assert printed[0] == "1"  # the height after node.mine()
    assert printed[1].startswith("404 unknown_block")
    assert printed[2].startswith("1 ") and printed[2].endswith(" ['REWARD']")  # the typed block
    assert printed[3] == str(sorted(["index", "timestamp_ms", "previous_hash", "difficulty", "merkle_root", "nonce",
                                     "hash", "transactions", "main_chain"]))
    assert printed[4].startswith("3 [") and len(printed) == 8

"""A full block at a settlement height (PROTOCOL.md "Order of transactions", "Settlement"): 1,000
user transactions, the REWARD, two JOB_SETTLEs and the MODEL_UPDATE (1,004 transactions) is what
the node's miner writes; the node's parser, ``python -m blockchain.verify`` and the page's verifier
(web/verify.js) all take it. (Before, blocks from outside were capped at 1,002: a node mined a block
that its peers refused.)"""
import json
import shutil
import subprocess
import sys
from pathlib import Path

from blockchain import Transaction
from blockchain.block import Block
from tests.helpers.jobchain import JobNode, a_test_set, job_data

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")
JS = """
import { readFileSync } from "node:fs";
import * as v from "./web/verify.js";
const blocks = v.parseStrict(readFileSync(process.argv[1], "utf8"));
const base = v.parseStrict(readFileSync("tests/vectors/iris-base.json", "utf8"));
const result = await v.verifyChain(blocks, base);
process.stdout.write(JSON.stringify(result.issues));
"""


def test_a_full_block_with_two_settlements_is_mined_and_accepted_everywhere(tmp_path):
    node = JobNode()
    node.earn("req", 4)
    windows = {"commit_blocks": 1, "test_blocks": 1, "model_blocks": 2}
    first = node.job("req", 1, job_data(a_test_set("a"), **windows))
    node.job("req", 1, job_data(a_test_set("b"), **windows))
    node.mine()
    node.mine_to(node.chain.job(first)["windows"]["settle"])
    for i in range(1000):
        node.send(Transaction.create({"type": "FLOWER_DATA", "sender": f"s{i}", "recipient": "MODEL", "amount": 0,
                                      "timestamp_ms": node.tick(),
                                      "data": {"sepal_length": "5.10", "sepal_width": "3.50", "petal_width": "0.20",
                                               "petal_length": f"{1 + i % 9}.40", "flower_type": "setosa"}}))
    block = node.mine()
    assert [t.type for t in block.transactions[:3]] == ["REWARD", "JOB_SETTLE", "JOB_SETTLE"]
    assert len(block.transactions) == 1004 and block.transactions[-1].type == "MODEL_UPDATE"
    assert Block.from_dict(block.to_dict()).hash == block.hash
    path = tmp_path / "chain.json"
    path.write_text(json.dumps([b.to_dict() for b in node.chain.blocks()]))
    audit = subprocess.run([sys.executable, "-m", "blockchain.verify", str(path)], cwd=ROOT, capture_output=True,
                           text=True, timeout=300)
    assert audit.returncode == 0, audit.stdout[-1000:] + audit.stderr[-1000:]
    if NODE is not None:
        run = subprocess.run([NODE, "--input-type=module", "-e", JS, str(path)], cwd=ROOT, capture_output=True,
                             text=True, timeout=300)
        assert run.returncode == 0 and json.loads(run.stdout) == [], run.stdout[-1000:] + run.stderr[-1000:]

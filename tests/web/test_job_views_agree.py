"""The page's view of a job (web/jobs_rules.js jobView, from its own replay) is the node's
(``Blockchain.job``, docs/jobs.md): for jobs in every state, on a chain a node mined in-process,
web/verify.js under Node.js replays the chain and gives the same view of every job, field for field."""
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers.jobchain import GOOD_TREE, SETOSA_TREE, JobNode, a_test_set, job_data

ROOT = Path(__file__).resolve().parent.parent.parent
NODE = shutil.which("node")
SCRIPT = """
import { readFileSync } from "node:fs";
import * as v from "./web/verify.js";
import { jobView } from "./web/jobs_rules.js";
const blocks = v.parseStrict(readFileSync(0, "utf8"));
const base = v.parseStrict(readFileSync("tests/vectors/iris-base.json", "utf8"));
const result = await v.verifyChain(blocks, base);
if (!result.valid) throw new Error(JSON.stringify(result.issues));
const ledger = result.ledger;
process.stdout.write(JSON.stringify([...ledger.jobs.values()].map((j) => jobView(j, ledger.tip.index))));
"""


@pytest.mark.skipif(NODE is None, reason="no Node.js here; the page's verifier runs under it")
def test_the_page_s_job_views_are_the_node_s():
    node = JobNode()
    node.earn("req", 6)
    node.earn("ann", 2)
    node.earn("bob", 2)
    settled, withheld = a_test_set("settled"), a_test_set("withheld")
    won = node.job("req", 2, job_data(settled, commit_blocks=1, test_blocks=1, model_blocks=2))
    kept = node.job("req", 1, job_data(withheld, commit_blocks=1, test_blocks=1, model_blocks=2))
    node.mine()
    for worker, model in (("bob", SETOSA_TREE), ("ann", GOOD_TREE)):
        node.commit(worker, won, 1, model)
    node.commit("ann", kept, 1, SETOSA_TREE)
    node.mine()
    node.reveal_test("req", won, settled)
    node.mine()
    node.reveal_model("ann", won, GOOD_TREE)
    node.mine(3)  # bob never reveals; both jobs settle in one block
    shapes = ({"commit_blocks": 1, "test_blocks": 1}, {"commit_blocks": 1, "test_blocks": 2}, {"commit_blocks": 5})
    opened = [node.job("req", 1, job_data(a_test_set(f"open{i}"), **shape)) for i, shape in enumerate(shapes)]
    node.mine()
    node.commit("bob", opened[2], 1, GOOD_TREE)
    node.mine(2)
    views = {v["id"]: v for v in node.chain.jobs(limit=50)[0]}
    assert {views[won]["state"], views[kept]["state"]} == {"settled"}
    assert views[won]["settlement"]["outcome"] == "won" and views[kept]["settlement"]["outcome"] == "withheld"
    assert [views[j]["state"] for j in opened] == ["model", "test", "commit"]

    blocks = [b.to_dict() for b in node.chain.blocks()]
    run = subprocess.run([NODE, "--input-type=module", "-e", SCRIPT], cwd=ROOT, input=json.dumps(blocks),
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    page = {v["id"]: v for v in json.loads(run.stdout)}
    assert set(page) == set(views)
    for job_id, view in views.items():
        assert page[job_id] == view, job_id

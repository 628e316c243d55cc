"""The two verdicts the fuzzer compares: the Python verifier's (the code of ``python -m
blockchain.verify`` and of every node: strict parsing, then ``audit_chain``) and web/verify.js's
(under Node.js, many chains per process)."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from blockchain.audit import audit_chain
from blockchain.strictjson import JSONRejected, loads_strict
from blockchain.transactions import thaw
from ml import ledger_model

ROOT = Path(__file__).resolve().parent.parent.parent
RUNNER = Path(__file__).resolve().parent / "js_runner.mjs"
NODE = shutil.which("node")


def python_verdict(text: str, now_ms: int) -> dict:
    try:
        data = loads_strict(text.encode("utf-8", "surrogatepass"))
    except JSONRejected as exc:
        return {"valid": False, "first_bad": None, "why": str(exc)}
    if isinstance(data, dict) and isinstance(data.get("chain"), list):
        data = data["chain"]
    if not isinstance(data, list):
        return {"valid": False, "first_bad": None, "why": "not a list of blocks"}
    try:
        result = audit_chain(data, ledger_model(), None, now_ms=now_ms)
    except Exception as exc:  # a crash is a finding too
        return {"crash": f"{type(exc).__name__}: {exc}"[:500]}
    if not result.valid:
        return {"valid": False, "first_bad": result.issues[0].block_index, "why": result.issues[0].message}
    state = result.state
    flowers = {fid: [f.block, f.row, f.sender, f.deposit, f.left, f.label, sorted(f.reporters), f.refunded, f.settled]
               for fid, f in sorted(state.flowers.items())}
    return {"valid": True, "first_bad": None, "model_hash": result.model.summary()["model_hash"],
            "state": {"balances": {a: x for a, x in sorted(state.balances.items()) if x},
                      "flowers": flowers, "good": {a: x for a, x in sorted(state.good.items()) if x},
                      "total_good": state.total_good, **jobs_of(state, data)}}


def jobs_of(state, blocks: list) -> dict:
    """The job tables, in the form js_runner.mjs's ``jobsOf`` writes them: each job by id as [height,
    position, requester, bounty, its JOB data, its commitments [worker, model_commitment, height, position,
    the revealed model or None], the revealed test set or None, the settlement, settled_in], and the
    settlement index (height -> job ids, in JOB order). The node keeps reveals as transaction ids, the
    page as their content: both are compared by content, read back from the (valid) chain."""
    bodies = {tx["id"]: tx for block in blocks for tx in block["transactions"]}
    jobs = {}
    for job_id, job in sorted(state.jobs.items()):
        commits = [[c.worker, c.model_commitment, c.height, c.position,
                    None if c.reveal is None else bodies[c.reveal]["data"]["model"]] for c in job.commits]
        jobs[job_id] = [job.height, job.position, job.requester, job.bounty, thaw(job.data), commits,
                        None if job.test is None else bodies[job.test]["data"],
                        None if job.settlement is None else thaw(job.settlement), job.settled_in]
    settling = {str(h): list(ids) for h, ids in sorted(state.settling.items()) if ids}
    return {"jobs": jobs, "settling": settling}


def js_verdicts(jobs: list[tuple[str, int]], timeout: float = 1800) -> list[dict]:
    """web/verify.js's verdicts of ``jobs`` [(text, now_ms)], in one Node.js process."""
    if NODE is None:
        raise RuntimeError("the differential fuzzer needs Node.js (node) on PATH")
    lines = "".join(json.dumps({"n": n, "text": text, "now_ms": now}) + "\n" for n, (text, now) in enumerate(jobs))
    run = subprocess.run([NODE, str(RUNNER)], input=lines, capture_output=True, text=True, cwd=ROOT, timeout=timeout)
    if run.returncode != 0:
        raise RuntimeError(f"the JavaScript runner failed ({run.returncode}): {run.stderr[-2000:]}")
    out = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    if len(out) != len(jobs):
        raise RuntimeError(f"the JavaScript runner answered {len(out)} of {len(jobs)} chains: {run.stderr[-2000:]}")
    return sorted(out, key=lambda r: r["n"])


def same(py: dict, js: dict) -> bool:
    """The verdicts agree: valid or not, the first bad block, and for a valid chain its model
    hash, balances and per-contribution state (deposit, what is left, reporters, refunded, and the
    block whose good refund settled it: v3's set of voters; good and total_good per sender), and v3's
    job tables (every job's record, its commitments and reveals, its settlement; the settlement index)."""
    if "crash" in py or "crash" in js:
        return False
    keys = ("valid", "first_bad", "model_hash", "state")
    return all(py.get(k) == js.get(k) for k in keys)

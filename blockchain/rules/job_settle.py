"""JOB_SETTLE (PROTOCOL.md "Version 3: training jobs", "Settlement"): the system transaction the
miner writes, right after the REWARD, for each job whose model window closed with the block
before; every node recomputes it from the chain and refuses a block whose settlement differs
(``transition`` also refuses a block that lacks one)."""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping, Optional

from ..encoding import canon
from ..jobs import Commitment, Settlement, settle, settle_body
from .base import MODEL_ADDRESS, NODE_KEYS, Ledger, Rule, Tx, check_block_index, fail
from .job_common import JOB_SETTLE, Job, check_job_id, v3_only

SETTLE_KEYS = frozenset({"outcome", "winner", "scores", "payouts", "burnt"})


def check_body(body: Mapping[str, Any]) -> None:
    check_block_index(body)
    if body["sender"] != MODEL_ADDRESS or body["recipient"] != MODEL_ADDRESS or body["amount"] != 0:
        fail(f'a JOB_SETTLE must have sender and recipient "{MODEL_ADDRESS}" and amount 0')
    check_job_id(body)
    data = body["data"]
    if type(data) is not dict or set(data) != SETTLE_KEYS:
        fail(f"a JOB_SETTLE's data must have exactly the keys {', '.join(sorted(SETTLE_KEYS))}")


def expected(ledger: Ledger, job: Job) -> Settlement:
    """The settlement of ``job``, from the chain up to the block before this one: its test set and
    revealed models are read from their blocks and scored through the model port."""
    score_of: dict[str, int] = {}
    if job.test is not None:
        revealed = [(c.worker, c.reveal) for c in job.commits if c.reveal is not None]
        got = ledger.model_scores(job.test, [reveal for _, reveal in revealed]) if revealed else []
        score_of = {worker: s for (worker, _), s in zip(revealed, got, strict=True)}
    commitments = [Commitment(c.worker, c.height, c.position, score_of.get(c.worker)) for c in job.commits]
    return settle(job.requester, job.bounty, job.data["stake"], job.test is not None, commitments)


def due(ledger: Ledger) -> list[dict[str, Any]]:
    """The bodies of the JOB_SETTLE transactions a block at ``ledger.block_index`` must hold, in order."""
    out = []
    for job_id in ledger.settling_at(ledger.block_index):
        job = ledger.job(job_id)
        if job is not None and job.settled_in is None:
            out.append(settle_body_of(ledger, job))
    return out


def settle_body_of(ledger: Ledger, job: Job) -> dict[str, Any]:
    return settle_body(ledger.block_index, job.id, expected(ledger, job))


def problem(ledger: Ledger, tx: Tx) -> Optional[str]:
    why = v3_only(ledger, tx)
    if why is not None:
        return why
    b = ledger.block_index
    if tx.body["block_index"] != b:
        return f"a JOB_SETTLE's block_index must be its block's {b}; got {tx.body['block_index']}"
    job = ledger.job(tx.body["job_id"])
    if job is None:
        return f"job_id must name a JOB on the chain; {tx.body['job_id'][:16]}... is not one"
    if job.settled_in is not None:
        return f"this job was already settled in block {job.settled_in}"
    if job.windows.settle != b:
        return f"this job settles in block {job.windows.settle}, not in block {b}"
    first = next((i for i in ledger.settling_at(b) if (j := ledger.job(i)) is not None and j.settled_in is None), None)
    if first != job.id:
        return f"the jobs settling in a block are settled in the order of their JOBs; {str(first)[:16]}... comes first"
    own = expected(ledger, job).data()
    claimed = tx.body_dict()["data"]
    if claimed != own:
        return (f"the JOB_SETTLE must equal the settlement replayed from the chain {canon(own).decode()}; "
                f"got {canon(claimed).decode()}")
    return None


def apply(ledger: Ledger, tx: Tx) -> None:
    job = ledger.job(tx.body["job_id"])
    assert job is not None
    data = tx.body_dict()["data"]
    for address, amount in data["payouts"]:
        ledger.credit(address, amount)
    ledger.put_job(replace(job, settlement=data, settled_in=ledger.block_index))


RULE = Rule(JOB_SETTLE, NODE_KEYS | {"job_id", "data"}, check_body, problem=problem, apply=apply)

"""JOB_COMMIT (PROTOCOL.md "Version 3: training jobs"): a worker locks the job's stake and commits
to a model by its hash, in the commit window; one commitment per worker, at most ``max_commits``."""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping, Optional

from ..encoding import is_hex
from .base import MAX_AMOUNT, Ledger, Rule, Tx, fail
from .job_common import JOB_COMMIT, NAMED_KEYS, JobCommit, check_named, named_job, window_problem


def check_body(body: Mapping[str, Any]) -> None:
    check_named(body, amount_zero=False)
    if not 1 <= body["amount"] <= MAX_AMOUNT:
        fail(f"a JOB_COMMIT's amount (the job's stake) must be from 1 to {MAX_AMOUNT}; got {body['amount']}")
    if not is_hex(body["model_commitment"], 64):
        fail(f"model_commitment must be 64 lowercase hex characters; got {body['model_commitment']!r:.80}")


def problem(ledger: Ledger, tx: Tx) -> Optional[str]:
    job, why = named_job(ledger, tx)
    if job is None:
        return why
    w = job.windows
    why = window_problem(ledger, tx, w.commit_first, w.commit_last, "the commit window")
    if why is not None:
        return why
    if tx.sender == job.requester:
        return "the requester may not commit to its own job (from this address)"
    if job.commit_of(tx.sender) is not None:
        return f"{tx.sender} has already committed to this job; one commitment per worker"
    most = job.data["max_commits"]
    if len(job.commits) >= most:
        return f"this job takes at most {most} commitments and has {len(job.commits)}"
    if tx.amount != job.data["stake"]:
        return f"amount must be the job's stake {job.data['stake']}; got {tx.amount}"
    if ledger.balance(tx.sender) < tx.amount:
        return f"{tx.sender} must have at least {tx.amount} to stake; has {ledger.balance(tx.sender)}"
    return None


def apply(ledger: Ledger, tx: Tx) -> None:
    job = ledger.job(tx.body["job_id"])
    assert job is not None  # problem() found it
    ledger.credit(tx.sender, -tx.amount)
    commit = JobCommit(tx.sender, tx.body["model_commitment"], ledger.block_index, ledger.position)
    ledger.put_job(replace(job, commits=job.commits + (commit,)))


def spends(tx: Tx) -> int:
    return tx.amount


def one_pending(tx: Tx) -> Optional[tuple[str, str]]:
    """One commitment per worker and job may be pending."""
    return (f"{JOB_COMMIT}:{tx.sender}", tx.body["job_id"])


def already_pending(tx: Tx, other: Tx) -> str:
    return (f"{tx.sender} already has a JOB_COMMIT to job {tx.body['job_id'][:16]}... pending ({other.id}); "
            "one commitment per worker")


RULE = Rule(JOB_COMMIT, NAMED_KEYS | {"model_commitment"}, check_body, user=True, problem=problem, apply=apply,
            spends=spends, one_pending=one_pending, already_pending=already_pending)

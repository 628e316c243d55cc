"""JOB_TEST (PROTOCOL.md "Version 3: training jobs"): the requester reveals the test set and its
salt in the test window; it must fit the job and hash to the JOB's ``test_commitment``."""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping, Optional

from ..encoding import canon, sha256_hex
from .base import Ledger, Rule, Tx, fail
from .job_common import JOB_TEST, NAMED_KEYS, check_named, named_job, window_problem


def check_body(body: Mapping[str, Any]) -> None:
    check_named(body)
    if type(body["data"]) is not dict:
        fail(f"a JOB_TEST's data must be the test set {{rows, labels, salt}}; got {type(body['data']).__name__}")


def problem(ledger: Ledger, tx: Tx) -> Optional[str]:
    job, why = named_job(ledger, tx)
    if job is None:
        return why
    w = job.windows
    why = window_problem(ledger, tx, w.test_first, w.test_last, "the test window")
    if why is not None:
        return why
    if tx.sender != job.requester:
        return f"only the job's requester ({job.requester}) may reveal its test set"
    if job.test is not None:
        return f"this job's test set is already revealed ({job.test})"
    d = job.data
    data = tx.body_dict()["data"]
    why = ledger.kinds.check_job_test(data, len(d["features"]), len(d["classes"]), d["test_rows"])
    if why is not None:
        return f"data: {why}"
    if sha256_hex(canon(data)) != d["test_commitment"]:
        return "the test set does not match the job's test_commitment (H(canon(data)) differs)"
    return None


def apply(ledger: Ledger, tx: Tx) -> None:
    job = ledger.job(tx.body["job_id"])
    assert job is not None
    ledger.put_job(replace(job, test=tx.id))


def one_pending(tx: Tx) -> Optional[tuple[str, str]]:
    return (JOB_TEST, tx.body["job_id"])


def already_pending(tx: Tx, other: Tx) -> str:
    return f"a JOB_TEST of job {tx.body['job_id'][:16]}... is already pending ({other.id})"


RULE = Rule(JOB_TEST, NAMED_KEYS | {"data"}, check_body, user=True, problem=problem, apply=apply,
            one_pending=one_pending, already_pending=already_pending)

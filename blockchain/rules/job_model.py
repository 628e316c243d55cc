"""JOB_MODEL (PROTOCOL.md "Version 3: training jobs"): a committed worker reveals its model and
salt in the model window, once the test set is out; it must be well formed for the job, and
``H(canon({"model", "salt", "worker": sender}))`` must be the sender's ``model_commitment``. The
worker is bound into the hash, so a commitment another address copied can never be opened by its
copier: replaying the rival's reveal is refused, and the copier's stake is burnt at settlement."""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping, Optional

from ..encoding import canon, is_hex, sha256_hex
from .base import Ledger, Rule, Tx, fail
from .job_common import JOB_MODEL, NAMED_KEYS, check_named, named_job, window_problem


def opened_commitment(data: Mapping[str, Any], worker: str) -> str:
    """The model_commitment that a reveal ``data`` ``{"model", "salt"}`` sent by ``worker`` opens."""
    return sha256_hex(canon({"model": data["model"], "salt": data["salt"], "worker": worker}))


def check_body(body: Mapping[str, Any]) -> None:
    check_named(body)
    data = body["data"]
    if type(data) is not dict or set(data) != {"model", "salt"}:
        fail("a JOB_MODEL's data must have exactly the keys model, salt")
    if not is_hex(data["salt"], 64):
        fail(f"data.salt must be 64 lowercase hex characters; got {data['salt']!r:.80}")


def problem(ledger: Ledger, tx: Tx) -> Optional[str]:
    job, why = named_job(ledger, tx)
    if job is None:
        return why
    w = job.windows
    why = window_problem(ledger, tx, w.model_first, w.model_last, "the model window")
    if why is not None:
        return why
    if job.test is None:
        return "this job's test set was never revealed; no model may be revealed"
    commit = job.commit_of(tx.sender)
    if commit is None:
        return f"{tx.sender} has no commitment in this job; only committed workers reveal models"
    if commit.reveal is not None:
        return f"{tx.sender} has already revealed its model ({commit.reveal})"
    d, data = job.data, tx.body_dict()["data"]
    why = ledger.kinds.check_job_model(d["kind"], data["model"], len(d["features"]), len(d["classes"]))
    if why is not None:
        return f"data.model is not a well-formed {d['kind']} model of this job: {why}"
    if opened_commitment(data, tx.sender) != commit.model_commitment:
        rival = next((c.worker for c in job.commits
                      if c.worker != tx.sender and opened_commitment(data, c.worker) == c.model_commitment), None)
        copied = f"; it is {rival}'s model and salt, and a commitment binds its worker" if rival else ""
        return ("the model does not match its commitment (H(canon({model, salt, worker: the sender})) differs "
                f"from the sender's model_commitment){copied}")
    return None


def apply(ledger: Ledger, tx: Tx) -> None:
    job = ledger.job(tx.body["job_id"])
    assert job is not None
    commits = tuple(replace(c, reveal=tx.id) if c.worker == tx.sender else c for c in job.commits)
    ledger.put_job(replace(job, commits=commits))


def one_pending(tx: Tx) -> Optional[tuple[str, str]]:
    return (f"{JOB_MODEL}:{tx.sender}", tx.body["job_id"])


def already_pending(tx: Tx, other: Tx) -> str:
    return f"{tx.sender} already has a JOB_MODEL of job {tx.body['job_id'][:16]}... pending ({other.id})"


RULE = Rule(JOB_MODEL, NAMED_KEYS | {"data"}, check_body, user=True, problem=problem, apply=apply,
            one_pending=one_pending, already_pending=already_pending)

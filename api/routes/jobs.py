"""Training jobs (PROTOCOL.md "Version 3: training jobs"): create, list, show, commit, reveal, predict.
Thin: the bodies are checked by ``api/job_schemas.py``, the work is ``api/jobs.py``'s."""
from __future__ import annotations

import re

from flask import Blueprint, request

from ..errors import ApiError
from ..job_responses import JobOut, JobPredictOut, JobsOut, JobTxAcceptedOut
from ..job_schemas import JOB_STATES, JobCommitIn, JobIn, JobModelIn, JobPredictIn, JobTestIn
from ..jobs import JobService
from ..openapi import doc, whole
from .common import node, parse, whole_number_arg

bp = Blueprint("jobs", __name__)
MAX_PAGE = 100


def _jobs() -> JobService:
    return JobService(node())


def _job_id(job_id: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{64}", job_id):
        raise ApiError(404, "unknown_job", f"a job id is the id of its JOB (64 lowercase hex); got {job_id!r:.80}")
    return job_id


def _accepted(answer, what: str):
    tx, block_index, job_id = answer
    return {"message": f"{what} will be added to block {block_index}", "transaction_id": tx.id,
            "block_index": block_index, "job_id": job_id, "transaction": tx.to_dict()}, 201


@bp.post("/jobs")
@doc("Post a training job (a JOB): escrow a bounty and commit to a hidden test set by its hash (the test set "
     "itself never goes to the node before its reveal)", body=JobIn, ok={201: JobTxAcceptedOut},
     errors=(409, 503, 507))
def create():
    return _accepted(_jobs().create(parse()), "The job")


@bp.get("/jobs")
@doc("Jobs, newest first, one page at a time: ?state=commit|test|model|settling|settled&offset=i&limit=n",
     ok={200: JobsOut}, errors=(400,),
     query={"state": {"type": "string", "enum": list(JOB_STATES)}, "offset": whole(0, None, 0),
            "limit": whole(1, MAX_PAGE, 50)})
def listing():
    state = request.args.get("state") or None
    if state is not None and state not in JOB_STATES:
        raise ApiError(400, "invalid_request", f"state must be one of {', '.join(JOB_STATES)}; got {state!r:.40}")
    return _jobs().page(state, whole_number_arg("offset", 0, 0), whole_number_arg("limit", 50, 1, MAX_PAGE))


@bp.get("/jobs/<job_id>")
@doc("One job: its windows and state, commitments, the test set and models once revealed, its settlement",
     ok={200: JobOut})
def show(job_id: str):
    return _jobs().job(_job_id(job_id))


@bp.post("/jobs/<job_id>/commit")
@doc("Commit to a model by its hash (a JOB_COMMIT, in the commit window), locking the job's stake",
     body=JobCommitIn, ok={201: JobTxAcceptedOut}, errors=(409, 503, 507))
def commit(job_id: str):
    return _accepted(_jobs().commit(_job_id(job_id), parse()), "The commitment")


@bp.post("/jobs/<job_id>/test")
@doc("Reveal the test set (a JOB_TEST by the requester, in the test window); it must match test_commitment",
     body=JobTestIn, ok={201: JobTxAcceptedOut}, errors=(409, 503, 507))
def test(job_id: str):
    return _accepted(_jobs().reveal_test(_job_id(job_id), parse()), "The test set")


@bp.post("/jobs/<job_id>/model")
@doc("Reveal a committed model (a JOB_MODEL, in the model window); it must match the commitment and be well "
     "formed within the bounds", body=JobModelIn, ok={201: JobTxAcceptedOut}, errors=(409, 503, 507))
def model(job_id: str):
    return _accepted(_jobs().reveal_model(_job_id(job_id), parse()), "The model")


@bp.post("/jobs/<job_id>/predict")
@doc("Predict rows with the winning model of a settled job (409 before settlement, or when no model won)",
     body=JobPredictIn, ok={200: JobPredictOut}, errors=(409,))
def predict(job_id: str):
    return _jobs().predict(_job_id(job_id), parse())

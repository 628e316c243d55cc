"""The job service behind ``/jobs`` (PROTOCOL.md "Version 3: training jobs"): builds the four user
job transactions from checked requests and submits them like any other; reads jobs through
``Blockchain.job`` and ``Blockchain.jobs``; serves predictions of a settled job's winning model.

Before a transaction is submitted, the service looks at the job as the next block will see it and
answers what a person can act on: 404 for an unknown job, 409 for a window that is not open (or a
second commitment, or a second reveal), 400 for a reveal that does not match its commitment or a
model that is not well formed or over the bounds. The chain's rules decide in the end (a request
that passes these checks can still be refused by them, with their reason).

The node never holds a requester's test set before its ``JOB_TEST``: the requester computes
``test_commitment`` itself (``client.jobs.TestSet``) and keeps the rows and salt (the wallet keeps them
in its own files, ``client/jobfiles.py``).
"""
from __future__ import annotations

from typing import Any, Optional

from blockchain import Transaction
from blockchain.job_bodies import job_body, job_commit_body, job_model_body, job_test_body
from blockchain.jobs import FLOWER_FEATURES
from ml import kinds

from .errors import ApiError
from .job_schemas import JobCommitIn, JobIn, JobModelIn, JobPredictIn, JobTestIn, TrainFlowers
from .service import NodeService

STEP = {"commit": "commitments", "test": "the test reveal", "model": "model reveals"}


class JobService:
    def __init__(self, node: NodeService) -> None:
        self.node = node
        self.chain = node.chain

    # -- reads ------------------------------------------------------------------------
    def job(self, job_id: str) -> dict[str, Any]:
        found: Optional[dict[str, Any]] = self.chain.job(job_id)
        if found is None:
            raise ApiError(404, "unknown_job", f"no job {job_id!r:.80} on the chain (GET /jobs lists them; a JOB "
                                               "just submitted is a job once it is in a block)")
        return found

    def page(self, state: Optional[str], offset: int, limit: int) -> dict[str, Any]:
        jobs, count = self.chain.jobs(state, offset, limit, summary=True)
        following = offset + len(jobs) if offset + len(jobs) < count else None
        return {"jobs": jobs, "count": count, "next": following}

    def predict(self, job_id: str, payload: JobPredictIn) -> dict[str, Any]:
        job = self.job(job_id)
        settlement = job["settlement"]
        if settlement is None:
            raise ApiError(409, "not_settled", f"job {job_id[:16]}... is not settled (state {job['state']}; it "
                                               f"settles in block {job['windows']['settle']}); no model wins before")
        winner = settlement.get("winner")
        if winner is None:
            raise ApiError(409, "no_winner", f"job {job_id[:16]}... settled with outcome {settlement.get('outcome')}: "
                                             "no model won, so none serves predictions")
        features = len(job["data"]["features"])
        for i, row in enumerate(payload.rows):
            if len(row) != features:
                raise ApiError(400, "invalid_request", f"rows.{i}: must have the job's {features} features "
                                                       f"({', '.join(job['data']['features'])}); got {len(row)}")
        model = job["models"][winner]
        predictions = kinds.predict_all(model, payload.rows)
        classes = job["data"]["classes"]
        return {"job_id": job_id, "winner": winner, "kind": model["kind"], "predictions": predictions,
                "labels": [classes[p] for p in predictions]}

    # -- writes -----------------------------------------------------------------------
    def _window(self, job: dict[str, Any], step: str) -> None:
        """409 unless the next block may hold this step of ``job``."""
        if job["state"] == step:
            return
        first, last = job["windows"][step]
        n = self.chain.height + 1
        when = f"opens at block {first}" if n < first else f"closed after block {last}"
        raise ApiError(409, "window_closed", f"the window for {STEP[step]} of this job is blocks {first} to {last}; "
                                             f"it {when} (the next block is {n}, the job's state is {job['state']})")

    def _submit(self, body: dict[str, Any], signature: Optional[str], job_id: Optional[str] = None
                ) -> tuple[Transaction, int, str]:
        tx, index = self.node.submit_body(body, signature)
        return tx, index, job_id or tx.id

    def create(self, p: JobIn) -> tuple[Transaction, int, str]:
        flowers = isinstance(p.train, TrainFlowers)
        features = p.features if p.features is not None else (list(FLOWER_FEATURES) if flowers else None)
        classes = p.classes if p.classes is not None else (list(self.chain.params["classes"]) if flowers else None)
        if features is None or classes is None:
            raise ApiError(400, "invalid_request", "features and classes are required for a job on an artifact")
        data = {"kind": p.kind, "train": p.train.model_dump(), "features": features, "classes": classes,
                "test_commitment": p.test_commitment, "test_rows": p.test_rows, "stake": p.stake,
                "max_commits": p.max_commits, "commit_blocks": p.commit_blocks, "test_blocks": p.test_blocks,
                "model_blocks": p.model_blocks}
        body = job_body(p.sender, p.bounty, data, self.node.timestamp(p), p.public_key)
        return self._submit(body, p.signature)

    def commit(self, job_id: str, p: JobCommitIn) -> tuple[Transaction, int, str]:
        job = self.job(job_id)
        self._window(job, "commit")
        if any(c["worker"] == p.sender for c in job["commitments"]):
            raise ApiError(409, "already_committed", f"{p.sender} has already committed to this job; one "
                                                     "commitment per worker")
        body = job_commit_body(p.sender, job_id, job["data"]["stake"], p.model_commitment, self.node.timestamp(p),
                               p.public_key)
        return self._submit(body, p.signature, job_id)

    def reveal_test(self, job_id: str, p: JobTestIn) -> tuple[Transaction, int, str]:
        job = self.job(job_id)
        self._window(job, "test")
        data = job["data"]
        if job["test"] is not None:
            raise ApiError(409, "already_revealed", "this job's test set is already revealed")
        if p.sender != job["requester"]:
            raise ApiError(400, "not_requester", f"only the requester {job['requester']} reveals the test set")
        test = {"rows": p.rows, "labels": p.labels, "salt": p.salt}
        problem = kinds.check_test_set(test, len(data["features"]), len(data["classes"]), data["test_rows"])
        if problem:
            raise ApiError(400, "invalid_test_set", f"the test set does not fit the job: {problem}")
        if kinds.test_commitment(p.rows, p.labels, p.salt) != data["test_commitment"]:
            raise ApiError(400, "commitment_mismatch", "the rows, labels and salt do not hash to the job's "
                                                       f"test_commitment {data['test_commitment'][:16]}...")
        body = job_test_body(p.sender, job_id, p.rows, p.labels, p.salt, self.node.timestamp(p), p.public_key)
        return self._submit(body, p.signature, job_id)

    def reveal_model(self, job_id: str, p: JobModelIn) -> tuple[Transaction, int, str]:
        job = self.job(job_id)
        if job["state"] == "model" and job["test"] is None:
            raise ApiError(409, "test_withheld", "the requester did not reveal the test set, so no model may be "
                                                 "revealed; the job settles as withheld")
        self._window(job, "model")
        mine = next((c for c in job["commitments"] if c["worker"] == p.sender), None)
        if mine is None:
            raise ApiError(400, "not_committed", f"{p.sender} has no commitment in this job")
        if mine["revealed"]:
            raise ApiError(409, "already_revealed", f"{p.sender} has already revealed its model")
        data = job["data"]
        problem = kinds.check_reveal(data["kind"], {"model": p.model, "salt": p.salt}, len(data["features"]),
                                     len(data["classes"]))
        if problem:
            raise ApiError(400, "invalid_model", f"the model is not a well-formed {data['kind']} model within the "
                                                 f"bounds: {problem}")
        if kinds.model_commitment(p.model, p.salt, p.sender) != mine["model_commitment"]:
            rival = next((c["worker"] for c in job["commitments"] if c["worker"] != p.sender
                          and kinds.model_commitment(p.model, p.salt, c["worker"]) == c["model_commitment"]), None)
            why = (f"they are {rival}'s model and salt (they open {rival}'s commitment), and a model_commitment "
                   "binds its worker: a copied commitment can never be opened by its copier" if rival else
                   "the commitment binds the worker: H(canon({model, salt, worker})) with worker = the sender")
            raise ApiError(400, "commitment_mismatch", f"the model and salt do not open {p.sender}'s commitment "
                                                       f"{mine['model_commitment'][:16]}...: {why}")
        body = job_model_body(p.sender, job_id, p.model, p.salt, self.node.timestamp(p), p.public_key)
        return self._submit(body, p.signature, job_id)


__all__ = ["JobService"]

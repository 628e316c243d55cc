"""Shapes of the ``/jobs`` answers, for the OpenAPI document (extra fields allowed, as in
``responses.py``). A job is ``Blockchain.job(job_id)``'s view (docs/jobs.md "The job's view")."""
from __future__ import annotations

from typing import Any, Literal, Optional

from .responses import Out, TxAcceptedOut


class JobWindows(Out):
    """Inclusive block heights of each step; ``settle`` is the block that settles the job."""

    commit: list[int]
    test: list[int]
    model: list[int]
    settle: int


class JobCommitment(Out):
    worker: str
    model_commitment: str
    height: int
    position: int
    revealed: bool


class JobOut(Out):
    """One job: its JOB, windows, state, commitments, what has been revealed and its settlement."""

    id: str
    height: int
    requester: str
    bounty: int
    data: dict[str, Any]
    windows: JobWindows
    state: Literal["commit", "test", "model", "settling", "settled"]
    commitments: list[JobCommitment]
    test: Optional[dict[str, Any]]          # the revealed test set, null before JOB_TEST
    models: dict[str, Any]                  # worker -> revealed model
    settlement: Optional[dict[str, Any]]    # the JOB_SETTLE's data, null before settlement
    settled_in: Optional[int]


class JobSummaryOut(Out):
    """A job in a listing: its view without the revealed test set and models (those can be large:
    ``GET /jobs/<id>`` has them); ``test_revealed`` says whether the test set is out."""

    id: str
    height: int
    requester: str
    bounty: int
    data: dict[str, Any]
    windows: JobWindows
    state: Literal["commit", "test", "model", "settling", "settled"]
    commitments: list[JobCommitment]
    test_revealed: bool
    settlement: Optional[dict[str, Any]]
    settled_in: Optional[int]


class JobsOut(Out):
    """A page of jobs, newest first; ``next`` is the ``offset`` of the next page, or null."""

    jobs: list[JobSummaryOut]
    count: int
    next: Optional[int]


class JobTxAcceptedOut(TxAcceptedOut):
    """A 201 for a submitted job transaction; ``job_id`` names the job (for a JOB, its own id)."""

    job_id: str


class JobPredictOut(Out):
    """The winning model's class for each row: ``predictions`` (indices) and ``labels`` (names)."""

    job_id: str
    winner: str
    kind: str
    predictions: list[int]
    labels: list[str]


__all__ = ["JobWindows", "JobCommitment", "JobOut", "JobSummaryOut", "JobsOut", "JobTxAcceptedOut", "JobPredictOut"]

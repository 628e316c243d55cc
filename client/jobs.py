"""Training jobs in the client library: the requester's hidden test set and a worker's committed
model (each with its random salt and commitment), and ``Node``'s job methods (``JobMethods``).

The test set and the model stay on the caller's machine until their reveal: the node receives
only their hashes (``test_commitment``, ``model_commitment``) first. Keeping them is the caller's
job (the wallet writes them to its own files, ``client/jobfiles.py``).
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any, Iterator, Optional, Sequence, TypeVar
from urllib.parse import quote

from blockchain import crypto
from blockchain.job_bodies import job_body, job_commit_body, job_model_body, job_test_body
from blockchain.jobs import FLOWER_FEATURES
from ml import kinds

from .models import Answer, Job, JobAccepted, JobPrediction, JobsPage, JobSummary

T = TypeVar("T", bound=Answer)


def new_salt() -> str:
    """64 lowercase hex characters from the system's secure random source."""
    return secrets.token_hex(32)


@dataclass(frozen=True)
class TestSet:
    """A requester's hidden test set: integer ``rows``, class-index ``labels`` and a random ``salt``."""

    __test__ = False  # not a pytest class
    rows: tuple[tuple[int, ...], ...]
    labels: tuple[int, ...]
    salt: str

    @classmethod
    def make(cls, rows: Sequence[Sequence[int]], labels: Sequence[int], salt: Optional[str] = None) -> "TestSet":
        return cls(tuple(tuple(int(v) for v in r) for r in rows), tuple(int(v) for v in labels), salt or new_salt())

    @property
    def commitment(self) -> str:
        """What the JOB carries: ``H(canon({"rows", "labels", "salt"}))``."""
        return kinds.test_commitment(self.rows, self.labels, self.salt)

    def to_dict(self) -> dict[str, Any]:
        return {"rows": [list(r) for r in self.rows], "labels": list(self.labels), "salt": self.salt}


@dataclass(frozen=True)
class Sealed:
    """A worker's model and the salt that hides it until its reveal, sealed for one ``worker`` (the
    address that sends the JOB_COMMIT and the JOB_MODEL): the commitment binds the worker, so a
    ``Sealed`` opens only the commitment made with its own address."""

    model: dict[str, Any]
    salt: str
    worker: str

    @classmethod
    def make(cls, model: dict[str, Any], worker: str, salt: Optional[str] = None) -> "Sealed":
        """``model`` sealed for the address ``worker`` with ``salt`` (a fresh random one unless given)."""
        return cls(model, salt or new_salt(), worker)

    @classmethod
    def for_key(cls, model: dict[str, Any], key: Any, salt: Optional[str] = None) -> "Sealed":
        """``model`` sealed for the address of the private ``key`` (the key that will sign both steps)."""
        return cls.make(model, _signer(key)[1], salt)

    @property
    def commitment(self) -> str:
        """What the worker's JOB_COMMIT carries: ``H(canon({"model", "salt", "worker"}))``."""
        return kinds.model_commitment(self.model, self.salt, self.worker)


def _signer(key: Any) -> tuple[str, str]:
    pub = crypto.public_key_hex(key)
    return pub, crypto.address_of(pub)


def _now_ms() -> int:
    return int(time.time() * 1000)


class JobMethods:
    """The ``/jobs`` routes; mixed into ``client.Node`` (which gives ``_get`` and ``_post``)."""

    def _get(self, cls: type[T], path: str, query: Optional[dict] = None) -> T:
        raise NotImplementedError

    def _post(self, cls: type[T], path: str, body: Any = None) -> T:
        raise NotImplementedError

    def jobs(self, state: Optional[str] = None, offset: int = 0, limit: Optional[int] = None) -> JobsPage:
        """One page of jobs, newest first (``GET /jobs``); ``state`` is commit, test, model, settling or settled."""
        return self._get(JobsPage, "/jobs", {"state": state, "offset": offset, "limit": limit})

    def iter_jobs(self, state: Optional[str] = None) -> Iterator[JobSummary]:
        """Every job (of ``state``), newest first, page by page."""
        offset: Optional[int] = 0
        while offset is not None:
            page = self.jobs(state, offset)
            yield from page.jobs
            offset = page.next

    def job(self, job_id: str) -> Job:
        """One job (``GET /jobs/<id>``); ``ApiError`` 404 ``unknown_job``."""
        return self._get(Job, "/jobs/" + quote(job_id, safe=""))

    def job_predict(self, job_id: str, rows: Sequence[Sequence[int]]) -> JobPrediction:
        """The winning model's classes for ``rows`` (``POST /jobs/<id>/predict``); 409 before settlement."""
        return self._post(JobPrediction, f"/jobs/{quote(job_id, safe='')}/predict",
                          {"rows": [list(r) for r in rows]})

    def post_job_step(self, job_id: Optional[str], step: str, body: dict[str, Any]) -> JobAccepted:
        """A raw request to ``POST /jobs`` (``job_id`` None) or ``/jobs/<id>/<step>`` (commit, test, model)."""
        path = "/jobs" if job_id is None else f"/jobs/{quote(job_id, safe='')}/{step}"
        return self._post(JobAccepted, path, body)

    # -- signed by ``key`` (the key stays here) ------------------------------------------
    def create_job(self, key: Any, bounty: int, kind: str, train: dict[str, Any], test: TestSet, *, stake: int,
                   max_commits: int, commit_blocks: int, test_blocks: int, model_blocks: int,
                   features: Optional[Sequence[str]] = None, classes: Optional[Sequence[str]] = None
                   ) -> JobAccepted:
        """Post a JOB signed by ``key``. For a job on the network's flowers, ``features`` and ``classes``
        default to the four measurements and the network's classes (from ``/model/info``)."""
        pub, sender = _signer(key)
        if "flowers_to" in train:
            features = list(features or FLOWER_FEATURES)
            if classes is None:
                classes = list(self._get(_Classes, "/model/info").classes)
        if features is None or classes is None:
            raise ValueError("features and classes are required for a job on an artifact")
        fields = {"kind": kind, "train": dict(train), "features": list(features), "classes": list(classes),
                  "test_commitment": test.commitment, "test_rows": len(test.rows), "stake": stake,
                  "max_commits": max_commits, "commit_blocks": commit_blocks, "test_blocks": test_blocks,
                  "model_blocks": model_blocks}
        body = job_body(sender, bounty, fields, _now_ms(), pub)
        return self.post_job_step(None, "", {"sender": sender, "bounty": bounty, **fields,
                                             "timestamp_ms": body["timestamp_ms"], "public_key": pub,
                                             "signature": crypto.sign_body(key, body)})

    def commit_job(self, key: Any, job_id: str, model_commitment: str, stake: Optional[int] = None) -> JobAccepted:
        """A JOB_COMMIT signed by ``key``, locking the job's stake (read from the job unless given)."""
        pub, sender = _signer(key)
        if stake is None:
            stake = int(self.job(job_id).data["stake"])
        body = job_commit_body(sender, job_id, stake, model_commitment, _now_ms(), pub)
        return self.post_job_step(job_id, "commit", {"sender": sender, "model_commitment": model_commitment,
                                                     "timestamp_ms": body["timestamp_ms"], "public_key": pub,
                                                     "signature": crypto.sign_body(key, body)})

    def reveal_test(self, key: Any, job_id: str, test: TestSet) -> JobAccepted:
        """The requester's JOB_TEST, signed by ``key``."""
        pub, sender = _signer(key)
        body = job_test_body(sender, job_id, test.rows, test.labels, test.salt, _now_ms(), pub)
        return self.post_job_step(job_id, "test", {"sender": sender, **test.to_dict(),
                                                   "timestamp_ms": body["timestamp_ms"], "public_key": pub,
                                                   "signature": crypto.sign_body(key, body)})

    def reveal_model(self, key: Any, job_id: str, sealed: Sealed) -> JobAccepted:
        """A committed worker's JOB_MODEL, signed by ``key``; the node refuses it (400
        ``commitment_mismatch``) unless it opens the sender's own commitment, which binds the sender."""
        pub, sender = _signer(key)
        body = job_model_body(sender, job_id, sealed.model, sealed.salt, _now_ms(), pub)
        return self.post_job_step(job_id, "model", {"sender": sender, "model": sealed.model, "salt": sealed.salt,
                                                    "timestamp_ms": body["timestamp_ms"], "public_key": pub,
                                                    "signature": crypto.sign_body(key, body)})


class _Classes(Answer):
    classes: list[str]


__all__ = ["JobMethods", "TestSet", "Sealed", "new_salt"]

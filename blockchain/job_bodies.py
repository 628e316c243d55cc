"""The bodies of the four user job transactions (PROTOCOL.md "Version 3: training jobs"), built the
one way the node's API and the client library both sign them: the node builds the body from a
request's fields, the client signs the same body before it sends those fields.

Plain dicts; the rules of ``blockchain/rules/job*.py`` check them.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

MODEL = "MODEL"


def _with_key(body: dict[str, Any], public_key: str | None) -> dict[str, Any]:
    if public_key is not None:
        body["public_key"] = public_key
    return body


def job_body(sender: str, bounty: int, data: Mapping[str, Any], timestamp_ms: int,
             public_key: str | None = None) -> dict[str, Any]:
    """A ``JOB``: ``data`` has the keys of PROTOCOL.md's table (kind, train, features, ...)."""
    return _with_key({"type": "JOB", "sender": sender, "recipient": MODEL, "amount": bounty,
                      "timestamp_ms": timestamp_ms, "data": dict(data)}, public_key)


def job_commit_body(sender: str, job_id: str, stake: int, model_commitment: str, timestamp_ms: int,
                    public_key: str | None = None) -> dict[str, Any]:
    """A ``JOB_COMMIT``: locks ``stake`` (the job's) and commits to a model by its hash."""
    return _with_key({"type": "JOB_COMMIT", "sender": sender, "recipient": MODEL, "amount": stake,
                      "timestamp_ms": timestamp_ms, "job_id": job_id, "model_commitment": model_commitment},
                     public_key)


def job_test_body(sender: str, job_id: str, rows: Sequence[Sequence[int]], labels: Sequence[int], salt: str,
                  timestamp_ms: int, public_key: str | None = None) -> dict[str, Any]:
    """A ``JOB_TEST``: the requester's test set and its salt."""
    return _with_key({"type": "JOB_TEST", "sender": sender, "recipient": MODEL, "amount": 0,
                      "timestamp_ms": timestamp_ms, "job_id": job_id,
                      "data": {"rows": [list(r) for r in rows], "labels": list(labels), "salt": salt}}, public_key)


def job_model_body(sender: str, job_id: str, model: Mapping[str, Any], salt: str, timestamp_ms: int,
                   public_key: str | None = None) -> dict[str, Any]:
    """A ``JOB_MODEL``: a committed worker's model and its salt."""
    return _with_key({"type": "JOB_MODEL", "sender": sender, "recipient": MODEL, "amount": 0,
                      "timestamp_ms": timestamp_ms, "job_id": job_id, "data": {"model": dict(model), "salt": salt}},
                     public_key)


__all__ = ["job_body", "job_commit_body", "job_test_body", "job_model_body"]

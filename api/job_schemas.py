"""Request bodies of the ``/jobs`` routes (PROTOCOL.md "Version 3: training jobs"), strict like
``schemas.py``: exact fields, integers that are integers, bounds stated in the OpenAPI document.

They check the shape of a request; what depends on the chain (windows, balances, the commitment
a reveal must match) is the job service's and the rules' (``api/jobs.py``, ``blockchain/rules/``).
"""
from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Field, StringConstraints

from ml import kinds

from .schemas import Hex64, Sender, Signing, Strict

MAX_AMOUNT = 10**12
Amount = Annotated[int, Field(ge=1, le=MAX_AMOUNT)]
Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,32}$")]
Value = Annotated[int, Field(ge=-kinds.MAX_ABS_FEATURE, le=kinds.MAX_ABS_FEATURE)]
Row = Annotated[list[Value], Field(min_length=1, max_length=kinds.MAX_FEATURES)]
Salt = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$"),
                 Field(description="64 lowercase hex characters, chosen at random by whoever commits")]


class TrainFlowers(Strict):
    flowers_to: Annotated[int, Field(ge=0, description="the network's flowers in blocks up to this height")]


class TrainArtifact(Strict):
    artifact: Annotated[Hex64, Field(description="the SHA-256 of a dataset file (GET /artifacts/<sha256>)")]


class JobIn(Signing):
    """A ``JOB``. ``features`` and ``classes`` may be left out for a job on the network's flowers
    (``train: {"flowers_to": H}``): they are then the four measurements and the network's classes."""

    sender: Sender
    bounty: Amount
    kind: Literal["linear", "tree", "knn"]
    train: Union[TrainFlowers, TrainArtifact]
    features: Annotated[list[Name], Field(min_length=1, max_length=kinds.MAX_FEATURES)] = None  # type: ignore[assignment]
    classes: Annotated[list[Name], Field(min_length=2, max_length=kinds.MAX_CLASSES)] = None  # type: ignore[assignment]
    test_commitment: Annotated[Hex64, Field(description='H(canon({"rows", "labels", "salt"})) of the hidden test set')]
    test_rows: Annotated[int, Field(ge=1, le=kinds.MAX_TEST_ROWS)]
    stake: Amount
    max_commits: Annotated[int, Field(ge=1, le=16)]
    commit_blocks: Annotated[int, Field(ge=1, le=10_000)]
    test_blocks: Annotated[int, Field(ge=1, le=10_000)]
    model_blocks: Annotated[int, Field(ge=2, le=10_000)]


class JobCommitIn(Signing):
    """A ``JOB_COMMIT``: its amount is the job's stake (the node fills it in; a signed body has it)."""

    sender: Sender
    model_commitment: Annotated[Hex64, Field(description='H(canon({"model", "salt", "worker"})) of the model, its '
                                                         'salt and the sender (the commitment binds its worker)')]


class JobTestIn(Signing):
    """A ``JOB_TEST``: the requester reveals its test set."""

    sender: Sender
    rows: Annotated[list[Row], Field(min_length=1, max_length=kinds.MAX_TEST_ROWS)]
    labels: Annotated[list[Annotated[int, Field(ge=0, lt=kinds.MAX_CLASSES)]],
                      Field(min_length=1, max_length=kinds.MAX_TEST_ROWS)]
    salt: Salt


class JobModelIn(Signing):
    """A ``JOB_MODEL``: a committed worker reveals its model (``{"kind": ...}``, ml/kinds.py)."""

    sender: Sender
    model: Annotated[dict[str, Any], Field(description="a linear, tree or knn model (PROTOCOL.md \"Model kinds\")")]
    salt: Salt


class JobPredictIn(Strict):
    """Rows of the job's features (integers, in the job's units: hundredths of a cm for flowers)."""

    rows: Annotated[list[Row], Field(min_length=1, max_length=kinds.MAX_TEST_ROWS)]


JOB_STATES = ("commit", "test", "model", "settling", "settled")
JobState = Literal["commit", "test", "model", "settling", "settled"]

__all__ = ["JobIn", "JobCommitIn", "JobTestIn", "JobModelIn", "JobPredictIn", "TrainFlowers", "TrainArtifact",
           "JOB_STATES", "JobState"]

"""What the ledger needs from a model: the one seam between the chain and machine learning.

The chain never imports a model implementation; the node hands it any object with these
methods. Rows are lists of four measurement strings (PROTOCOL.md "Measurements") and labels
plain strings, in chain order; row ``i`` is the i-th of the training set (base rows first).
"""
from __future__ import annotations

from typing import Any, Optional, Protocol, Sequence


class JobKinds(Protocol):
    """The model kinds of training jobs (PROTOCOL.md "Version 3: training jobs"): the checks and
    the exact score a job's rules need, which the chain cannot compute without ``ml/``. Stateless:
    any LedgerModel's answers are the same whatever its training state."""

    def check_job_model(self, kind: str, model: Any, features: int, classes: int) -> Optional[str]:
        """The first problem of ``model`` as a ``kind`` model on ``features`` and ``classes``, or None."""

    def check_job_test(self, test: Any, features: int, classes: int, rows: int) -> Optional[str]:
        """The first problem of a revealed test set ``{"rows", "labels", "salt"}``, or None."""

    def score_job_models(self, models: Sequence[Any], rows: Sequence[Sequence[int]],
                         labels: Sequence[int]) -> list[int]:
        """How many of ``rows`` each well-formed model predicts as its label."""


class LedgerModel(JobKinds, Protocol):
    def genesis_params(self) -> dict[str, Any]:
        """``{"base_hash", "classes", "k", "weights"}``: what the network's genesis commits to."""

    @property
    def state_hash(self) -> str:
        """The model_hash of PROTOCOL.md for the current state."""

    def summary(self) -> dict[str, Any]:
        """``{"data_points_trained", "model_hash", "test_correct", "test_rows"}`` (MODEL_UPDATE data)."""

    def preview_update(self, rows: Sequence[Sequence[str]], labels: Sequence[str]) -> dict[str, Any]:
        """The summary the model would have after one block carrying these rows; no change."""

    def add_data_point(self, features: Sequence[str], label: str) -> bool:
        """Stage one accepted data point; False (and nothing staged) when it is not usable."""

    def commit_data_points(self) -> dict[str, Any]:
        """Apply every staged point as one block's update, all or nothing; returns the summary."""

    def discard_data_points(self) -> None:
        """Drop staged points without applying them."""

    def loo_predict(self, row: int) -> str:
        """The leave-one-out prediction of training row ``row`` (claims are judged by it)."""

    def base_rows(self) -> list[tuple[list[str], str]]:
        """The base training rows as ``(measurement strings, label)``, row i at position i (v3 claims)."""

    def row(self, index: int) -> tuple[list[str], str]:
        """Training row ``index`` as ``(measurement strings, label)`` (for explaining a claim)."""

    def at_size(self, size: int) -> "LedgerModel":
        """A new model in the state it had with ``size`` training rows (for a reorg's fork point)."""

    def fresh(self) -> "LedgerModel":
        """A new model in the base state (same base data), for replays."""

    # For restarting from a snapshot instead of replaying:
    def snapshot(self) -> dict[str, Any]:
        """The model as plain JSON-able data."""

    def restore(self, data: dict[str, Any]) -> "LedgerModel":
        """A model rebuilt from ``snapshot()`` data; raises if the data does not verify."""

    @property
    def data_count(self) -> int:
        """How many training rows the model holds (base rows included)."""

    def update_history(self) -> list[tuple[int, str]]:
        """``(training rows, model_hash)`` after each committed update, oldest first."""

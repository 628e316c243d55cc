"""What the ledger needs from a model: the one seam between the chain and machine learning.

The chain never imports a model implementation; the node hands it any object with these
methods. Rows are plain lists of floats and labels plain strings, in chain order.
"""
from __future__ import annotations

from typing import Protocol, Sequence


class LedgerModel(Protocol):
    @property
    def state_hash(self) -> str:
        """The model_hash of PROTOCOL.md for the current state."""

    def summary(self) -> dict:
        """``{"data_points_trained", "model_hash", "accuracy"}`` of the current state."""

    def preview_update(self, rows: Sequence[Sequence[float]], labels: Sequence[str]) -> dict:
        """The summary the model would have after one block carrying these rows; no change."""

    def add_data_point(self, features: Sequence[float], label: str) -> bool:
        """Stage one accepted data point; False (and nothing staged) when it is not usable."""

    def commit_data_points(self) -> dict:
        """Apply every staged point as one block's update, all or nothing; returns the summary."""

    def discard_data_points(self) -> None:
        """Drop staged points without applying them."""

    def fresh(self) -> "LedgerModel":
        """A new model in the base state (same base data), for replays."""

    # Optional, for restarting from a snapshot instead of refitting block by block:
    def snapshot(self) -> dict:
        """The model as plain JSON-able data."""

    def restore(self, data: dict) -> "LedgerModel":
        """A model rebuilt from ``snapshot()`` data; raises if the data does not verify."""

    def update_history(self) -> list:
        """``(rows, labels, model_hash, data_points_trained)`` after each committed update."""

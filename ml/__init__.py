"""The model: the exact integer KNN of PROTOCOL.md (IrisModel), base data, measurements, evaluation.

Knows nothing of the chain: it takes plain rows (measurement strings or numbers) and labels.
"""
from pathlib import Path

from .base import FEATURE_NAMES, BaseData, iris_base, weights
from .errors import BaseDataError, InvalidFeatures, InvalidLabel, MeasurementError, ModelError, SnapshotError
from .hashing import base_model_hash, next_model_hash
from .measurements import from_number, units
from .model import IrisModel, check_features


def ledger_model(base_data: str | Path | None = None) -> IrisModel:
    """A model in its base state, for tools that replay a chain (``python -m blockchain.verify``).

    ``base_data`` is None for the Iris base, or the path of a base data JSON file.
    """
    return IrisModel(base=BaseData.from_file(base_data) if base_data else None)


__all__ = ["FEATURE_NAMES", "BaseData", "BaseDataError", "iris_base", "weights", "base_model_hash",
           "next_model_hash", "MeasurementError", "from_number", "units", "InvalidFeatures", "InvalidLabel",
           "IrisModel", "ModelError", "SnapshotError", "check_features", "ledger_model"]

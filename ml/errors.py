"""Every failure ``ml`` reports for bad input, under one root; each class has its own code."""
from __future__ import annotations


class ModelError(ValueError):
    """Root of the errors ``ml`` raises for bad input."""

    code = "invalid_model_input"


class InvalidFeatures(ModelError):
    code = "invalid_features"


class InvalidLabel(ModelError):
    code = "invalid_label"


class SnapshotError(ModelError):
    """A snapshot that is malformed or does not match the model_hash it carries."""

    code = "invalid_snapshot"


class BaseDataError(ModelError):
    """A base data set that cannot be used; the message says why."""

    code = "invalid_base_data"


class MeasurementError(ModelError):
    """A value that is not a measurement; the message says what is expected."""

    code = "invalid_measurement"

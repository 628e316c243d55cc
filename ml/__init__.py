"""The model: IrisModel (KNN + scaler), base data, evaluation, model_hash.

Knows nothing of the chain: it takes plain feature lists and labels.
"""
from .base import FEATURE_NAMES, BaseData, BaseDataError, iris_base
from .hashing import base_model_hash, next_model_hash
from .model import InvalidFeatures, InvalidLabel, IrisModel, ModelError, check_features

__all__ = ["FEATURE_NAMES", "BaseData", "BaseDataError", "iris_base", "base_model_hash", "next_model_hash",
           "InvalidFeatures", "InvalidLabel", "IrisModel", "ModelError", "check_features"]

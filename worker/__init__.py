"""An off-chain worker for training jobs: ``python -m worker --node URL`` (worker/__main__.py)."""
from .loop import Worker

__all__ = ["Worker"]

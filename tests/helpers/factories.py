"""Moved to testkit/factories.py; re-exported for the tests."""
from testkit.factories import NAMES, claim, flower, ledger, measurements, transfer

__all__ = ["NAMES", "claim", "flower", "ledger", "measurements", "transfer"]

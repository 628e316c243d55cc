"""Moved to testkit/network.py; re-exported for the tests."""
from testkit.network import connect, step, tips, wait_for_agreement, wait_until

__all__ = ["connect", "step", "tips", "wait_for_agreement", "wait_until"]

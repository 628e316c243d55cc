"""Moved to testkit/fake_peer.py; re-exported for the tests."""
from testkit.fake_peer import HEADER_KEYS, SECRET, SECRET_ANSWER, FakePeer, SilentPeers

__all__ = ["HEADER_KEYS", "SECRET", "SECRET_ANSWER", "FakePeer", "SilentPeers"]

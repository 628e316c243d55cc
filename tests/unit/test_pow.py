import hashlib

from blockchain.block import block_hash
from blockchain.pow import meets_difficulty, search_nonce


def test_search_finds_the_smallest_nonce():
    prefix = b'{"difficulty":3}:'
    nonce = search_nonce(prefix, 3)
    assert meets_difficulty(block_hash(prefix, nonce), 3)
    assert not any(meets_difficulty(block_hash(prefix, n), 3) for n in range(nonce))


def test_nonce_is_last_in_the_preimage():
    assert block_hash(b"abc:", 42) == hashlib.sha256(b"abc:42").hexdigest()


def test_limit_stops_the_search():
    assert search_nonce(b"x:", 12, limit=10) is None

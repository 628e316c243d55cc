"""The peer protocol's limits, in one place: what a node serves at most (``routes/sync.py``,
``routes/transactions.py``) and what it accepts at most from a peer (``headers_sync.py``,
``peers.py``). PROTOCOL.md "Peer endpoints" states the served limits; a node that asks for more is
refused (400), and a peer that answers more is cut off (``PeerError``) or backed off (``Misbehaved``).

Each answer a node reads from a peer is bounded three ways: its bytes (cut off while it is read),
its JSON values (counted before it is parsed, ``peers.count_items``), and its total deadline
(connection, headers and body together). The byte and value caps are a little above what an
honest peer's largest answer can be, so that only a dishonest one is cut off.
"""
from __future__ import annotations

# -- what a node serves (and asks for) ----------------------------------------------------------
MAX_HEADERS = 2000                  # headers in one GET /headers page (PROTOCOL.md)
MAX_LOCATOR = 64                    # block hashes in one GET /headers?locator= (PROTOCOL.md)
MAX_BLOCKS = 500                    # blocks in one GET /blocks page (PROTOCOL.md)
MAX_BLOCKS_BYTES = 8 * 1024 * 1024  # bytes of the blocks of one GET /blocks page (PROTOCOL.md: 8 MiB)
MAX_PENDING_PAGE = 1000             # transactions in one GET /transactions/pending page served
PENDING_PAGE = 500                  # transactions asked for per page when catching up on a peer's pool

# -- what a node accepts from a peer: bytes of one answer ---------------------------------------
SMALL_ANSWER = 1024 * 1024                   # tips, health, acknowledgements: any call without its own cap
TIP_ANSWER = 4096                            # GET /tip: {height, hash, genesis} is about 200 bytes
HEADERS_ANSWER = 1024 * 1024                 # GET /headers: 2000 headers are about 700 KB
BLOCKS_ANSWER = MAX_BLOCKS_BYTES + 64 * 1024  # GET /blocks: the 8 MiB page, and the JSON around it
PENDING_ANSWER = 4 * 1024 * 1024             # GET /transactions/pending: one page of PENDING_PAGE

# -- ... and JSON values of one answer (keys are counted with their values) ---------------------
SMALL_ITEMS = 20_000                    # any call without its own cap
TIP_ITEMS = 16                          # GET /tip: three values and the object
HEADERS_ITEMS = MAX_HEADERS * 9 + 8     # GET /headers: a header is 8 values (its object, 7 fields), and a margin
BLOCKS_ITEMS = BLOCKS_ANSWER // 16      # GET /blocks: honest blocks carry a JSON value per 30 bytes or more
PENDING_ITEMS = PENDING_PAGE * 40 + 16  # GET /transactions/pending: a transaction has fewer than 40 values

# -- deadlines (seconds) ------------------------------------------------------------------------
PEER_TIMEOUT = 5.0     # total deadline of one call to a peer, by default (``--peer-timeout``)
CONNECT_TIMEOUT = 2.0  # of its connection alone (never more than the total deadline)

__all__ = [
    "MAX_HEADERS", "MAX_LOCATOR", "MAX_BLOCKS", "MAX_BLOCKS_BYTES", "MAX_PENDING_PAGE", "PENDING_PAGE",
    "SMALL_ANSWER", "TIP_ANSWER", "HEADERS_ANSWER", "BLOCKS_ANSWER", "PENDING_ANSWER",
    "SMALL_ITEMS", "TIP_ITEMS", "HEADERS_ITEMS", "BLOCKS_ITEMS", "PENDING_ITEMS",
    "PEER_TIMEOUT", "CONNECT_TIMEOUT",
]

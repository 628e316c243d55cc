"""Getting an artifact this node lacks from its peers (``POST /artifacts/fetch``, docs/artifacts.md).

The peers are asked in turn, those that answered their last poll first, at most
``MAX_FETCH_PEERS`` of them, through ``PeerClient.get_bytes``: each call has a total deadline
(``--artifact-timeout``; connection, headers and body together), the byte cap of the store
(``--artifact-max-bytes``, the answer read in chunks and cut off there) and no redirects. The whole
fetch stops after ``BUDGET_CALLS`` deadlines, so a request never waits on more than that. Only
bytes whose SHA-256 is the name are kept; a peer that serves other bytes is reported and backed
off like any peer that served something invalid. At most ``FETCHES_AT_ONCE`` run at once, so the
node's threads always have room for everyone else.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from pathlib import Path
from typing import Any, Callable

from .artifacts import ArtifactNotFound, ArtifactStore, FetchBusy, FetchFailed
from .config import DEFAULT_ARTIFACT_TIMEOUT
from .errors import PeerError

log = logging.getLogger("artifacts")

MAX_FETCH_PEERS = 8  # peers asked for one artifact, at most
FETCHES_AT_ONCE = 2  # fetches under way at once; more are refused (503 fetch_busy)
BUDGET_CALLS = 2     # one fetch lasts at most this many per-call deadlines, all its peers together
_STATE_ORDER = {"ok": 0, "new": 1, "unreachable": 2, "backed_off": 3, "other_network": 4}


class PeerFetcher:
    """Fetches into ``store`` from ``peers()`` (objects with ``url`` and ``state``) through
    ``client`` (a ``PeerClient``); ``misbehaved(peer, why)`` is told of a peer that served other bytes."""

    def __init__(self, store: ArtifactStore, client: Any, peers: Callable[[], list],
                 misbehaved: Callable[[Any, str], None], timeout: float = DEFAULT_ARTIFACT_TIMEOUT) -> None:
        self.store, self.client, self._peers, self._misbehaved = store, client, peers, misbehaved
        self.timeout = timeout
        self._running = threading.BoundedSemaphore(FETCHES_AT_ONCE)

    def fetch(self, name: str) -> dict:
        """``{"sha256", "size", "peer", "created", "tried"}`` from the first peer that serves the
        right bytes. ArtifactNotFound when every peer asked says it has none (or there are no
        peers), FetchFailed (502) when some peer could not say, FetchBusy when FETCHES_AT_ONCE run."""
        if not self._running.acquire(blocking=False):
            raise FetchBusy(f"{FETCHES_AT_ONCE} artifact fetches are under way already; try again in a moment")
        try:
            return self._fetch(name)
        finally:
            self._running.release()

    def _fetch(self, name: str) -> dict:
        peers = sorted(self._peers(), key=lambda p: (_STATE_ORDER.get(p.state, 5), p.url))[:MAX_FETCH_PEERS]
        if not peers:
            raise ArtifactNotFound(f"this node holds no artifact {name} and has no peers to ask")
        tried: list[dict] = []
        lacking = True  # every peer asked said it does not have it
        ends = time.monotonic() + BUDGET_CALLS * self.timeout
        for peer in peers:
            left = ends - time.monotonic()
            if left < 0.1:
                tried.append({"url": peer.url, "problem": "not asked: the fetch's deadline "
                                                          f"({BUDGET_CALLS * self.timeout:g}s) had passed"})
                lacking = False
                continue
            try:
                status, data = self.client.get_bytes(peer.url, f"/artifacts/{name}", max_bytes=self.store.max_bytes,
                                                     timeout=min(self.timeout, left))
            except PeerError as exc:
                tried.append({"url": peer.url, "problem": str(exc)})
                lacking = False
                continue
            if status == 404:
                tried.append({"url": peer.url, "problem": "does not have it (404)"})
                continue
            if status != 200:
                tried.append({"url": peer.url, "problem": f"answered {status}"})
                lacking = False
                continue
            actual = hashlib.sha256(data).hexdigest()
            if actual != name:
                why = f"served {len(data)} bytes for artifact {name[:16]}... whose SHA-256 is {actual[:16]}..."
                log.warning("peer %s %s; not kept", peer.url, why)
                self._misbehaved(peer, why)
                tried.append({"url": peer.url, "problem": why})
                lacking = False
                continue
            stored, size, created = self.store.put(data)
            log.info("fetched artifact %s (%d bytes) from %s", stored, size, peer.url)
            return {"sha256": stored, "size": size, "peer": peer.url, "created": created, "tried": tried}
        asked = ", ".join(f"{t['url']}: {t['problem']}" for t in tried)
        if lacking:
            raise ArtifactNotFound(f"no peer has artifact {name} ({asked})", details=tried)
        raise FetchFailed(f"no peer served artifact {name} ({asked})", details=tried)


def node_store(service: Any) -> ArtifactStore:
    """The store of a running node (``service``, a NodeService): in its data directory
    (``artifacts/``), or in memory with ``--ephemeral``; it fetches from the node's peers."""
    config, network = service.config, service.network
    root = None if service.data_dir is None else Path(service.data_dir) / "artifacts"
    store = ArtifactStore(root, config.artifact_max_bytes, config.artifact_store_bytes,
                          durable=config.durability == "fsync")
    store.fetcher = PeerFetcher(store, network.client, network.book.all,
                                lambda peer, why: network.book.misbehaved(peer, network.clock.monotonic(), why),
                                timeout=config.artifact_timeout)
    return store


__all__ = ["node_store", "PeerFetcher", "MAX_FETCH_PEERS", "FETCHES_AT_ONCE", "BUDGET_CALLS"]

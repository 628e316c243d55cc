"""The node's place in a network: its peers, gossip of transactions and blocks, and sync.

- Peers are kept in the node's store and survive a restart.
- Gossip: what this node accepts for the first time (from a client, a peer, or its own miner)
  is sent on to every peer, in the background; what it already had is never re-sent, so
  nothing loops.
- Sync: a block that does not extend our tip (409), a newly registered peer, a peer whose
  ``/health`` reports more work, or ``/nodes/resolve`` make the node fetch its peers' chains and
  adopt the one with the most work, after full validation (``Blockchain.replace_chain``).
"""
from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

from blockchain import Block, BlockchainError, Blockchain, Transaction

from .peer_urls import MAX_PEERS, PeerURLError, is_self, normalize_peer_url
from .peers import CHAIN_ANSWER, PeerClient, PeerError

log = logging.getLogger("network")

PEERS_KEY = "peers"
BACKOFF_SECONDS = 60.0  # a peer that offered an invalid chain does not trigger syncs by its height for this long


class Network:
    def __init__(self, chain: Blockchain, own_host: str, own_port: int, node_id: str,
                 peer_timeout: float = 5.0, sync_interval: float = 2.0) -> None:
        self.chain = chain
        self.own_host, self.own_port, self.node_id = own_host, own_port, node_id
        self.client = PeerClient(timeout=peer_timeout)
        self.sync_interval = sync_interval
        self._peers: list[str] = []
        self._lock = threading.Lock()
        self._resolve_lock = threading.Lock()
        self._sync_wanted = threading.Event()
        self._stopping = threading.Event()
        self._sender = ThreadPoolExecutor(max_workers=4, thread_name_prefix="gossip")
        self._thread: Optional[threading.Thread] = None
        self._rejected: dict[str, tuple[str, str]] = {}  # peer -> (tip hash, reason) of the invalid chain it offered
        self._quiet_until: dict[str, float] = {}        # peer -> until when its height claims are ignored
        stored = chain.setting(PEERS_KEY)
        if stored:
            self._peers = [p for p in json.loads(stored) if isinstance(p, str)][:MAX_PEERS]

    # -- peers ------------------------------------------------------------------------
    @property
    def own_url(self) -> Optional[str]:
        """The URL peers can reach us at, when we listen on one definite address."""
        if self.own_host in ("0.0.0.0", "::", ""):
            return None
        host = f"[{self.own_host}]" if ":" in self.own_host else self.own_host
        return f"http://{host}:{self.own_port}"

    def peers(self) -> list[str]:
        with self._lock:
            return list(self._peers)

    def check_urls(self, urls) -> list[str]:
        """Normalized URLs, all acceptable, or PeerURLError for the first that is not."""
        if not isinstance(urls, list) or not urls:
            raise PeerURLError(f"nodes must be a non-empty list of URLs; got {type(urls).__name__}")
        if len(urls) > MAX_PEERS:
            raise PeerURLError(f"nodes must list at most {MAX_PEERS} URLs; got {len(urls)}")
        out = []
        for url in urls:
            normalized = normalize_peer_url(url)
            if is_self(normalized, self.own_host, self.own_port):
                raise PeerURLError(f"a node never registers itself; {url!r} is this node")
            if normalized not in out:
                out.append(normalized)
        return out

    def register(self, urls, announce: bool = True) -> list[str]:
        """Add peers (all or none); returns the URLs that were new. Syncs with them in the background."""
        checked = self.check_urls(urls)
        with self._lock:
            new = [u for u in checked if u not in self._peers]
            if len(self._peers) + len(new) > MAX_PEERS:
                raise PeerURLError(f"a node keeps at most {MAX_PEERS} peers; it has {len(self._peers)} "
                                   f"and {len(new)} more were asked for")
            if new:
                self.chain.save_setting(PEERS_KEY, json.dumps(self._peers + new))
                self._peers.extend(new)
        for url in new:
            log.info("registered peer %s", url)
            if announce and self.own_url:
                self._sender.submit(self._announce, url)
        if new:
            self.request_sync()
        return new

    def _announce(self, url: str) -> None:
        """Ask a new peer to register us back, so that gossip flows both ways."""
        try:
            self.client.post(url, "/nodes/register", {"nodes": [self.own_url]})
        except PeerError as exc:
            log.info("could not announce ourselves to %s: %s", url, exc)

    # -- gossip -----------------------------------------------------------------------
    def broadcast_transaction(self, tx: Transaction) -> None:
        self._broadcast("/transactions", tx.to_dict())

    def broadcast_block(self, block: Block) -> None:
        self._broadcast("/blocks", block.to_dict())

    def _broadcast(self, path: str, body: dict) -> None:
        for url in self.peers():
            if not self._stopping.is_set():
                self._sender.submit(self._send, url, path, body)

    def _send(self, url: str, path: str, body: dict) -> None:
        try:
            status, _ = self.client.post(url, path, body)
        except PeerError as exc:
            log.info("gossip to %s%s failed: %s", url, path, exc)
            return
        if status == 409 and path == "/blocks":
            self.request_sync()  # the peer is on another branch; see who has the most work
        elif status >= 400:
            log.info("peer %s refused %s with %d", url, path, status)

    # -- sync -------------------------------------------------------------------------
    def request_sync(self) -> None:
        self._sync_wanted.set()

    def resolve(self) -> dict:
        """Fetch every peer's chain and adopt the valid one with the most work, if it beats ours."""
        with self._resolve_lock:
            peers = self.peers()
            if not peers:
                return {"replaced": False, "length": self.chain.height + 1, "peers": 0, "problems": []}
            with ThreadPoolExecutor(max_workers=min(8, len(peers))) as pool:
                answers = list(pool.map(self._fetch_chain, peers))
            problems = [err for _, _, err in answers if err]
            offers = sorted(((len(chain), url, chain) for url, chain, err in answers if chain is not None),
                            key=lambda o: -o[0])
            replaced, source, restored = False, None, []
            for length, url, chain in offers:
                if length <= self.chain.height + 1:
                    break
                tip = chain[-1].get("hash") if isinstance(chain[-1], dict) else None
                known = self._rejected.get(url)
                if tip is not None and known is not None and known[0] == tip:
                    problems.append(f"{url}: offers the same invalid chain as before: {known[1]}")
                    continue
                try:
                    replaced, restored = self.chain.replace_chain(chain)
                except BlockchainError as exc:
                    if isinstance(tip, str):
                        self._rejected[url] = (tip, str(exc))
                    self._quiet_until[url] = time.monotonic() + BACKOFF_SECONDS
                    problems.append(f"{url}: invalid chain: {exc}")
                    log.warning("peer %s offered an invalid chain: %s", url, exc)
                    continue
                if replaced:
                    source = url
                    break
            for tx in restored:
                self.broadcast_transaction(tx)
            if replaced:
                log.info("adopted the chain of %s (length %d)", source, self.chain.height + 1)
            return {"replaced": replaced, "length": self.chain.height + 1, "source": source,
                    "peers": len(peers), "problems": problems}

    def _fetch_chain(self, url: str):
        try:
            status, body = self.client.get(url, "/chain", max_bytes=CHAIN_ANSWER)
        except PeerError as exc:
            return url, None, str(exc)
        if status != 200 or not isinstance(body, dict) or not isinstance(body.get("chain"), list):
            return url, None, f"{url}/chain: answered {status} without a chain"
        return url, body["chain"], None

    def _peer_has_more_work(self) -> bool:
        now = time.monotonic()
        for url in self.peers():
            if self._quiet_until.get(url, 0.0) > now:
                continue  # it lied to us recently: its claims do not make us download its chain again
            try:
                status, body = self.client.get(url, "/health")
            except PeerError:
                continue
            if status != 200 or not isinstance(body, dict):
                continue
            if body.get("node_id") == self.node_id:
                self._forget(url, "it is this node")
                continue
            height = body.get("height")
            if isinstance(height, int) and not isinstance(height, bool) and height > self.chain.height:
                return True
        return False

    def _forget(self, url: str, why: str) -> None:
        with self._lock:
            if url in self._peers:
                self._peers.remove(url)
                self.chain.save_setting(PEERS_KEY, json.dumps(self._peers))
        log.info("forgot peer %s: %s", url, why)

    def _run(self) -> None:
        next_poll = time.monotonic() + self.sync_interval
        while not self._stopping.is_set():
            wanted = self._sync_wanted.wait(timeout=max(0.0, next_poll - time.monotonic()))
            if self._stopping.is_set():
                return
            try:
                if wanted:
                    self._sync_wanted.clear()
                    self.resolve()
                elif self.peers() and self._peer_has_more_work():
                    self.resolve()
            except Exception:  # the loop must survive anything a peer can cause
                log.exception("sync failed")
            if not wanted:
                next_poll = time.monotonic() + self.sync_interval

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sync", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._sync_wanted.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._sender.shutdown(wait=False, cancel_futures=True)

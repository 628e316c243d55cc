"""The node's place in a network: its peers, gossip of transactions and blocks, and sync.

- Peers are kept in the node's store and survive a restart (``peerbook.py``: their states and
  back-off delays).
- Gossip: what this node accepts for the first time (from a client, a peer, or its own miner)
  is queued for every peer, each on its own bounded queue (``gossip.py``); what it already had
  is never re-sent, so nothing loops.
- Sync: every ``sync_interval`` each peer that is due is asked for its ``/tip``, each on its own
  worker (``rounds.py``): a silent peer delays nobody. A peer whose tip is higher than ours and not
  on our chain is synced headers first (``headers_sync.py``), one peer at a time, as soon as its
  tip arrives. A block that does not extend our tip (409) and a newly registered peer start polls
  at once; ``/nodes/resolve`` waits for a round, shared by the resolves that ask meanwhile. The
  first time a peer answers, and whenever it comes back after being unreachable, its pending pool
  is caught up on.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

from blockchain import Block, Blockchain, Transaction

from .clock import SYSTEM_CLOCK, Clock
from .gossip import Gossip
from .headers_sync import PeerSync
from .limits import PEER_TIMEOUT
from .peer_urls import MAX_PEERS, PeerURLError, is_self, normalize_peer_url
from .peerbook import Peer, PeerBook
from .peers import PeerClient, PeerError
from .rounds import Rounds

log = logging.getLogger("network")


class Network:
    def __init__(self, chain: Blockchain, own_host: str, own_port: int, node_id: str,
                 peer_timeout: float = PEER_TIMEOUT, sync_interval: float = 2.0,
                 advertise: Optional[str] = None, clock: Clock = SYSTEM_CLOCK) -> None:
        self.chain = chain
        self.clock = clock  # the sync loop's timer and every back-off read it (api/clock.py)
        self.advertise = advertise
        self.own_host, self.own_port, self.node_id = own_host, own_port, node_id
        self.client = PeerClient(timeout=peer_timeout)
        self.sync_interval = sync_interval
        self.book = PeerBook(chain, sync_interval, clock)
        self._sync_wanted = threading.Event()
        self._stopping = threading.Event()
        self.syncer = PeerSync(chain, self.client, self._stopping)
        self.gossip = Gossip(self._send)
        self._announcer = ThreadPoolExecutor(max_workers=2, thread_name_prefix="announce")
        self.rounds = Rounds(chain, self.book, self.syncer, self.broadcast_transaction)
        self._thread: Optional[threading.Thread] = None

    # -- peers ------------------------------------------------------------------------
    @property
    def own_url(self) -> Optional[str]:
        """The URL peers can reach us at: ``--advertise``, else our address when we listen on one
        definite address (a node on 0.0.0.0 without ``--advertise`` announces nothing)."""
        if self.advertise:
            return self.advertise
        if self.own_host in ("0.0.0.0", "::", ""):
            return None
        host = f"[{self.own_host}]" if ":" in self.own_host else self.own_host
        return f"http://{host}:{self.own_port}"

    def peers(self) -> list[str]:
        return self.book.urls()

    def nodes(self) -> list[dict]:
        """Each peer's URL, proven height, last answer (Unix seconds), state and traffic."""
        now = self.clock.monotonic()
        return [peer.view(now, self.client.traffic(peer.url)) for peer in self.book.all()]

    def check_urls(self, urls) -> list[str]:
        """Normalized URLs, all acceptable, or PeerURLError for the first that is not."""
        if not isinstance(urls, list) or not urls:
            raise PeerURLError(f"nodes must be a non-empty list of URLs; got {type(urls).__name__}")
        if len(urls) > MAX_PEERS:
            raise PeerURLError(f"nodes must list at most {MAX_PEERS} URLs; got {len(urls)}")
        out = []
        for url in urls:
            normalized = normalize_peer_url(url)
            if is_self(normalized, self.own_host, self.own_port) or normalized == self.advertise:
                raise PeerURLError(f"a node never registers itself; {url!r} is this node")
            if normalized not in out:
                out.append(normalized)
        return out

    def register(self, urls, announce: bool = True) -> list[str]:
        """Add peers (all or none); returns the URLs that were new. Syncs with them in the background."""
        checked = self.check_urls(urls)
        try:
            new, evicted = self.book.add(checked)
        except OverflowError as exc:
            raise PeerURLError(str(exc)) from None
        for url in evicted:
            self.gossip.forget(url)
            log.info("forgot peer %s: it never answered, and its place was needed", url)
        for url in new:
            log.info("registered peer %s", url)
        if announce:
            self.announce(new)
        if new:
            self.request_sync()
        return new

    def forget(self, url: str) -> bool:
        """Drop a peer (``DELETE /nodes/<url>``); False when it was not one."""
        try:
            url = normalize_peer_url(url)
        except PeerURLError:
            return False
        if not self.book.remove(url):
            return False
        self.gossip.forget(url)
        log.info("forgot peer %s", url)
        return True

    def announce(self, urls: list[str]) -> None:
        """Ask each of ``urls`` to register us back, in the background (nothing without ``own_url``)."""
        if self.own_url:
            for url in urls:
                self._announcer.submit(self._announce, url)

    def _announce(self, url: str) -> None:
        """Ask a new peer to register us back, so that gossip flows both ways."""
        try:
            self.client.post(url, "/nodes/register", {"nodes": [self.own_url]})
        except PeerError as exc:
            log.info("could not announce ourselves to %s: %s", url, exc)

    # -- gossip -----------------------------------------------------------------------
    def broadcast_transaction(self, tx: Transaction) -> None:
        self.gossip.push(self.peers(), "/transactions", tx.to_dict())

    def broadcast_block(self, block: Block) -> None:
        self.gossip.push(self.peers(), "/blocks", block.to_dict())

    def _send(self, url: str, path: str, body: dict) -> None:
        if self._stopping.is_set():
            return
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
        """One sync round now, with every peer that is not backed off, shared with the resolves that
        ask meanwhile; says what happened. ResolveBusy when too many already wait for one."""
        return self.rounds.resolve()

    def _live(self) -> list[Peer]:
        """The peers to poll when a sync is wanted at once: all but those backed off, of another
        network or unreachable, unless their delay is over."""
        now = self.clock.monotonic()
        return [p for p in self.book.all()
                if p.state not in ("backed_off", "other_network", "unreachable") or p.next_poll <= now]

    def _run(self) -> None:
        next_poll = self.clock.monotonic() + self.sync_interval
        while not self._stopping.is_set():
            wanted = self.clock.wait(self._sync_wanted, next_poll - self.clock.monotonic())
            if self._stopping.is_set():
                return
            try:
                if wanted:
                    self._sync_wanted.clear()
                self.rounds.poll(self._live() if wanted else self.book.due(self.clock.monotonic()))  # never waits
            except Exception:  # the loop must survive anything a peer can cause
                log.exception("sync failed")
            next_poll = self.clock.monotonic() + self.sync_interval

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sync", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._sync_wanted.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.gossip.close()
        self.syncer.close()
        self._announcer.shutdown(wait=False, cancel_futures=True)
        self.rounds.close()

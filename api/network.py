"""The node's place in a network: its peers, gossip of transactions and blocks, and sync.

- Peers are kept in the node's store and survive a restart (``peerbook.py``: their states and
  back-off delays).
- Gossip: what this node accepts for the first time (from a client, a peer, or its own miner)
  is queued for every peer, each on its own bounded queue (``gossip.py``); what it already had
  is never re-sent, so nothing loops.
- Sync: every ``sync_interval`` each peer that is due is asked for its ``/tip`` (in parallel).
  A peer whose tip is higher than ours and not on our chain is synced headers first
  (``headers_sync.py``), the highest claim first. A block that does not extend our tip (409), a
  newly registered peer and ``/nodes/resolve`` start a round at once. The first time a peer
  answers, and whenever it comes back after being unreachable, its pending pool is caught up on.
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Optional

from blockchain import Block, BlockchainError, Blockchain, Transaction
from blockchain.pool import MAX_PENDING

from .gossip import Gossip
from .headers_sync import Misbehaved, PeerSync
from .peer_urls import MAX_PEERS, PeerURLError, is_self, normalize_peer_url
from .peerbook import Peer, PeerBook
from .peers import PeerClient, PeerError, what_was_wrong

log = logging.getLogger("network")


class Network:
    def __init__(self, chain: Blockchain, own_host: str, own_port: int, node_id: str,
                 peer_timeout: float = 5.0, sync_interval: float = 2.0, advertise: Optional[str] = None) -> None:
        self.chain = chain
        self.advertise = advertise
        self.own_host, self.own_port, self.node_id = own_host, own_port, node_id
        self.client = PeerClient(timeout=peer_timeout)
        self.sync_interval = sync_interval
        self.book = PeerBook(chain, sync_interval)
        self._round_lock = threading.Lock()
        self._sync_wanted = threading.Event()
        self._stopping = threading.Event()
        self.syncer = PeerSync(chain, self.client, self._stopping)
        self.gossip = Gossip(self._send)
        self._announcer = ThreadPoolExecutor(max_workers=2, thread_name_prefix="announce")
        self._tips = ThreadPoolExecutor(max_workers=8, thread_name_prefix="tips")
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
        now = time.monotonic()
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
            if announce and self.own_url:
                self._announcer.submit(self._announce, url)
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
        """One sync round now, with every peer that is not backed off; says what happened."""
        return self._round("all")

    def _round(self, who: str) -> dict:
        """Poll the tips of ``who`` ("all" not backed off, "live" also not unreachable, "due"),
        in parallel, and sync with each that has more as soon as its tip arrives."""
        with self._round_lock:
            now = time.monotonic()
            every = self.book.all()
            if who == "due":
                peers = self.book.due(now)
            else:
                skip = ("backed_off", "other_network") if who == "all" else ("backed_off", "other_network", "unreachable")
                peers = [p for p in every if p.state not in skip or p.next_poll <= now]
            problems = [f"{p.url}: {p.state} ({p.problem})" for p in every if who == "all" and p not in peers]
            start_height, source, restored = self.chain.height, None, []
            polls = {self._tips.submit(self._poll_tip, peer): peer for peer in peers}
            for done in as_completed(polls):
                peer = polls[done]
                tip, problem = done.result()
                if problem:
                    problems.append(problem)
                if tip is None or tip["height"] <= self.chain.height or self.chain.main_height(tip["hash"]) is not None:
                    continue
                problem, outcome = self._sync_with(peer, tip["height"])
                if problem:
                    problems.append(problem)
                if outcome is not None:
                    restored.extend(outcome.restored)
                    if outcome.blocks:
                        source = peer.url
            for peer in peers:
                if peer.needs_pool and peer.state == "ok":
                    self._catch_up_pool(peer)
            for tx in restored:
                self.broadcast_transaction(tx)
            if source is not None:
                log.info("took blocks from %s; height %d -> %d", source, start_height, self.chain.height)
            return {"replaced": source is not None, "length": self.chain.height + 1, "source": source,
                    "peers": len(every), "problems": problems}

    def _poll_tip(self, peer: Peer) -> tuple[Optional[dict], Optional[str]]:
        now = time.monotonic()
        try:
            tip = self.syncer.tip(peer.url)
        except PeerError as exc:
            self.book.unreachable(peer, now, str(exc))
            return None, f"{peer.url}: {exc}"
        except Misbehaved as exc:
            self.book.misbehaved(peer, now, str(exc))
            return None, f"{peer.url}: {exc}"
        self.book.seen(peer, now)
        if tip["genesis"] != self.chain.genesis.hash:
            self.book.other_network(peer, now, tip["genesis"])
            return None, f"{peer.url}: {peer.problem}"
        peer.claimed, peer.tip = tip["height"], tip["hash"]
        if self.chain.main_height(tip["hash"]) is not None:
            peer.height = tip["height"]  # on our chain: proven
        if peer.state != "backed_off" or tip["height"] <= self.chain.height:
            self.book.behaved(peer)
        return tip, None

    def _sync_with(self, peer: Peer, claimed: int):
        now = time.monotonic()
        try:
            outcome = self.syncer.sync(peer.url, claimed)
        except Misbehaved as exc:
            log.warning("peer %s misbehaved: %s", peer.url, exc)
            self.book.misbehaved(peer, now, str(exc))
            return f"{peer.url}: {exc}", None
        except PeerError as exc:
            # It answered its /tip a moment ago: headers that do not come, or cannot be used, do not
            # back its claim, whatever the claim (asking again at every poll is what a liar wants).
            why = f"its /tip claimed height {claimed}, but its headers did not back it: {exc}"
            log.warning("peer %s misbehaved: %s", peer.url, why)
            self.book.misbehaved(peer, now, why)
            return f"{peer.url}: {why}", None
        except BlockchainError as exc:
            why = what_was_wrong(str(exc))
            self.book.misbehaved(peer, now, why)
            return f"{peer.url}: {why}", None
        reached = self.chain.main_height(peer.tip) if peer.tip else None
        if outcome.proven is not None:
            peer.height = max(outcome.proven, peer.height or 0)
        if reached is None and self.chain.height < claimed:
            why = f"its /tip claimed height {claimed}, but it showed a valid chain only to {self.chain.height}"
            self.book.misbehaved(peer, now, why)
            return f"{peer.url}: {why}", outcome
        peer.height = reached if reached is not None else peer.height
        self.book.behaved(peer)
        return None, outcome

    def _catch_up_pool(self, peer: Peer) -> None:
        try:
            taken = self.syncer.catch_up_pool(peer.url, MAX_PENDING)
        except (PeerError, Misbehaved) as exc:
            log.info("could not catch up on the pending pool of %s: %s", peer.url, exc)
            return
        peer.needs_pool = False
        if taken:
            log.info("took %d pending transactions from %s", taken, peer.url)

    def _run(self) -> None:
        next_poll = time.monotonic() + self.sync_interval
        while not self._stopping.is_set():
            wanted = self._sync_wanted.wait(timeout=max(0.0, next_poll - time.monotonic()))
            if self._stopping.is_set():
                return
            try:
                if wanted:
                    self._sync_wanted.clear()
                self._round("live" if wanted else "due")
            except Exception:  # the loop must survive anything a peer can cause
                log.exception("sync failed")
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
        self.gossip.close()
        self.syncer.close()
        self._announcer.shutdown(wait=False, cancel_futures=True)
        self._tips.shutdown(wait=False, cancel_futures=True)

"""Polling peers and syncing with them (``network.py``'s rounds), so that silent peers stall nothing.

- Each peer's ``/tip`` is polled on its own worker, all at once (at most ``MAX_PEERS`` workers, one
  poll per peer at a time: a peer already being polled is joined, never asked twice), and each call
  has its total deadline. A peer's answer is acted on as soon as it arrives: nobody waits for the
  slowest peer before syncing with the one that has more.
- Syncing changes the chain, so it runs with one peer at a time (``_sync_lock``); a peer whose tip
  another peer's blocks reached meanwhile is not synced with.
- The background loop only starts polls; it never waits for them. ``GET /nodes/resolve`` waits
  for the polls of one round, and concurrent resolves share it (single flight). At most
  ``RESOLVE_WAITERS`` requests wait at once (half of the server's 8 threads), so that reads always
  have threads left; more are answered ``ResolveBusy`` (503 ``resolve_busy``, ``Retry-After``).
"""
from __future__ import annotations

import functools
import logging
import threading
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from typing import Callable, Optional

from blockchain import BlockchainError
from blockchain.pool import MAX_PENDING

from .errors import InvalidAnswer, ResolveBusy
from .headers_sync import Misbehaved, PeerSync
from .peer_urls import MAX_PEERS
from .peerbook import Peer, PeerBook
from .peers import PeerError, what_was_wrong

log = logging.getLogger("network")

RESOLVE_WAITERS = 4


class Rounds:
    def __init__(self, chain, book: PeerBook, syncer: PeerSync, broadcast_transaction: Callable) -> None:
        self.chain, self.book, self.syncer = chain, book, syncer
        self._broadcast = broadcast_transaction
        self._polls = ThreadPoolExecutor(max_workers=MAX_PEERS, thread_name_prefix="tips")
        self._lock = threading.RLock()   # a done callback may run in the thread that holds it
        self._inflight: dict[str, tuple[Peer, Future]] = {}  # URL -> the peer record polled, its poll
        self._sync_lock = threading.Lock()
        self._resolving: Optional[Future] = None
        self._waiters = threading.BoundedSemaphore(RESOLVE_WAITERS)

    def close(self) -> None:
        self._polls.shutdown(wait=False, cancel_futures=True)

    # -- polls ------------------------------------------------------------------------------
    def poll(self, peers: list[Peer]) -> list[Future]:
        """Start a poll of each peer that is not being polled already; returns every peer's poll."""
        futures: list[Future] = []
        with self._lock:
            for peer in peers:
                inflight = self._inflight.get(peer.url)
                if inflight is not None and inflight[0] is peer:
                    future = inflight[1]
                else:  # not polled yet (or polled as the peer it was before it was forgotten)
                    try:
                        future = self._polls.submit(self._visit, peer)
                    except RuntimeError:  # shut down: the node is stopping
                        break
                    self._inflight[peer.url] = (peer, future)
                    future.add_done_callback(functools.partial(self._finished, peer.url))
                futures.append(future)
        return futures

    def _finished(self, url: str, future: Future) -> None:
        with self._lock:
            if self._inflight.get(url, (None, None))[1] is future:
                del self._inflight[url]

    def _visit(self, peer: Peer) -> tuple[list[str], Optional[str]]:
        """Poll one peer, sync with it if it shows more, catch up on its pool: (problems, source).
        Nobody may wait for a background poll: what it raises is logged here, never lost."""
        try:
            return self._visit_once(peer)
        except Exception:
            log.exception("polling %s failed", peer.url)
            return [f"{peer.url}: the node failed while polling it; see its log"], None

    def _visit_once(self, peer: Peer) -> tuple[list[str], Optional[str]]:
        tip, problem = self._poll_tip(peer)
        problems, source = ([problem] if problem else []), None
        if tip is not None and self._worth_syncing(tip):
            with self._sync_lock:
                if self._worth_syncing(tip):  # another peer's blocks may have brought us there meanwhile
                    start = self.chain.height
                    problem, outcome = self._sync_with(peer, tip["height"], self.chain.tip_work(tip))
                    if problem:
                        problems.append(problem)
                    if outcome is not None:
                        if outcome.blocks:
                            source = peer.url
                            log.info("took blocks from %s; height %d -> %d", source, start, self.chain.height)
                        for tx in outcome.restored:
                            self._broadcast(tx)
        if peer.needs_pool and peer.state == "ok":
            self._catch_up_pool(peer)
        return problems, source

    def _worth_syncing(self, tip: dict) -> bool:
        return self.chain.prefers_tip(tip) and self.chain.main_height(tip["hash"]) is None

    # -- a resolve round ----------------------------------------------------------------------
    def resolve(self) -> dict:
        """One round with every peer not backed off, shared by the requests that ask meanwhile."""
        if not self._waiters.acquire(blocking=False):
            raise ResolveBusy(f"{RESOLVE_WAITERS} requests already wait for a resolve round; retry in a second")
        try:
            with self._lock:
                shared, lead = self._resolving, False
                if shared is None or shared.done():
                    shared, lead = Future(), True
                    self._resolving = shared
            if lead:
                try:
                    shared.set_result(self._round())
                except BaseException as exc:
                    shared.set_exception(exc)
            return shared.result()
        finally:
            self._waiters.release()

    def _round(self) -> dict:
        now = self.book.clock.monotonic()
        every = self.book.all()
        peers = [p for p in every if p.state not in ("backed_off", "other_network") or p.next_poll <= now]
        problems = [f"{p.url}: {p.state} ({p.problem})" for p in every if p not in peers]
        sources = []
        for future in self.poll(peers):  # each poll has its total deadline: none waits for ever
            try:
                found, source = future.result()
            except CancelledError:
                problems.append("the node is stopping")
                continue
            except Exception:  # a poll must not take the round down with it
                log.exception("a peer poll failed")
                continue
            problems.extend(found)
            if source is not None:
                sources.append(source)
        source = sources[-1] if sources else None
        return {"replaced": source is not None, "length": self.chain.height + 1, "source": source,
                "peers": len(every), "problems": problems}

    # -- one peer -----------------------------------------------------------------------------
    def _poll_tip(self, peer: Peer) -> tuple[Optional[dict], Optional[str]]:
        now = self.book.clock.monotonic()
        try:
            tip = self.syncer.tip(peer.url)
        except (InvalidAnswer, Misbehaved) as exc:  # it answered, with something invalid
            self.book.misbehaved(peer, now, str(exc))
            return None, f"{peer.url}: {exc}"
        except PeerError as exc:  # no answer (InvalidAnswer, a PeerError too, is caught above)
            self.book.unreachable(peer, now, str(exc))
            return None, f"{peer.url}: {exc}"
        self.book.seen(peer, now)
        if tip["genesis"] != self.chain.genesis.hash:
            self.book.other_network(peer, now, tip["genesis"])
            return None, f"{peer.url}: {peer.problem}"
        peer.claimed, peer.tip = tip["height"], tip["hash"]
        if self.chain.main_height(tip["hash"]) is not None:
            peer.height = tip["height"]  # on our chain: proven
        if peer.state != "backed_off" or not self.chain.prefers_tip(tip):
            self.book.behaved(peer)
        return tip, None

    def _sync_with(self, peer: Peer, claimed: int, claimed_work: int):
        now = self.book.clock.monotonic()
        try:
            outcome = self.syncer.sync(peer.url, claimed)
        except Misbehaved as exc:
            log.warning("peer %s misbehaved: %s", peer.url, exc)
            self.book.misbehaved(peer, now, str(exc))
            return f"{peer.url}: {exc}", None
        except InvalidAnswer as exc:
            # It answered its /tip a moment ago: headers that cannot be used do not back its claim,
            # whatever the claim (asking again at every poll is what a liar wants).
            why = f"its /tip claimed height {claimed}, but its headers did not back it: {exc}"
            log.warning("peer %s misbehaved: %s", peer.url, why)
            self.book.misbehaved(peer, now, why)
            return f"{peer.url}: {why}", None
        except PeerError as exc:
            # Headers or bodies that did not come in time: a partition that began mid-sync looks
            # just like this, so a short back-off (doubling while it lasts), not a strike.
            why = f"its /tip claimed height {claimed}, but it stopped answering during the sync: {exc}"
            log.warning("peer %s stalled: %s", peer.url, why)
            self.book.stalled(peer, now, why)
            return f"{peer.url}: {why}", None
        except BlockchainError as exc:
            why = what_was_wrong(str(exc))
            self.book.misbehaved(peer, now, why)
            return f"{peer.url}: {why}", None
        reached = self.chain.main_height(peer.tip) if peer.tip else None
        if outcome.proven is not None:
            peer.height = max(outcome.proven, peer.height or 0)
        if reached is None and self.chain.prefers(claimed_work):  # fork choice's rule: it claimed more work than ours
            why = f"its /tip claimed height {claimed}, but it showed a valid chain only to {self.chain.height}"
            self.book.misbehaved(peer, now, why)
            return f"{peer.url}: {why}", outcome
        peer.height = reached if reached is not None else peer.height
        self.book.synced(peer)
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

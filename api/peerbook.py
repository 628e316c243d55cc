"""What a node knows about each peer: its URL (kept in the store), and, in memory, the height it
has proven, when it was last seen, its state and when to ask it again.

States:

- ``new``: registered, not heard from yet;
- ``ok``: answered its last poll, and proved every height it claimed;
- ``unreachable``: did not answer; asked again after a tenth of the time it has been away, at
  least every poll interval and at most ``MAX_OFFLINE_DELAY`` apart (a peer offline for a day is
  kept, and asked about once an hour);
- ``backed_off``: served something invalid, or claimed more than it proved; its claims are
  ignored for exponentially growing delays, from ``FIRST_BACKOFF`` up to a day. A peer that only
  stopped answering in the middle of a sync (its ``/tip`` answered, then its headers or bodies did
  not come before the deadline: a partition that starts mid-sync, an overloaded machine) is backed
  off from ``FIRST_STALL_BACKOFF`` instead, doubling while it keeps stalling, and starts again from
  it once a sync with it completes: an honest peer is back within seconds of the heal, and one that
  claims much and then stays silent still costs at most one deadline per doubling delay;
- ``other_network``: its genesis is not ours; asked again only after ``MAX_BACKOFF``.

Room in the table (``MAX_PEERS``) is kept for peers that prove themselves: a peer that has never
answered and has already failed (unreachable or backed off) is evicted when a registration needs its
place, the one failing longest first, and is not kept in the store; it is forgotten altogether after
``MAX_BACKOFF`` without an answer. A peer that has answered once is never evicted. The store keeps
each peer's URL and whether it ever answered.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Optional

from .clock import SYSTEM_CLOCK, Clock
from .peer_urls import MAX_PEERS

PEERS_KEY = "peers"
FIRST_BACKOFF = 60.0          # seconds a misbehaving peer is ignored for the first time
MAX_BACKOFF = 86_400.0        # at most a day
MAX_OFFLINE_DELAY = 3_600.0   # an unreachable peer is asked at least once an hour
FIRST_STALL_BACKOFF = 5.0     # seconds a peer that went silent mid-sync is left alone, the first time


@dataclass
class Peer:
    url: str
    state: str = "new"
    height: Optional[int] = None      # the highest height of its chain that this node has verified
    claimed: Optional[int] = None     # the height its last /tip claimed
    tip: Optional[str] = None
    last_seen: Optional[float] = None  # wall-clock seconds of its last usable answer
    failures: int = 0                  # answers missed in a row
    away_since: float = 0.0            # monotonic time of the first of them
    strikes: int = 0                   # invalid answers or unproven claims in a row
    stalls: int = 0                    # syncs it went silent in, since the last one it completed
    next_poll: float = 0.0             # monotonic time before which it is not polled
    problem: Optional[str] = None
    needs_pool: bool = True            # its pending pool is still to be caught up on
    answered: bool = False             # it has given a usable answer at least once (kept in the store)
    added: float = 0.0                 # monotonic time it was registered (or loaded)

    @property
    def stranger(self) -> bool:
        """Never answered, and already failed: the first to make room for a newcomer."""
        return not self.answered and (self.failures > 0 or self.strikes > 0)

    def view(self, now: float, traffic: tuple[int, int]) -> dict:
        return {"url": self.url, "height": self.height, "claimed_height": self.claimed, "tip": self.tip,
                "last_seen": self.last_seen, "state": self.state, "problem": self.problem,
                "next_poll_in": round(max(0.0, self.next_poll - now), 1),
                "bytes_sent": traffic[0], "bytes_received": traffic[1]}


class PeerBook:
    """The peers, their records, and the rules for when each is asked again."""

    def __init__(self, chain, poll_interval: float, clock: Clock = SYSTEM_CLOCK) -> None:
        self.chain = chain
        self.clock = clock  # back-off delays and retry windows are read from it (api/clock.py)
        self.poll_interval = poll_interval
        self._lock = threading.Lock()
        self._peers: dict[str, Peer] = {}
        stored = chain.setting(PEERS_KEY)
        for entry in (json.loads(stored) if stored else [])[:MAX_PEERS]:
            if isinstance(entry, str):  # written before the store kept ``answered``: given the benefit of the doubt
                self._peers[entry] = Peer(entry, answered=True, added=clock.monotonic())
            elif isinstance(entry, dict) and isinstance(entry.get("url"), str):
                self._peers[entry["url"]] = Peer(entry["url"], answered=entry.get("answered") is True,
                                                 added=clock.monotonic())

    def urls(self) -> list[str]:
        with self._lock:
            return list(self._peers)

    def all(self) -> list[Peer]:
        with self._lock:
            return list(self._peers.values())

    def add(self, urls: list[str]) -> tuple[list[str], list[str]]:
        """Add the URLs not known yet (all or none, within MAX_PEERS), evicting strangers (never
        answered, already failed) when there is no room otherwise; returns (added, evicted)."""
        with self._lock:
            new = [u for u in urls if u not in self._peers]
            over = len(self._peers) + len(new) - MAX_PEERS
            strangers = sorted((p for p in self._peers.values() if p.stranger and p.url not in urls),
                               key=lambda p: (p.away_since or p.added, p.url))
            if over > len(strangers):
                raise OverflowError(f"a node keeps at most {MAX_PEERS} peers; it has {len(self._peers)}, "
                                    f"{len(strangers)} of them never answered and could make room, and "
                                    f"{len(new)} more were asked for")
            evicted = [p.url for p in strangers[:max(0, over)]]
            for url in evicted:
                del self._peers[url]
            now = self.clock.monotonic()
            for url in new:
                self._peers[url] = Peer(url, added=now)
            if new or evicted:
                self._save()
            return new, evicted

    def remove(self, url: str) -> bool:
        with self._lock:
            if url not in self._peers:
                return False
            del self._peers[url]
            self._save()
            return True

    def _save(self) -> None:
        """The peers worth a restart: every one that answered once, and the new ones not tried yet
        (a stranger that failed is not kept). Called with the lock held."""
        kept = [{"url": p.url, "answered": p.answered} for p in self._peers.values()
                if p.answered or not p.stranger]
        self.chain.save_setting(PEERS_KEY, json.dumps(kept))

    def due(self, now: float) -> list[Peer]:
        """The peers to poll now; strangers silent for ``MAX_BACKOFF`` are forgotten first."""
        with self._lock:
            gone = [u for u, p in self._peers.items() if p.stranger and now - (p.away_since or p.added) >= MAX_BACKOFF]
            for url in gone:
                del self._peers[url]
            if gone:
                self._save()
            return [p for p in self._peers.values() if p.next_poll <= now]

    # -- what an answer means for the next poll ------------------------------------------
    def seen(self, peer: Peer, now: float) -> None:
        """A usable answer: the peer is back (and its pool is caught up on again if it was away)."""
        if peer.state == "unreachable":
            peer.needs_pool = True
        if not peer.answered:
            peer.answered = True
            self._persist_change(peer)
        peer.failures = 0
        peer.last_seen = self.clock.time()
        peer.next_poll = now + self.poll_interval

    def behaved(self, peer: Peer) -> None:
        """A poll that ended with every claim of the peer proven and nothing invalid served."""
        peer.state, peer.problem = "ok", None

    def unreachable(self, peer: Peer, now: float, why: str) -> None:
        """Asked again after a tenth of the time it has been away (at least a poll interval, at most
        an hour): a peer back from a short partition is found within seconds, one offline for a
        day is asked once an hour."""
        if peer.failures == 0:
            peer.away_since = now
        first = not peer.stranger
        peer.failures += 1
        if first and peer.stranger:
            self._persist_change(peer)
        peer.state, peer.problem = "unreachable", why
        away = now - peer.away_since
        peer.next_poll = now + min(MAX_OFFLINE_DELAY, max(self.poll_interval, away / 10))

    def synced(self, peer: Peer) -> None:
        """A sync with the peer completed: its stalls are forgiven."""
        peer.stalls = 0

    def stalled(self, peer: Peer, now: float, why: str) -> None:
        """Its tip answered, then the sync's headers or bodies did not come in time. Not a lie that
        was proven, so not a strike: a short back-off that doubles while it keeps happening."""
        peer.stalls += 1
        peer.state, peer.problem = "backed_off", why
        delay = max(self.poll_interval, FIRST_STALL_BACKOFF) * 2 ** min(peer.stalls - 1, 20)
        peer.next_poll = now + min(MAX_BACKOFF, delay)

    def misbehaved(self, peer: Peer, now: float, why: str) -> None:
        first = not peer.stranger
        peer.strikes += 1
        if first and peer.stranger:
            self._persist_change(peer)
        peer.state, peer.problem = "backed_off", why
        peer.next_poll = now + min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** min(peer.strikes - 1, 20))

    def _persist_change(self, peer: Peer) -> None:
        """A peer answered for the first time, or a stranger failed for the first time: the store
        changes (once per peer, not per poll)."""
        with self._lock:
            if self._peers.get(peer.url) is peer:
                self._save()

    def other_network(self, peer: Peer, now: float, genesis: str) -> None:
        peer.state = "other_network"
        peer.problem = f"its genesis is {genesis[:16]}..., not this network's"
        peer.next_poll = now + MAX_BACKOFF

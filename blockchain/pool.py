"""The pending pool: user transactions accepted but not yet in a block, listed oldest first.

Every pending transaction has a *source*: the peer it came from (``peer:<url>`` when pulled from
a peer's pool, ``ip:<address>`` when a peer pushed it), else its sender (``sender:<address>``).
Sources share the pool fairly, by two rules anyone can check from ``GET /transactions/pending``:

- **Eviction.** The pool holds at most ``capacity`` transactions. When it is full, a transaction
  from a source that holds fewer than the largest source is still admitted: the newest pending
  transaction of the largest source leaves the pool (on a tie, of the source that reached that
  size first). A source that already holds the most is refused (``pool_full``).
- **Block order.** A block template takes the pool round-robin by source: the oldest transaction
  of every source first (sources in the order of their oldest pending transaction), then every
  source's second, and so on. One source's own transactions keep their order. So one honest
  transaction waits behind at most one transaction of each other source per round, never behind a
  whole flood.

At most one claim (REFUND or REPORT) per (sender, flower) is pending at a time, and at most one
JOB_COMMIT per (worker, job). Pending JOB_COMMITs are not counted against a job's free slots: a
pending commitment locks nothing, so counting it would let a worker that keeps its own commitment
unmined (queued behind its own transactions) lock honest workers out of a job for free. The first
commitments mined take the slots; the rest become invalid and leave the pool after that block.
"""
from __future__ import annotations

from itertools import zip_longest
from typing import Iterable, Iterator, Optional

from .rules.base import Ledger
from .transactions import Transaction

MAX_PENDING = 50_000


def sender_source(tx: Transaction) -> str:
    return f"sender:{tx.sender}"


def never_valid(tx: Transaction, ledger: Ledger) -> Optional[bool]:
    """True for a transaction that no later block can hold, whatever the model and the waits do
    (a claim whose flower is gone, say: its rule's ``never_valid``); None when its type has no
    such rule (then ``Delta.problem`` decides)."""
    judge = tx.rule.never_valid
    return None if judge is None else judge(ledger, tx)


class PendingPool:
    def __init__(self, capacity: int = MAX_PENDING) -> None:
        self.capacity = capacity
        self._txs: dict[str, Transaction] = {}  # insertion order is arrival order
        self._outgoing: dict[str, int] = {}
        self._source_of: dict[str, str] = {}
        self._by_source: dict[str, dict[str, None]] = {}  # source -> its ids, oldest first
        self._sizes: dict[int, dict[str, None]] = {}      # how many a source holds -> those sources
        self._claims: dict[tuple[str, str], str] = {}     # a rule's one_pending key -> the pending id

    def __contains__(self, tx_id: str) -> bool:
        return tx_id in self._txs

    def __len__(self) -> int:
        return len(self._txs)

    def __iter__(self) -> Iterator[Transaction]:
        return iter(list(self._txs.values()))

    def outgoing(self, address: str) -> int:
        """What ``address`` has promised in pending transfers and deposits."""
        return self._outgoing.get(address, 0)

    def get(self, tx_id: str) -> Optional[Transaction]:
        return self._txs.get(tx_id)

    def source(self, tx_id: str) -> Optional[str]:
        return self._source_of.get(tx_id)

    def held_by(self, source: str) -> int:
        """How many pending transactions ``source`` holds."""
        return len(self._by_source.get(source, ()))

    def pending_claim(self, sender: str, flower_id: str) -> Optional[str]:
        """The id of the pending claim of ``sender`` on ``flower_id``, or None."""
        return self._claims.get((sender, flower_id))

    def pending_like(self, tx: Transaction) -> Optional[str]:
        """The id of the pending transaction that ``tx`` may not be pending beside (its rule's
        ``one_pending`` key: a claim of the same sender and flower), or None."""
        key = tx.rule.one_pending(tx)
        return None if key is None else self._claims.get(key)

    def full(self) -> bool:
        return len(self._txs) >= self.capacity

    def to_evict_for(self, source: str) -> Optional[Transaction]:
        """When the pool is full: the transaction that leaves so that one from ``source`` can come
        in (the newest of the largest source), or None when ``source`` itself holds the most."""
        if not self._sizes:
            return None
        most = max(self._sizes)
        if self.held_by(source) >= most:
            return None
        largest = next(iter(self._sizes[most]))
        newest = next(reversed(self._by_source[largest]))
        return self._txs[newest]

    def page_after(self, after: Optional[str], limit: int) -> tuple[list[Transaction], bool, int]:
        """At most ``limit`` transactions in arrival order after the one with id ``after`` (from the
        first when None or no longer pending), whether more follow, and the pool's size."""
        items = iter(self._txs.values())
        if after is not None and after in self._txs:
            for tx in items:
                if tx.id == after:
                    break
        page: list[Transaction] = []
        for tx in items:
            if len(page) == limit:
                return page, True, len(self._txs)
            page.append(tx)
        return page, False, len(self._txs)

    def fair_order(self) -> Iterator[Transaction]:
        """The pool round-robin by source (see the module's docstring): the order blocks take it."""
        columns = [list(ids) for ids in self._by_source.values()]
        for row in zip_longest(*columns):
            for tx_id in row:
                if tx_id is not None:
                    yield self._txs[tx_id]

    def _resize(self, source: str, before: int, after: int) -> None:
        if before:
            bucket = self._sizes[before]
            del bucket[source]
            if not bucket:
                del self._sizes[before]
        if after:
            self._sizes.setdefault(after, {})[source] = None

    def add(self, tx: Transaction, source: Optional[str] = None) -> None:
        source = source or sender_source(tx)
        self._txs[tx.id] = tx
        self._source_of[tx.id] = source
        ids = self._by_source.setdefault(source, {})
        ids[tx.id] = None
        self._resize(source, len(ids) - 1, len(ids))
        key = tx.rule.one_pending(tx)
        if key is not None:
            self._claims[key] = tx.id
        if tx.spends:
            self._outgoing[tx.sender] = self._outgoing.get(tx.sender, 0) + tx.spends

    def remove(self, ids: Iterable[str]) -> None:
        for tx_id in ids:
            tx = self._txs.pop(tx_id, None)
            if tx is None:
                continue
            source = self._source_of.pop(tx_id)
            held = self._by_source[source]
            del held[tx_id]
            self._resize(source, len(held) + 1, len(held))
            if not held:
                del self._by_source[source]
            key = tx.rule.one_pending(tx)
            if key is not None and self._claims.get(key) == tx_id:
                del self._claims[key]
            if tx.spends:
                left = self._outgoing[tx.sender] - tx.spends
                if left:
                    self._outgoing[tx.sender] = left
                else:
                    del self._outgoing[tx.sender]

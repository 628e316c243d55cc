"""The pending pool: user transactions accepted but not yet in a block, oldest first."""
from __future__ import annotations

from typing import Iterable, Iterator

from .transactions import Transaction

MAX_PENDING = 50_000


class PendingPool:
    def __init__(self) -> None:
        self._txs: dict[str, Transaction] = {}  # insertion order is arrival order
        self._outgoing: dict[str, int] = {}

    def __contains__(self, tx_id: str) -> bool:
        return tx_id in self._txs

    def __len__(self) -> int:
        return len(self._txs)

    def __iter__(self) -> Iterator[Transaction]:
        return iter(list(self._txs.values()))

    def outgoing(self, address: str) -> int:
        """What ``address`` has promised in pending transfers and deposits."""
        return self._outgoing.get(address, 0)

    def add(self, tx: Transaction) -> None:
        self._txs[tx.id] = tx
        if tx.spends:
            self._outgoing[tx.sender] = self._outgoing.get(tx.sender, 0) + tx.spends

    def remove(self, ids: Iterable[str]) -> None:
        for tx_id in ids:
            tx = self._txs.pop(tx_id, None)
            if tx is not None and tx.spends:
                left = self._outgoing[tx.sender] - tx.spends
                if left:
                    self._outgoing[tx.sender] = left
                else:
                    del self._outgoing[tx.sender]

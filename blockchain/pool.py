"""The pending pool: user transactions accepted but not yet in a block, oldest first."""
from __future__ import annotations

from typing import Iterable, Iterator

from .transactions import TRANSFER, Transaction

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
        """What ``address`` has promised in pending transfers."""
        return self._outgoing.get(address, 0)

    def add(self, tx: Transaction) -> None:
        self._txs[tx.id] = tx
        if tx.type == TRANSFER:
            self._outgoing[tx.sender] = self._outgoing.get(tx.sender, 0) + tx.amount

    def remove(self, ids: Iterable[str]) -> None:
        for tx_id in ids:
            tx = self._txs.pop(tx_id, None)
            if tx is not None and tx.type == TRANSFER:
                left = self._outgoing[tx.sender] - tx.amount
                if left:
                    self._outgoing[tx.sender] = left
                else:
                    del self._outgoing[tx.sender]

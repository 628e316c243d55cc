"""Mining without being asked (``--mine auto`` or ``--mine always``): one background thread per node.

- ``demand`` (the default, the paper's behaviour): no thread; blocks are mined by ``POST /mine``.
- ``auto``: mine a block whenever transactions are pending.
- ``always``: mine continuously, a block with only the REWARD when nothing is pending.

``POST /mine`` works in every mode: it mines a block itself (the chain's mining lock runs one
search at a time, so the request waits for the background block, then mines the next one).
The thread stops by the node's own stop path: ``NodeService.close`` calls ``stop``, the chain's
close aborts a search under way (MiningAborted), and the loop ends.

Several ``auto`` nodes hear of the same transaction within milliseconds of each other. Were they
all to start at once, each would mine its own block at the same height, and a tie keeps every
node on its own chain until the next block (PROTOCOL.md). So a node waits a random moment (up to
``JITTER_S``) before it starts, and starts only if the transactions are still pending: by then a
peer's block has usually arrived and taken them. A tie can still happen; the next block ends it.
"""
from __future__ import annotations

import logging
import random
import threading
from typing import Callable, Optional

log = logging.getLogger("node.automine")

MODES = ("demand", "auto", "always")
IDLE_POLL_S = 0.1      # how often ``auto`` looks at the pool when it is empty
JITTER_S = 0.5        # the most an ``auto`` node waits, at random, before it mines pending transactions
BACKOFF_S = 1.0        # pause after a failed attempt (mining busy, a store error) before trying again


class AutoMiner:
    def __init__(self, mode: str, mine: Callable[[], object], pending: Callable[[], int]) -> None:
        if mode not in MODES:
            raise ValueError(f"mine mode must be one of {MODES}; got {mode!r}")
        self.mode = mode
        self._mine = mine
        self._pending = pending
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self.mined = 0

    def start(self) -> None:
        if self.mode == "demand" or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name=f"automine-{self.mode}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the loop to end; the caller aborts a search under way (Blockchain.close) if it must."""
        self._stop.set()

    def join(self, timeout: float = 10.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _wants_block(self) -> bool:
        return self.mode == "always" or self._pending() > 0

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._wants_block():
                self._stop.wait(IDLE_POLL_S)
                continue
            if self.mode == "auto":
                self._stop.wait(random.uniform(0, JITTER_S))
                if self._stop.is_set() or not self._wants_block():
                    continue
            try:
                self._mine()
                self.mined += 1
            except Exception as exc:  # busy, aborted by shutdown, a store error: say so, wait, go on
                if self._stop.is_set():
                    break
                log.warning("background mining failed: %s", exc)
                self._stop.wait(BACKOFF_S)
        log.info("background mining stopped after %d blocks", self.mined)

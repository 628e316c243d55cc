"""The clock of the network layer (``network.py``, ``peerbook.py``, ``rounds.py``): back-off delays,
retry windows and the sync loop's timer read it, never ``time`` directly, so that a test can move
time on at once instead of waiting for it (after Bitcoin Core's mock time).

- ``SystemClock``: the real one, the default.
- ``FakeClock``: for tests; it stands still until ``advance(seconds)`` moves it, and a ``wait`` on it
  ends when its event is set or when ``advance`` passes its timeout, whichever comes first.

Per-call deadlines of ``peers.py`` (the watchdog that cuts off a dripping peer) stay on real time:
they bound real sockets.
"""
from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds from an arbitrary origin, never going back (for delays and deadlines)."""

    def time(self) -> float:
        """Wall-clock Unix seconds (for what is shown to people, such as a peer's ``last_seen``)."""

    def wait(self, event: threading.Event, timeout: float) -> bool:
        """Wait until ``event`` is set or ``timeout`` seconds of this clock have passed; whether it is set."""


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    def wait(self, event: threading.Event, timeout: float) -> bool:
        return event.wait(timeout=max(0.0, timeout))


SYSTEM_CLOCK = SystemClock()

# A FakeClock's waiter checks its event this often (real seconds): an Event cannot notify anyone else.
_EVENT_CHECK = 0.005


class FakeClock:
    """A clock that moves only when told to. Thread-safe."""

    def __init__(self, start: float = 1_000.0, wall: float = 1_700_000_000.0) -> None:
        self._now = start
        self._wall_offset = wall - start
        self._changed = threading.Condition()

    def monotonic(self) -> float:
        with self._changed:
            return self._now

    def time(self) -> float:
        with self._changed:
            return self._now + self._wall_offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"a clock never goes back; got {seconds}")
        with self._changed:
            self._now += seconds
            self._changed.notify_all()

    def wait(self, event: threading.Event, timeout: float) -> bool:
        with self._changed:
            deadline = self._now + max(0.0, timeout)
            while not event.is_set() and self._now < deadline:
                self._changed.wait(_EVENT_CHECK)
        return event.is_set()

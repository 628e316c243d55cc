"""A wall-clock deadline over one ``requests`` call, the response's status line and headers
included: ``requests``' own timeouts bound each socket read, so a server that sends its headers
one line at a time, each within the read timeout, could hold a call far past its deadline.

``WatchedAdapter`` makes the session's connections report themselves to the call that uses them;
``deadline(seconds)`` starts a watchdog that shuts those connections' sockets down when the time is
up (as ``api/peers.py`` does for the node's own peer calls), so the call fails at the deadline.
"""
from __future__ import annotations

import socket
import threading
from contextlib import contextmanager
from typing import Any, Iterator

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_current = threading.local()  # the running call's watch, per thread


class _Watch:
    """One call's connections. The cut (the timer's thread) and the call's end (its own thread)
    take a lock: a cut that began as the call ended finishes before the call returns, and one that
    comes later does nothing, so it can never shut a connection that went back to the pool and now
    carries the next call."""

    def __init__(self) -> None:
        self.connections: list[Any] = []
        self.expired = threading.Event()
        self._lock = threading.Lock()
        self._over = False

    def add(self, conn: Any) -> None:
        with self._lock:
            self.connections.append(conn)
            if self.expired.is_set():  # the deadline passed before the connection was in use
                _shut(conn)

    def cut(self) -> None:
        with self._lock:
            if self._over:
                return
            self.expired.set()
            for conn in self.connections:
                _shut(conn)

    def end(self) -> None:
        with self._lock:
            self._over = True


def _shut(conn: Any) -> None:
    sock = getattr(conn, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class _Watched:
    """A connection that tells the running call's watch it is in use (and is cut at once if the
    deadline passed while it was connecting)."""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        watch = getattr(_current, "watch", None)
        if watch is not None:
            watch.add(self)
        return super().request(*args, **kwargs)  # type: ignore[misc]

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        watch = getattr(_current, "watch", None)
        if watch is not None and watch.expired.is_set():
            _shut(self)


class _HTTP(_Watched, HTTPConnection):
    pass


class _HTTPS(_Watched, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTP


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPS


class WatchedAdapter(HTTPAdapter):
    """The default adapter, with connections that a ``deadline`` can cut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


@contextmanager
def deadline(seconds: float) -> Iterator[threading.Event]:
    """Within the block, the calls of this thread on a ``WatchedAdapter`` session are cut when
    ``seconds`` pass; yields the event that says they were."""
    watch = _Watch()
    timer = threading.Timer(max(seconds, 0.0), watch.cut)
    timer.daemon = True
    _current.watch = watch
    timer.start()
    try:
        yield watch.expired
    finally:
        timer.cancel()
        watch.end()
        _current.watch = None

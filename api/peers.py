"""The one module that talks to peers over HTTP.

Every call has a total deadline that covers the connection, the status line, the headers and the
body together: a watchdog shuts the socket down when it passes, so a peer that drips one byte at
a time is cut off at the deadline, whatever phase it drips in. Every answer has a cap on its size
and on the number of JSON values it may hold (counted before it is parsed), so what a peer can
make us parse is bounded by what the call expects, not only by bytes. Redirects are never
followed. Whatever a peer answers, the caller gets parsed JSON or a PeerError.

Each call also counts the bytes it moved both ways (request and answer, headers included), per
peer, so that ``GET /nodes`` and the benchmarks can show what a sync cost.
"""
from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections import defaultdict
from typing import Any, Optional
from urllib.parse import urlsplit

from blockchain.strictjson import JSONRejected, loads_strict

from .errors import InvalidAnswer, PeerError
from .limits import CONNECT_TIMEOUT, PEER_TIMEOUT, SMALL_ANSWER, SMALL_ITEMS

CHUNK = 64 * 1024


def what_was_wrong(message: str) -> str:
    """A validation message about a peer's answer, without the part that quotes the answer.

    The rules' messages say what was expected, then ``; got <what was there>``. A peer's answer can be
    anything an internal service returns (tokens, keys, names), and problem texts are shown by
    ``GET /nodes`` and written to the log: they say what was wrong, never what the answer held.
    """
    message = str(message)
    for marker in ("; got ", ", got ", ": got "):
        if marker in message:
            message = message.split(marker, 1)[0]
    return message


def json_problem(exc: JSONRejected) -> str:
    """What kind of not-acceptable JSON a body is, without quoting it (a duplicate key's name, say)."""
    text = str(exc)
    if "UTF-8" in text:
        return "is not UTF-8"
    if "nested" in text:
        return "is nested too deeply"
    if "duplicate key" in text:
        return "repeats a key"
    if "finite" in text:
        return "holds NaN or Infinity"
    return "is not valid JSON"


def count_items(raw: bytes) -> int:
    """An upper bound on the JSON values in ``raw``, without parsing it: every value but the
    first follows a ``,`` or opens inside a ``[`` or ``{`` (keys are counted with their values)."""
    return raw.count(b",") + raw.count(b"[") + raw.count(b"{") + 1


class PeerClient:
    def __init__(self, timeout: float = PEER_TIMEOUT, connect_timeout: float = CONNECT_TIMEOUT,
                 user_agent: str = "iris-chain-node") -> None:
        self.timeout = timeout
        self.connect_timeout = min(connect_timeout, timeout)
        self._user_agent = user_agent
        self._traffic_lock = threading.Lock()
        self._traffic: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # base URL -> [sent, received]

    def traffic(self, base_url: str) -> tuple[int, int]:
        """(bytes sent, bytes received) with ``base_url`` since this client started."""
        with self._traffic_lock:
            sent, received = self._traffic.get(base_url, (0, 0))
            return sent, received

    def _count(self, base_url: str, sent: int, received: int) -> None:
        with self._traffic_lock:
            totals = self._traffic[base_url]
            totals[0] += sent
            totals[1] += received

    def request(self, method: str, base_url: str, path: str, body: Any = None, max_bytes: int = SMALL_ANSWER,
                max_items: int = SMALL_ITEMS, timeout: Optional[float] = None) -> tuple[int, Any]:
        """(status, parsed JSON body). Raises PeerError on any failure to get one in time."""
        url = base_url + path
        status, raw = self._exchange(method, base_url, path, body, max_bytes, timeout, "application/json")
        if not raw.strip():
            return status, None
        items = count_items(raw)
        if items > max_items:
            raise InvalidAnswer(f"{url}: answer holds up to {items} JSON values; at most {max_items} are expected here")
        try:
            return status, loads_strict(raw)
        except JSONRejected as exc:
            raise InvalidAnswer(f"{url}: answered {status} with a body that {json_problem(exc)}") from None

    def get_bytes(self, base_url: str, path: str, max_bytes: int, timeout: Optional[float] = None) -> tuple[int, bytes]:
        """(status, the answer's bytes, unparsed): for files such as artifacts. The same deadline, cap
        and refusal of redirects as ``request``; raises PeerError likewise."""
        return self._exchange("GET", base_url, path, None, max_bytes, timeout, "application/octet-stream")

    def _exchange(self, method: str, base_url: str, path: str, body: Any, max_bytes: int,
                  timeout: Optional[float], accept: str) -> tuple[int, bytes]:
        """(status, raw body) of one call within its total deadline and byte cap, or PeerError."""
        deadline = timeout if timeout is not None else self.timeout
        url = base_url + path
        parts = urlsplit(base_url)
        if parts.hostname is None:  # peer URLs are checked when added; never connect to a default host
            raise PeerError(f"{base_url} has no host")
        payload = json.dumps(body, separators=(",", ":")).encode() if body is not None else None
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        conn = kind(parts.hostname, parts.port, timeout=min(self.connect_timeout, deadline))
        started = time.monotonic()
        expired = threading.Event()
        opened: list[socket.socket] = []  # the connection lets go of its socket once the answer starts

        def cut_off() -> None:
            expired.set()
            for sock in opened:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        watchdog = threading.Timer(deadline, cut_off)
        watchdog.daemon = True
        watchdog.start()
        sent = received = 0
        try:
            conn.connect()
            opened.append(conn.sock)
            if expired.is_set():
                cut_off()
            conn.sock.settimeout(max(0.05, deadline - (time.monotonic() - started)))
            headers = {"Host": parts.netloc, "User-Agent": self._user_agent, "Accept": accept,
                       "Accept-Encoding": "identity", "Connection": "close"}
            if payload is not None:
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=payload, headers=headers)
            sent = (
                len(method)
                + len(path)
                + 11
                + sum(len(k) + len(v) + 4 for k, v in headers.items())
                + 2
                + (len(payload) if payload else 0)
                + (len("Content-Length: \r\n") + len(str(len(payload))) if payload else 0)
            )
            response = conn.getresponse()
            received = len(response.reason) + 15 + sum(len(k) + len(v) + 4 for k, v in response.getheaders()) + 2
            if 300 <= response.status < 400:
                raise InvalidAnswer(f"{url}: answered a redirect ({response.status}); redirects are not followed")
            declared = response.getheader("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise InvalidAnswer(f"{url}: answer of {declared} bytes is over the {max_bytes}-byte limit")
            chunks, size = [], 0
            while True:
                chunk = response.read1(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                received += len(chunk)
                if size > max_bytes:
                    raise InvalidAnswer(f"{url}: answer is over the {max_bytes}-byte limit")
                chunks.append(chunk)
            if expired.is_set():
                raise PeerError(f"{url}: answer took longer than {deadline:.1f}s")
            raw = b"".join(chunks)
        except PeerError:
            raise
        except Exception as exc:  # refused, reset, timed out, cut off by the watchdog, broken HTTP
            if expired.is_set() or time.monotonic() - started >= deadline:
                raise PeerError(f"{url}: answer took longer than {deadline:.1f}s") from None
            raise PeerError(f"{url}: no usable answer ({type(exc).__name__})") from None
        finally:
            watchdog.cancel()
            conn.close()
            self._count(base_url, sent, received)
        return response.status, raw

    def get(self, base_url: str, path: str, **kw) -> tuple[int, Any]:
        return self.request("GET", base_url, path, **kw)

    def post(self, base_url: str, path: str, body: Any, **kw) -> tuple[int, Any]:
        return self.request("POST", base_url, path, body=body, **kw)

"""The one module that talks to peers over HTTP.

Every call has a connect timeout, a total deadline, a cap on the response size, and never
follows a redirect. The body is read with ``read1`` (whatever bytes have arrived) and the clock
is checked between reads, each of which times out at half the deadline, so a peer that trickles
or stalls is cut off within 1.5 times the deadline. Whatever a peer answers, the caller
gets parsed JSON or a PeerError; nothing a peer sends is trusted beyond that.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Optional

import requests

from .jsonutil import JSONRejected, loads_strict

SMALL_ANSWER = 1024 * 1024           # health, acknowledgements
CHAIN_ANSWER = 64 * 1024 * 1024      # a whole chain
CHUNK = 64 * 1024


class PeerError(Exception):
    """A peer did not give a usable answer; the message says what happened."""


class PeerClient:
    def __init__(self, timeout: float = 5.0, connect_timeout: float = 2.0, user_agent: str = "iris-chain-node") -> None:
        self.timeout = timeout
        self.connect_timeout = min(connect_timeout, timeout)
        self._local = threading.local()
        self._user_agent = user_agent

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False  # no proxies or netrc from the environment
            session.headers["User-Agent"] = self._user_agent
            self._local.session = session
        return session

    def request(self, method: str, base_url: str, path: str, body: Any = None,
                max_bytes: int = SMALL_ANSWER, timeout: Optional[float] = None) -> tuple[int, Any]:
        """(status, parsed JSON body). Raises PeerError on any failure to get one in time."""
        deadline = timeout if timeout is not None else self.timeout
        url = base_url + path
        started = time.monotonic()
        try:
            response = self._session().request(
                method, url, json=body, stream=True, allow_redirects=False,
                timeout=(self.connect_timeout, deadline / 2))
        except requests.RequestException as exc:
            raise PeerError(f"{url}: no answer ({type(exc).__name__})") from None
        try:
            if 300 <= response.status_code < 400:
                raise PeerError(f"{url}: answered a redirect ({response.status_code}); redirects are not followed")
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise PeerError(f"{url}: answer of {declared} bytes is over the {max_bytes}-byte limit")
            chunks, size = [], 0
            while True:
                chunk = response.raw.read1(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise PeerError(f"{url}: answer is over the {max_bytes}-byte limit")
                if time.monotonic() - started > deadline:
                    raise PeerError(f"{url}: answer took longer than {deadline:.1f}s")
                chunks.append(chunk)
            raw = b"".join(chunks)
        except PeerError:
            raise
        except Exception as exc:  # reset, read timeout, decoding errors of the transport
            if time.monotonic() - started >= deadline:
                raise PeerError(f"{url}: answer took longer than {deadline:.1f}s") from None
            raise PeerError(f"{url}: broken answer ({type(exc).__name__})") from None
        finally:
            response.close()
        try:
            return response.status_code, loads_strict(raw) if raw.strip() else None
        except JSONRejected as exc:
            raise PeerError(f"{url}: answered {response.status_code} with a body that {exc}") from None

    def get(self, base_url: str, path: str, **kw) -> tuple[int, Any]:
        return self.request("GET", base_url, path, **kw)

    def post(self, base_url: str, path: str, body: Any, **kw) -> tuple[int, Any]:
        return self.request("POST", base_url, path, body=body, **kw)

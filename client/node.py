"""A first cut of the client library: ``Node(url)`` with a method per common route, errors as
``ApiError`` (status, code, message), a total deadline per call, a bounded retry on
``503 mining_busy`` honouring ``Retry-After``, and paging iterators that follow ``next``.
Results are the parsed JSON dicts for now (typed results are still to do)."""
from __future__ import annotations

import time
from typing import Any, Iterator, Optional
from urllib.parse import quote, urlencode

import requests

from blockchain.strictjson import JSONRejected, loads_strict


class NodeError(Exception):
    """Root of the library's errors."""


class ApiError(NodeError):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class Node:
    def __init__(self, url: str, timeout: float = 30.0, retries: int = 3) -> None:
        self.url, self.timeout, self.retries = url.rstrip("/"), timeout, retries
        self.session = requests.Session()

    def call(self, method: str, path: str, body: Any = None, query: Optional[dict] = None) -> Any:
        deadline = time.monotonic() + self.timeout
        url = self.url + path + ("?" + urlencode({k: v for k, v in query.items() if v is not None}) if query else "")
        for attempt in range(self.retries + 1):
            left = deadline - time.monotonic()
            if left <= 0:
                raise NodeError(f"{method} {path}: no answer within {self.timeout}s")
            try:
                r = self.session.request(method, url, json=body, timeout=left, allow_redirects=False)
            except requests.RequestException as exc:
                raise NodeError(f"cannot reach {self.url} ({type(exc).__name__})") from None
            try:
                data = loads_strict(r.content) if r.content.strip() else None
            except JSONRejected as exc:
                raise NodeError(f"{method} {path} answered {r.status_code} without strict JSON ({exc})") from None
            if r.status_code < 400:
                return data
            err = data.get("error", {}) if isinstance(data, dict) else {}
            wait = r.headers.get("Retry-After", "1")
            pause = int(wait) if wait.isdigit() else 1
            if (r.status_code == 503 and err.get("code") == "mining_busy" and attempt < self.retries
                    and time.monotonic() + pause < deadline):
                time.sleep(pause)
                continue
            raise ApiError(r.status_code, err.get("code", "?"), err.get("message", r.text[:200]))
        raise AssertionError("unreachable")

    def health(self) -> dict:
        return self.call("GET", "/health")

    def mine(self) -> dict:
        return self.call("POST", "/mine")

    def balance(self, address: str) -> dict:
        return self.call("GET", "/balance/" + quote(address, safe=""))

    def register(self, urls: list[str]) -> dict:
        return self.call("POST", "/nodes/register", {"nodes": list(urls)})

    def _pages(self, path: str, key: str, start: Any, query: dict) -> Iterator[dict]:
        param = "after" if path == "/transactions/pending" else "from"
        seen = set()
        while start not in seen:
            seen.add(start)
            answer = self.call("GET", path, query={**query, param: start})
            yield from answer[key]
            if answer.get("next") is None:
                return
            start = answer["next"]

    def iter_chain(self, start: int = 0) -> Iterator[dict]:
        return self._pages("/chain", "chain", start, {})

    def iter_pending(self) -> Iterator[dict]:
        return self._pages("/transactions/pending", "transactions", None, {})

    def iter_model_history(self, start: int = 0) -> Iterator[dict]:
        return self._pages("/model/history", "history", start, {})

    def iter_transfers(self, address: str, start: int = 0) -> Iterator[dict]:
        return self._pages("/transfers", "transfers", start, {"address": address})

"""A first cut of the client library: ``Node(url)`` with a method per common route, errors as
``ApiError`` (status, code, message), a total deadline per call, a bounded retry on
``503 mining_busy`` honouring ``Retry-After``, and paging iterators that follow ``next``.
Results are the parsed JSON objects as dicts (fields as in /openapi.json); typed results are still to do."""
from __future__ import annotations

import time
from typing import Any, Iterator, Optional
from urllib.parse import quote, urlencode

import requests
import urllib3

from blockchain import crypto
from blockchain.strictjson import JSONRejected, loads_strict
from blockchain.transactions import flower_body, transfer_body
from ml.measurements import from_number


CHUNK = 64 * 1024


def _socket_of(r: requests.Response):
    """The response's socket, to bound each read by the time left (None if it cannot be found)."""
    try:
        raw: Any = r.raw
        return raw._fp.fp.raw._sock
    except AttributeError:
        return None


class NodeError(Exception):
    """Root of the library's errors."""


class ApiError(NodeError):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class Node:
    """One node's HTTP API. Every call has a total deadline (``timeout`` seconds, connecting,
    retrying and reading the body included) and a size cap on the answer (``max_bytes``)."""

    def __init__(self, url: str, timeout: float = 30.0, retries: int = 3, max_bytes: int = 16 * 1024 * 1024) -> None:
        self.url, self.timeout, self.retries, self.max_bytes = url.rstrip("/"), timeout, retries, max_bytes
        self.session = requests.Session()

    def _read(self, r: requests.Response, deadline: float, what: str) -> bytes:
        """The body, read in chunks: at most ``max_bytes``, and done before ``deadline``."""
        sock = _socket_of(r)
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise NodeError(f"{what}: no whole answer within {self.timeout}s")
                if sock is not None and sock.fileno() != -1:
                    sock.settimeout(left)
                chunk = r.raw.read1(CHUNK) if hasattr(r.raw, "read1") else r.raw.read(CHUNK)
                if not chunk:
                    return b"".join(chunks)
                size += len(chunk)
                if size > self.max_bytes:
                    raise NodeError(f"{what}: answer larger than {self.max_bytes} bytes")
                chunks.append(chunk)
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            if time.monotonic() >= deadline or isinstance(exc, (TimeoutError, urllib3.exceptions.TimeoutError)):
                raise NodeError(f"{what}: no whole answer within {self.timeout}s") from None
            raise NodeError(f"{what}: answer cut short ({type(exc).__name__})") from None
        finally:
            r.close()

    def call(self, method: str, path: str, body: Any = None, query: Optional[dict] = None) -> Any:
        """Send one request and return the parsed JSON answer; ``ApiError`` for a 4xx/5xx
        answer, ``NodeError`` when there is no usable answer in time. A ``503 mining_busy`` is
        retried (at most ``retries`` times) after its ``Retry-After``, within the deadline."""
        deadline = time.monotonic() + self.timeout
        what = f"{method} {path}"
        url = self.url + path + ("?" + urlencode({k: v for k, v in query.items() if v is not None}) if query else "")
        for attempt in range(self.retries + 1):
            left = deadline - time.monotonic()
            if left <= 0:
                raise NodeError(f"{what}: no answer within {self.timeout}s")
            try:
                r = self.session.request(method, url, json=body, timeout=(left, left), allow_redirects=False,
                                         stream=True)
            except requests.RequestException as exc:
                raise NodeError(f"cannot reach {self.url} ({type(exc).__name__})") from None
            content = self._read(r, deadline, what)
            try:
                data = loads_strict(content) if content.strip() else None
            except JSONRejected as exc:
                raise NodeError(f"{what} answered {r.status_code} without strict JSON ({exc})") from None
            if r.status_code < 400:
                return data
            err = data.get("error", {}) if isinstance(data, dict) else {}
            if not isinstance(err, dict):
                err = {}
            wait = r.headers.get("Retry-After", "1")
            pause = int(wait) if wait.isdigit() else 1
            if (r.status_code == 503 and err.get("code") == "mining_busy" and attempt < self.retries
                    and time.monotonic() + pause < deadline):
                time.sleep(pause)
                continue
            raise ApiError(r.status_code, str(err.get("code", "?")),
                           str(err.get("message", content[:200].decode("utf-8", "replace"))))
        raise AssertionError("unreachable")

    def health(self) -> dict:
        return self.call("GET", "/health")

    def mine(self) -> dict:
        return self.call("POST", "/mine")

    def balance(self, address: str) -> dict:
        return self.call("GET", "/balance/" + quote(address, safe=""))

    def register(self, urls: list[str]) -> dict:
        return self.call("POST", "/nodes/register", {"nodes": list(urls)})

    # One method per main route. Results are the API's JSON objects as dicts (see /openapi.json for
    # their fields); typed results are still to do.

    def chain(self, page: int = 0, limit: Optional[int] = None) -> dict:
        """One page of ``/chain`` from block ``page`` (``{"chain", "length", "next"}``)."""
        return self.call("GET", "/chain", query={"from": page, "limit": limit})

    def block(self, key: int | str) -> dict:
        """One block by index or by hash (``/block/<key>``)."""
        return self.call("GET", "/block/" + quote(str(key), safe=""))

    def validate(self) -> dict:
        """The node's check of its own chain (``/chain/validate``)."""
        return self.call("GET", "/chain/validate")

    def pending(self, after: Optional[str] = None, limit: Optional[int] = None) -> dict:
        """One page of waiting transactions (``/transactions/pending``)."""
        return self.call("GET", "/transactions/pending", query={"after": after, "limit": limit})

    def add_transaction(self, body: dict) -> dict:
        """Submit a transfer: ``{"sender", "recipient", "amount"}`` plus, when signed,
        ``timestamp_ms``, ``public_key`` and ``signature`` (``POST /transactions/new``)."""
        return self.call("POST", "/transactions/new", body)

    def add_flower(self, sender: str, flower_type: str, measurements: dict, deposit: int = 0,
                   **signing: Any) -> dict:
        """Contribute one flower (``POST /flower/add``). ``measurements`` has ``sepal_length``,
        ``sepal_width``, ``petal_length`` and ``petal_width`` (cm, numbers or strings);
        ``signing`` may add ``timestamp_ms``, ``public_key`` and ``signature``."""
        body = {"sender": sender, "flower_type": flower_type, **measurements, **signing}
        if deposit:
            body["deposit"] = deposit
        return self.call("POST", "/flower/add", body)

    def predict(self, measurements: dict) -> dict:
        """The current model's class for four measurements (``POST /flower/predict``)."""
        return self.call("POST", "/flower/predict", dict(measurements))

    def model_info(self) -> dict:
        return self.call("GET", "/model/info")

    def model_evaluate(self) -> dict:
        return self.call("GET", "/model/evaluate")

    def model_history(self, page: int = 0, limit: Optional[int] = None) -> dict:
        """One page of ``/model/history``; ``iter_model_history`` follows ``next``."""
        return self.call("GET", "/model/history", query={"from": page, "limit": limit})

    def contributions(self, address: str, page: int = 0, limit: Optional[int] = None) -> dict:
        """One page of an address's flower contributions (``/contributions/<address>``)."""
        return self.call("GET", "/contributions/" + quote(address, safe=""), query={"from": page, "limit": limit})

    def nodes(self) -> dict:
        """The peers this node knows (``/nodes``)."""
        return self.call("GET", "/nodes")

    def tip(self) -> dict:
        """The node's best tip (``/tip``)."""
        return self.call("GET", "/tip")

    # Signed transactions: ``key`` is an Ed25519 private key (``blockchain.crypto.read_key_file(path)``
    # reads the wallet's key file; ``crypto.generate_private_key()`` makes a new one). The key stays here;
    # the node gets the public key and the signature.

    def send(self, key: Any, recipient: str, amount: int) -> dict:
        """A transfer signed by ``key``, from its address (``POST /transactions/new``)."""
        pub = crypto.public_key_hex(key)
        sender = crypto.address_of(pub)
        body = transfer_body(sender, recipient, amount, int(time.time() * 1000), pub)
        return self.add_transaction({"sender": sender, "recipient": recipient, "amount": amount,
                                     "timestamp_ms": body["timestamp_ms"], "public_key": pub,
                                     "signature": crypto.sign_body(key, body)})

    def send_flower(self, key: Any, flower_type: str, measurements: dict, deposit: int = 0) -> dict:
        """A flower contribution signed by ``key``, from its address (``POST /flower/add``)."""
        pub = crypto.public_key_hex(key)
        sender = crypto.address_of(pub)
        measures = {name: from_number(float(value)) for name, value in measurements.items()}
        body = flower_body(sender, measures, flower_type, int(time.time() * 1000), deposit, pub)
        return self.call("POST", "/flower/add", {"sender": sender, **body["data"], "deposit": deposit,
                                                  "timestamp_ms": body["timestamp_ms"], "public_key": pub,
                                                  "signature": crypto.sign_body(key, body)})

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

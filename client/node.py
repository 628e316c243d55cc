"""A first cut of the client library: ``Node(url)`` with a method per common route, errors as
``ApiError`` (status, code, message), a total deadline per call, a bounded retry on
``503 mining_busy`` honouring ``Retry-After``, and paging iterators that follow ``next``.
Results are typed (``client.models``: Health, Block, Prediction, ...), checked against the fields of
/openapi.json as they arrive; ``.to_dict()`` gives the JSON object as sent."""
from __future__ import annotations

import hashlib
import time
from typing import Any, Iterator, Optional, TypeVar
from urllib.parse import quote, urlencode

import requests
import urllib3
from pydantic import ValidationError

from blockchain import crypto
from blockchain.strictjson import JSONRejected, loads_strict
from blockchain.transactions import claim_body, flower_body, transfer_body
from ml.measurements import from_number

from .jobs import JobMethods
from .watchdog import WatchedAdapter, deadline as watchdog
from .models import (Accepted, Answer, Artifact, ArtifactFetch, ArtifactsPage, Balance, BaseData, Block,
                     BlockLookup, ChainPage, Contribution, ContributionsPage, Drift, Evaluation, Health, HistoryEntry,
                     HistoryPage, Judgement, Message, Mined, ModelInfo, Peers, PendingPage, Prediction, Proof,
                     Registered, Resolved, Tip, Transaction, TransfersPage, Validation)

T = TypeVar("T", bound=Answer)
P = TypeVar("P", bound=Answer)


CHUNK = 64 * 1024


def _socket_of(r: requests.Response):
    """The response's socket, to bound each read by the time left (None if it cannot be found)."""
    try:
        raw: Any = r.raw
        return raw._fp.fp.raw._sock
    except AttributeError:
        return None


def _dropped(exc: requests.RequestException) -> bool:
    """The connection was closed under the request (``Connection aborted``): a kept-alive
    connection that the server closed for idleness just as it was reused."""
    return isinstance(exc, requests.ConnectionError) and bool(exc.args) and \
        isinstance(exc.args[0], urllib3.exceptions.ProtocolError)


class NodeError(Exception):
    """Root of the library's errors."""


class ApiError(NodeError):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class Node(JobMethods):
    """One node's HTTP API. Every call has a total deadline (``timeout`` seconds, connecting,
    retrying, the answer's status line, headers and body included) and a size cap on the answer
    (``max_bytes``)."""

    def __init__(self, url: str, timeout: float = 30.0, retries: int = 3, max_bytes: int = 16 * 1024 * 1024) -> None:
        self.url, self.timeout, self.retries, self.max_bytes = url.rstrip("/"), timeout, retries, max_bytes
        self.session = requests.Session()
        for scheme in ("http://", "https://"):  # the deadline covers the answer's head too (client/watchdog.py)
            self.session.mount(scheme, WatchedAdapter())

    def _send(self, method: str, url: str, body: Any, deadline: float, what: str,
              data: Optional[bytes] = None) -> requests.Response:
        """The response's head, within the deadline. A GET whose kept-alive connection the node had
        just closed (its idle timeout) is sent once more on a new one; nothing else is resent."""
        for resent in (False, True):
            left = deadline - time.monotonic()
            if left <= 0:
                raise NodeError(f"{what}: no answer within {self.timeout}s")
            with watchdog(left) as expired:
                try:
                    if data is not None:  # raw bytes (an artifact), not JSON
                        return self.session.request(method, url, data=data, timeout=(left, left),
                                                    allow_redirects=False, stream=True,
                                                    headers={"Content-Type": "application/octet-stream"})
                    return self.session.request(method, url, json=body, timeout=(left, left), allow_redirects=False,
                                                stream=True)
                except requests.RequestException as exc:
                    failure = exc
            if expired.is_set() or time.monotonic() >= deadline:
                raise NodeError(f"{what}: no answer within {self.timeout}s")
            if resent or method not in ("GET", "HEAD") or not _dropped(failure):
                raise NodeError(f"cannot reach the node at {self.url} ({type(failure).__name__}); "
                                "is it running?") from None
        raise AssertionError("unreachable")

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

    def call(self, method: str, path: str, body: Any = None, query: Optional[dict] = None,
             data: Optional[bytes] = None) -> Any:
        """Send one request (``body`` as JSON, or ``data`` as raw bytes) and return the parsed JSON
        answer; ``ApiError`` for a 4xx/5xx answer, ``NodeError`` when there is no usable answer in
        time. A ``503 mining_busy`` is retried (at most ``retries`` times) after its ``Retry-After``,
        within the deadline."""
        deadline = time.monotonic() + self.timeout
        what = f"{method} {path}"
        url = self.url + path + ("?" + urlencode({k: v for k, v in query.items() if v is not None}) if query else "")
        for attempt in range(self.retries + 1):
            r = self._send(method, url, body, deadline, what, data)
            content = self._read(r, deadline, what)
            try:  # ``answer``, never ``data``: a retry below sends the caller's ``data`` again
                answer = loads_strict(content) if content.strip() else None
            except JSONRejected as exc:
                raise NodeError(f"{what} answered {r.status_code} without strict JSON ({exc})") from None
            if r.status_code < 400:
                return answer
            err = answer.get("error", {}) if isinstance(answer, dict) else {}
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

    def get_bytes(self, path: str) -> bytes:
        """The raw body of ``GET path`` (an artifact), within the deadline and size cap; ``ApiError`` for 4xx/5xx."""
        deadline = time.monotonic() + self.timeout
        r = self._send("GET", self.url + path, None, deadline, f"GET {path}")
        content = self._read(r, deadline, f"GET {path}")
        if r.status_code >= 300:
            try:
                err = loads_strict(content).get("error", {})
            except (JSONRejected, AttributeError):
                err = {}
            raise ApiError(r.status_code, str(err.get("code", "?")), str(err.get("message", "no such file")))
        return content

    def _get(self, cls: type[T], path: str, query: Optional[dict] = None) -> T:
        return self._typed(cls, f"GET {path}", self.call("GET", path, query=query))

    def _post(self, cls: type[T], path: str, body: Any = None) -> T:
        return self._typed(cls, f"POST {path}", self.call("POST", path, body))

    @staticmethod
    def _typed(cls: type[T], what: str, data: Any) -> T:
        """``data`` checked against ``cls``: a ``NodeError`` naming the first wrong fields if it does not fit."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            wrong = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'the answer'}: {e['msg']}" for e in exc.errors()[:3])
            raise NodeError(f"{what}: the answer is not a {cls.__name__} ({wrong})") from None

    # One method per route. Results are typed (client/models.py, the fields of /openapi.json);
    # ``.to_dict()`` gives the JSON object as the node sent it.

    def health(self) -> Health:
        """The node's state at a glance (``/health``)."""
        return self._get(Health, "/health")

    def tip(self) -> Tip:
        """The node's best tip (``/tip``)."""
        return self._get(Tip, "/tip")

    def mine(self) -> Mined:
        """Mine one block of the waiting transactions (``POST /mine``); the new block."""
        return self._post(Mined, "/mine")

    def chain(self, page: int = 0, limit: Optional[int] = None) -> ChainPage:
        """One page of ``/chain`` from block ``page`` (``.chain``, ``.length``, ``.next``)."""
        return self._get(ChainPage, "/chain", {"from": page, "limit": limit})

    def block(self, key: int | str) -> BlockLookup:
        """One block by index or by hash (``/block/<key>``)."""
        return self._get(BlockLookup, "/block/" + quote(str(key), safe=""))

    def validate(self) -> Validation:
        """The node's check of its own chain (``/chain/validate``)."""
        return self._get(Validation, "/chain/validate")

    def proof(self, tx_id: str) -> Proof:
        """Where a transaction is: confirmed in a block, or pending (``/proof/<tx_id>``)."""
        return self._get(Proof, "/proof/" + quote(tx_id, safe=""))

    def pending(self, after: Optional[str] = None, limit: Optional[int] = None) -> PendingPage:
        """One page of waiting transactions (``/transactions/pending``)."""
        return self._get(PendingPage, "/transactions/pending", {"after": after, "limit": limit})

    def add_transaction(self, body: dict) -> Accepted:
        """Submit a transfer: ``{"sender", "recipient", "amount"}`` plus, when signed,
        ``timestamp_ms``, ``public_key`` and ``signature`` (``POST /transactions/new``)."""
        return self._post(Accepted, "/transactions/new", body)

    def add_flower(self, sender: str, flower_type: str, measurements: dict, deposit: int = 0,
                   **signing: Any) -> Accepted:
        """Contribute one flower (``POST /flower/add``). ``measurements`` has ``sepal_length``,
        ``sepal_width``, ``petal_length`` and ``petal_width`` (cm, numbers or strings);
        ``signing`` may add ``timestamp_ms``, ``public_key`` and ``signature``."""
        body = {"sender": sender, "flower_type": flower_type, **measurements, **signing}
        if deposit:
            body["deposit"] = deposit
        return self._post(Accepted, "/flower/add", body)

    def add_claim(self, kind: str, sender: str, flower_id: str, **signing: Any) -> Accepted:
        """A ``"refund"`` or ``"report"`` of a contribution (``POST /flower/refund``, ``/flower/report``);
        ``claim()`` signs one with a key. ``ApiError`` 400 ``claim_not_allowed`` says why not now."""
        if kind not in ("refund", "report"):
            raise ValueError(f"kind must be 'refund' or 'report'; got {kind!r}")
        return self._post(Accepted, f"/flower/{kind}", {"sender": sender, "flower_id": flower_id, **signing})

    def predict(self, measurements: dict) -> Prediction:
        """The current model's class for four measurements (``POST /flower/predict``)."""
        return self._post(Prediction, "/flower/predict", dict(measurements))

    def judgement(self, flower_id: str) -> Judgement:
        """Which rows would judge a claim on a contribution, and why (``/flower/<id>/judgement``)."""
        return self._get(Judgement, f"/flower/{quote(flower_id, safe='')}/judgement")

    def model_info(self) -> ModelInfo:
        """The model at the tip (``/model/info``)."""
        return self._get(ModelInfo, "/model/info")

    def model_evaluate(self) -> Evaluation:
        """The model's scores on the test rows (``/model/evaluate``)."""
        return self._get(Evaluation, "/model/evaluate")

    def model_history(self, page: int = 0, limit: Optional[int] = None) -> HistoryPage:
        """One page of ``/model/history``; ``iter_model_history`` follows ``next``."""
        return self._get(HistoryPage, "/model/history", {"from": page, "limit": limit})

    def model_drift(self, window: Optional[int] = None) -> Drift:
        """Do the last ``window`` (50) contributions drift from the base data? (``/model/drift``)"""
        return self._get(Drift, "/model/drift", {"window": window})

    def model_base(self) -> BaseData:
        """The network's base data: classes, training and test rows (``/model/base``)."""
        return self._get(BaseData, "/model/base")

    def put_artifact(self, data: bytes) -> Artifact:
        """Store a file in the node's artifact store under its SHA-256 (``PUT /artifacts``)."""
        return self._typed(Artifact, "PUT /artifacts", self.call("PUT", "/artifacts", data=bytes(data)))

    def artifact(self, sha256: str) -> bytes:
        """A stored file's bytes (``GET /artifacts/<sha256>``), checked against its name: a
        ``NodeError`` if they do not hash to it."""
        content = self.get_bytes("/artifacts/" + quote(sha256, safe=""))
        if hashlib.sha256(content).hexdigest() != sha256:
            raise NodeError(f"GET /artifacts/{sha256}: the bytes served do not hash to their name")
        return content

    def artifacts(self, page: int = 0, limit: Optional[int] = None) -> ArtifactsPage:
        """One page of the stored artifacts, by name (``/artifacts``); ``iter_artifacts`` follows ``next``."""
        return self._get(ArtifactsPage, "/artifacts", {"from": page, "limit": limit})

    def fetch_artifact(self, sha256: str) -> ArtifactFetch:
        """Have the node get a file it lacks from its peers (``POST /artifacts/fetch``)."""
        return self._post(ArtifactFetch, "/artifacts/fetch", {"sha256": sha256})

    def balance(self, address: str) -> Balance:
        """An address's coins (``/balance/<address>``); ``available`` leaves out locked deposits."""
        return self._get(Balance, "/balance/" + quote(address, safe=""))

    def contributions(self, address: str, page: int = 0, limit: Optional[int] = None) -> ContributionsPage:
        """One page of an address's flower contributions (``/contributions?sender=``)."""
        return self._get(ContributionsPage, "/contributions", {"sender": address, "from": page, "limit": limit})

    def transfers(self, address: str, page: int = 0, limit: Optional[int] = None) -> TransfersPage:
        """One page of the confirmed transfers from or to an address (``/transfers?address=``)."""
        return self._get(TransfersPage, "/transfers", {"address": address, "from": page, "limit": limit})

    def nodes(self) -> Peers:
        """The peers this node knows (``/nodes``)."""
        return self._get(Peers, "/nodes")

    def register(self, urls: list[str]) -> Registered:
        """Tell the node about peers (``POST /nodes/register``)."""
        return self._post(Registered, "/nodes/register", {"nodes": list(urls)})

    def forget(self, url: str) -> Message:
        """Drop a peer (``DELETE /nodes/<url>``); ``ApiError`` 404 if it is not one."""
        return self._typed(Message, "DELETE /nodes", self.call("DELETE", "/nodes/" + quote(url, safe="")))

    def resolve(self) -> Resolved:
        """Ask the node to compare its chain with its peers' now (``POST /nodes/resolve``)."""
        return self._post(Resolved, "/nodes/resolve")

    # Signed transactions: ``key`` is an Ed25519 private key (``blockchain.crypto.read_key_file(path)``
    # reads the wallet's key file; ``crypto.generate_private_key()`` makes a new one). The key stays here;
    # the node gets the public key and the signature.

    def send(self, key: Any, recipient: str, amount: int) -> Accepted:
        """A transfer signed by ``key``, from its address (``POST /transactions/new``)."""
        pub = crypto.public_key_hex(key)
        sender = crypto.address_of(pub)
        body = transfer_body(sender, recipient, amount, int(time.time() * 1000), pub)
        return self.add_transaction({"sender": sender, "recipient": recipient, "amount": amount,
                                     "timestamp_ms": body["timestamp_ms"], "public_key": pub,
                                     "signature": crypto.sign_body(key, body)})

    def send_flower(self, key: Any, flower_type: str, measurements: dict, deposit: int = 0) -> Accepted:
        """A flower contribution signed by ``key``, from its address (``POST /flower/add``).
        Measurements are numbers of cm or the protocol's strings ("5.10")."""
        pub = crypto.public_key_hex(key)
        sender = crypto.address_of(pub)
        measures = {name: value if isinstance(value, str) else from_number(float(value))
                    for name, value in measurements.items()}
        body = flower_body(sender, measures, flower_type, int(time.time() * 1000), deposit, pub)
        return self._post(Accepted, "/flower/add", {"sender": sender, **body["data"], "deposit": deposit,
                                                     "timestamp_ms": body["timestamp_ms"], "public_key": pub,
                                                     "signature": crypto.sign_body(key, body)})

    def claim(self, key: Any, kind: str, flower_id: str) -> Accepted:
        """A signed ``"refund"`` of one's own deposit or ``"report"`` of another's contribution
        (``POST /flower/refund``, ``/flower/report``); ``ApiError`` ``claim_not_allowed`` says why not."""
        if kind not in ("refund", "report"):
            raise ValueError(f"kind must be 'refund' or 'report'; got {kind!r}")
        pub = crypto.public_key_hex(key)
        sender = crypto.address_of(pub)
        body = claim_body(kind.upper(), sender, flower_id, int(time.time() * 1000), pub)
        return self.add_claim(kind, sender, flower_id, timestamp_ms=body["timestamp_ms"], public_key=pub,
                              signature=crypto.sign_body(key, body))

    def _pages(self, cls: type[P], path: str, key: str, start: Any, query: dict) -> Iterator[Any]:
        param = "after" if path == "/transactions/pending" else "from"
        seen = set()
        while start not in seen:
            seen.add(start)
            answer = self._get(cls, path, {**query, param: start})
            yield from getattr(answer, key)
            following = getattr(answer, "next", None)
            if following is None:
                return
            start = following

    def iter_chain(self, start: int = 0) -> Iterator[Block]:
        """Every block from ``start``, page by page."""
        return self._pages(ChainPage, "/chain", "chain", start, {})

    def iter_pending(self) -> Iterator[Transaction]:
        """Every waiting transaction, oldest first, page by page."""
        return self._pages(PendingPage, "/transactions/pending", "transactions", None, {})

    def iter_model_history(self, start: int = 0) -> Iterator[HistoryEntry]:
        """Every model update from block ``start``, page by page."""
        return self._pages(HistoryPage, "/model/history", "history", start, {})

    def iter_transfers(self, address: str, start: int = 0) -> Iterator[Transaction]:
        """Every confirmed transfer from or to ``address``, page by page."""
        return self._pages(TransfersPage, "/transfers", "transfers", start, {"address": address})

    def iter_artifacts(self, start: int = 0) -> Iterator[Artifact]:
        """Every stored artifact, by name, page by page."""
        return self._pages(ArtifactsPage, "/artifacts", "artifacts", start, {})

    def iter_contributions(self, address: str, start: int = 0) -> Iterator[Contribution]:
        """Every flower contribution of ``address``, page by page."""
        return self._pages(ContributionsPage, "/contributions", "contributions", start, {"sender": address})

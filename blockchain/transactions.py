"""Transactions: construction, canonical ids, and the checks a transaction passes on its own.

A transaction is held as its **body** (a plain dict, never mutated after creation), its ``id``
(``H(canon(body))``) and, when signed, its ``signature``. Everything that depends on the chain
(balances, duplicates) is checked by the ledger, not here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from . import crypto
from .encoding import canon, is_hex, sha256_hex
from .errors import InvalidSignature, InvalidTransaction, SignatureRequired

TRANSFER = "TRANSFER"
FLOWER_DATA = "FLOWER_DATA"
REWARD = "REWARD"
MODEL_UPDATE = "MODEL_UPDATE"
USER_TYPES = (TRANSFER, FLOWER_DATA)
NODE_TYPES = (REWARD, MODEL_UPDATE)

REWARD_SENDER = "0"
MODEL_ADDRESS = "MODEL"
RESERVED_ADDRESSES = (REWARD_SENDER, MODEL_ADDRESS)
REWARD_AMOUNT = 1
MAX_AMOUNT = 10**12
MAX_ADDRESS_LENGTH = 128
MAX_FUTURE_SECONDS = 2 * 60 * 60

FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
FLOWER_TYPES = ("setosa", "versicolor", "virginica")
MODEL_UPDATE_KEYS = ("accuracy", "data_points_trained", "model_hash")

_BODY_KEYS = {
    TRANSFER: {"type", "sender", "recipient", "amount", "timestamp"},
    FLOWER_DATA: {"type", "sender", "recipient", "amount", "timestamp", "data"},
    REWARD: {"type", "sender", "recipient", "amount", "block_index"},
    MODEL_UPDATE: {"type", "sender", "recipient", "amount", "block_index", "data"},
}


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_float(v: Any) -> bool:
    return isinstance(v, float) and math.isfinite(v)


def _fail(message: str, tx_id: str | None = None) -> None:
    raise InvalidTransaction(message, tx_id=tx_id)


def check_address(name: str, value: Any, *, user_sender: bool = False) -> None:
    """An address is 1 to 128 printable characters; a user's sender is never reserved."""
    if not isinstance(value, str):
        _fail(f"{name} must be a string; got {type(value).__name__}")
    if not 1 <= len(value) <= MAX_ADDRESS_LENGTH:
        _fail(f"{name} must be 1 to {MAX_ADDRESS_LENGTH} characters; got {len(value)}")
    if not value.isprintable():
        _fail(f"{name} must contain printable characters only; got {value!r:.60}")
    if user_sender and value in RESERVED_ADDRESSES:
        _fail(f"{name} must not be a reserved address ({', '.join(RESERVED_ADDRESSES)}); got {value!r}")


def check_flower_data(data: Any) -> None:
    if not isinstance(data, dict):
        _fail(f"data must be an object; got {type(data).__name__}")
    expected = set(FEATURES) | {"flower_type"}
    if set(data) != expected:
        _fail(f"data must have exactly the keys {sorted(expected)}; got {sorted(map(str, data))}")
    for name in FEATURES:
        v = data[name]
        if not _is_float(v):
            _fail(f"data.{name} must be a finite float; got {v!r:.40}")
        if not 0 < v <= 100:
            _fail(f"data.{name} must be in (0, 100]; got {v!r}")
    if data["flower_type"] not in FLOWER_TYPES:
        _fail(f"data.flower_type must be one of {', '.join(FLOWER_TYPES)}; got {data['flower_type']!r:.40}")


def _check_model_update_data(data: Any) -> None:
    if not isinstance(data, dict) or set(data) != set(MODEL_UPDATE_KEYS):
        _fail(f"MODEL_UPDATE data must have exactly the keys {list(MODEL_UPDATE_KEYS)}")
    if not _is_int(data["data_points_trained"]) or data["data_points_trained"] < 1:
        _fail(f"data_points_trained must be a positive integer; got {data['data_points_trained']!r:.40}")
    if not is_hex(data["model_hash"], 64):
        _fail(f"model_hash must be 64 lowercase hex characters; got {data['model_hash']!r:.80}")
    acc = data["accuracy"]
    if not (_is_float(acc) or _is_int(acc)) or not 0 <= acc <= 1:
        _fail(f"accuracy must be a number in [0, 1]; got {acc!r:.40}")


def check_body(body: Mapping[str, Any]) -> None:
    """Every rule of PROTOCOL.md that a transaction body must meet on its own."""
    tx_type = body.get("type")
    if not isinstance(tx_type, str) or tx_type not in _BODY_KEYS:
        _fail(f"type must be one of {', '.join(_BODY_KEYS)}; got {tx_type!r:.40}")
    required = _BODY_KEYS[tx_type]
    allowed = required | ({"public_key"} if tx_type in USER_TYPES else set())
    missing = required - set(body)
    if missing:
        _fail(f"a {tx_type} transaction must have the fields {sorted(required)}; missing {sorted(missing)}")
    extra = set(body) - allowed
    if extra:
        _fail(f"a {tx_type} transaction must not have the fields {sorted(extra)}")
    amount = body["amount"]
    if not _is_int(amount):
        _fail(f"amount must be an integer; got {amount!r:.40}")

    if tx_type in USER_TYPES:
        check_address("sender", body["sender"], user_sender=True)
        if not _is_float(body["timestamp"]) or body["timestamp"] < 0:
            _fail(f"timestamp must be a non-negative finite float; got {body['timestamp']!r:.40}")
        if "public_key" in body:
            pk = body["public_key"]
            if not is_hex(pk, 64):
                _fail(f"public_key must be 64 lowercase hex characters; got {pk!r:.80}")
            if body["sender"] != crypto.address_of(pk):
                _fail(f"sender must be the address of public_key ({crypto.address_of(pk)}); got {body['sender']!r:.60}")
    else:
        if not _is_int(body["block_index"]) or body["block_index"] < 0:
            _fail(f"block_index must be a non-negative integer; got {body['block_index']!r:.40}")

    if tx_type == TRANSFER:
        check_address("recipient", body["recipient"])
        if not 1 <= amount <= MAX_AMOUNT:
            _fail(f"amount must be from 1 to {MAX_AMOUNT}; got {amount}")
        if body["recipient"] == body["sender"]:
            _fail("recipient must differ from sender; a transfer never sends to itself")
    elif tx_type == FLOWER_DATA:
        if body["recipient"] != MODEL_ADDRESS or amount != 0:
            _fail(f'a FLOWER_DATA transaction must have recipient "{MODEL_ADDRESS}" and amount 0')
        check_flower_data(body["data"])
    elif tx_type == REWARD:
        if body["sender"] != REWARD_SENDER or amount != REWARD_AMOUNT:
            _fail(f'a REWARD must have sender "{REWARD_SENDER}" and amount {REWARD_AMOUNT}')
        check_address("recipient", body["recipient"])
    else:  # MODEL_UPDATE
        if body["sender"] != MODEL_ADDRESS or body["recipient"] != MODEL_ADDRESS or amount != 0:
            _fail(f'a MODEL_UPDATE must have sender and recipient "{MODEL_ADDRESS}" and amount 0')
        _check_model_update_data(body["data"])


@dataclass(frozen=True)
class Transaction:
    """One transaction: its body, its id and (when signed) its signature."""

    body: Mapping[str, Any]
    id: str
    signature: str | None = None
    #: False only for a transaction parsed leniently for an audit: its id and signature are
    #: then re-checked by the ledger, which reports each mismatch instead of stopping.
    verified: bool = field(default=True, repr=False, compare=False)

    # -- construction -----------------------------------------------------------------
    @classmethod
    def create(cls, body: Mapping[str, Any], signature: str | None = None) -> "Transaction":
        """Build a transaction from a body that follows PROTOCOL.md; computes its id."""
        body = dict(body)
        check_body(body)
        tx = cls(body=body, id=sha256_hex(canon(body)), signature=signature)
        tx.check_signature()
        return tx

    def computed_id(self) -> str:
        return sha256_hex(canon(dict(self.body)))

    @classmethod
    def from_dict(cls, data: Any, *, lenient: bool = False) -> "Transaction":
        """Parse a transaction that came from outside (a peer, a file); recompute and check its id.

        With ``lenient`` (audits only) a wrong id or signature does not raise: the transaction
        keeps its claimed id, is marked unverified, and the ledger reports what is wrong.
        """
        if not isinstance(data, dict):
            _fail(f"a transaction must be an object; got {type(data).__name__}")
        body = {k: v for k, v in data.items() if k not in ("id", "signature")}
        claimed = data.get("id")
        signature = data.get("signature")
        if lenient:
            check_body(body)
            if not is_hex(claimed, 64) or (signature is not None and not isinstance(signature, str)):
                _fail(f"id must be 64 lowercase hex characters; got {claimed!r:.80}")
            return cls(body=body, id=claimed, signature=signature, verified=False)
        try:
            tx = cls.create(body, signature)
        except InvalidTransaction as exc:
            exc.tx_id = claimed if isinstance(claimed, str) else None
            raise
        if claimed != tx.id:
            raise InvalidTransaction(
                f"id must be H(canon(body)) = {tx.id}; got {claimed!r:.80}", tx_id=claimed if isinstance(claimed, str) else None
            )
        return tx

    def check_signature(self) -> None:
        if "public_key" not in self.body:
            if self.signature is not None:
                raise InvalidSignature("signature must come with public_key in the body", tx_id=self.id or None)
            return
        if self.signature is None:
            raise InvalidSignature("a transaction with public_key must have a signature", tx_id=self.id or None)
        if not crypto.verify_body(self.body["public_key"], dict(self.body), self.signature):
            raise InvalidSignature(
                "signature must be the Ed25519 signature of canon(body) by public_key; it does not verify",
                tx_id=self.id or None,
            )

    def check_timestamp(self, now: float) -> None:
        ts = self.body.get("timestamp")
        if ts is not None and ts > now + MAX_FUTURE_SECONDS:
            raise InvalidTransaction(
                f"timestamp must be at most {MAX_FUTURE_SECONDS} s ahead of this node's clock ({now:.0f}); got {ts}",
                tx_id=self.id,
            )

    def require_signature(self) -> None:
        if self.type in USER_TYPES and not self.is_signed:
            raise SignatureRequired(
                "this node requires signed transactions: add timestamp, public_key (hex Ed25519) and "
                "signature (hex Ed25519 signature of canon(body)); sender must be the key's address",
                tx_id=self.id,
            )

    # -- accessors ------------------------------------------------------------------
    @property
    def type(self) -> str:
        return self.body["type"]

    @property
    def sender(self) -> str:
        return self.body["sender"]

    @property
    def recipient(self) -> str:
        return self.body["recipient"]

    @property
    def amount(self) -> int:
        return self.body["amount"]

    @property
    def data(self) -> Any:
        return self.body.get("data")

    @property
    def is_signed(self) -> bool:
        return "public_key" in self.body

    @property
    def is_user(self) -> bool:
        return self.type in USER_TYPES

    def features(self) -> list[float]:
        """The four measurements of a FLOWER_DATA in protocol order."""
        return [self.body["data"][name] for name in FEATURES]

    def label(self) -> str:
        return self.body["data"]["flower_type"]

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.body)
        out["id"] = self.id
        if self.signature is not None:
            out["signature"] = self.signature
        return out


# -- builders for each type ---------------------------------------------------------
def _with_key(body: dict, public_key: str | None) -> dict:
    if public_key is not None:
        body["public_key"] = public_key
    return body


def transfer_body(sender: str, recipient: str, amount: int, timestamp: float, public_key: str | None = None) -> dict:
    return _with_key(
        {"type": TRANSFER, "sender": sender, "recipient": recipient, "amount": amount, "timestamp": float(timestamp)},
        public_key,
    )


def flower_body(sender: str, measurements: Mapping[str, Any], flower_type: str, timestamp: float,
                public_key: str | None = None) -> dict:
    data = {name: float(measurements[name]) for name in FEATURES}
    data["flower_type"] = flower_type
    return _with_key(
        {"type": FLOWER_DATA, "sender": sender, "recipient": MODEL_ADDRESS, "amount": 0,
         "timestamp": float(timestamp), "data": data},
        public_key,
    )


def reward(recipient: str, block_index: int) -> Transaction:
    return Transaction.create({"type": REWARD, "sender": REWARD_SENDER, "recipient": recipient,
                               "amount": REWARD_AMOUNT, "block_index": block_index})


def model_update(block_index: int, summary: Mapping[str, Any]) -> Transaction:
    data = {k: summary[k] for k in MODEL_UPDATE_KEYS}
    return Transaction.create({"type": MODEL_UPDATE, "sender": MODEL_ADDRESS, "recipient": MODEL_ADDRESS,
                               "amount": 0, "block_index": block_index, "data": data})


def signed(body: dict, key) -> Transaction:
    """Sign ``body`` (which must carry the key's ``public_key`` and address) with ``key``."""
    return Transaction.create(body, crypto.sign_body(key, body))

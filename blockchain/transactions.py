"""Transactions of PROTOCOL.md version 2: construction, canonical ids, and the checks a
transaction passes on its own.

A transaction is held as its **body** (a plain dict, never mutated after creation), its ``id``
(``H(canon(body))``) and, when signed, its ``signature``. What depends on the chain or the
network (balances, duplicates, the network's classes and minimum deposit, claims) is checked
by the ledger, not here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from . import crypto
from .encoding import ValueRuleError, canon, check_value, is_hex, is_int, sha256_hex
from .errors import InvalidSignature, InvalidTransaction, SignatureRequired

TRANSFER = "TRANSFER"
FLOWER_DATA = "FLOWER_DATA"
REFUND = "REFUND"
REPORT = "REPORT"
REWARD = "REWARD"
MODEL_UPDATE = "MODEL_UPDATE"
GENESIS = "GENESIS"
CLAIM_TYPES = (REFUND, REPORT)
USER_TYPES = (TRANSFER, FLOWER_DATA, REFUND, REPORT)
NODE_TYPES = (REWARD, MODEL_UPDATE, GENESIS)

REWARD_SENDER = "0"
MODEL_ADDRESS = "MODEL"
RESERVED_ADDRESSES = (REWARD_SENDER, MODEL_ADDRESS)
REWARD_AMOUNT = 1
MAX_AMOUNT = 10**12
MAX_ADDRESS_LENGTH = 128
MAX_FUTURE_MS = 2 * 60 * 60 * 1000
MAX_USER_TRANSACTIONS = 1000  # per block (PROTOCOL.md "Order of transactions")
MIN_UNITS, MAX_UNITS = 1, 10_000  # a measurement: 0.01 to 100.00 cm, in hundredths

FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
MEASUREMENT = re.compile(r"(0|[1-9][0-9]{0,2})\.[0-9]{2}")
CLASS_NAME = re.compile(r"[a-z0-9_-]{1,32}")
MODEL_UPDATE_KEYS = ("data_points_trained", "model_hash", "test_correct", "test_rows")

_BODY_KEYS = {
    TRANSFER: {"type", "sender", "recipient", "amount", "timestamp_ms"},
    FLOWER_DATA: {"type", "sender", "recipient", "amount", "timestamp_ms", "data"},
    REFUND: {"type", "sender", "recipient", "amount", "timestamp_ms", "flower_id"},
    REPORT: {"type", "sender", "recipient", "amount", "timestamp_ms", "flower_id"},
    REWARD: {"type", "sender", "recipient", "amount", "block_index"},
    MODEL_UPDATE: {"type", "sender", "recipient", "amount", "block_index", "data"},
    GENESIS: {"type", "sender", "recipient", "amount", "params"},
}


def _fail(message: str, tx_id: str | None = None) -> None:
    raise InvalidTransaction(message, tx_id=tx_id)


def is_address(value: Any) -> bool:
    """1 to 128 characters of 0x21-0x7E: printable ASCII without the space."""
    return (type(value) is str and 1 <= len(value) <= MAX_ADDRESS_LENGTH and value.isascii()
            and value.isprintable() and " " not in value)


def check_address(name: str, value: Any, *, user: bool = False) -> None:
    """An address; a user's (sender, transfer recipient, miner) is never reserved."""
    if not is_address(value):
        _fail(f"{name} must be 1 to {MAX_ADDRESS_LENGTH} characters of printable ASCII without spaces "
              f"(0x21-0x7E); got {value!r:.60}")
    if user and value in RESERVED_ADDRESSES:
        _fail(f"{name} must not be a reserved address ({', '.join(RESERVED_ADDRESSES)}); got {value!r}")


_UNITS = {f"{u // 100}.{u % 100:02d}": u for u in range(MIN_UNITS, MAX_UNITS + 1)}  # every valid string


def measurement_units(value: Any) -> int:
    """Hundredths of a centimetre of a measurement string, or InvalidTransaction."""
    found = _UNITS.get(value) if type(value) is str else None
    if found is not None:
        return found
    if type(value) is not str or MEASUREMENT.fullmatch(value) is None:
        _fail(f'a measurement must be centimetres with exactly two decimals, like "5.10"; got {value!r:.40}')
    units = int(value.replace(".", ""))
    if not MIN_UNITS <= units <= MAX_UNITS:
        _fail(f"a measurement must be 0.01 to 100.00; got {value!r}")
    return units


def check_flower_data(data: Any) -> None:
    if type(data) is not dict:
        _fail(f"data must be an object; got {type(data).__name__}")
    expected = set(FEATURES) | {"flower_type"}
    if set(data) != expected:
        _fail(f"data must have exactly the keys {sorted(expected)}; got {sorted(map(str, data))}")
    for name in FEATURES:
        try:
            measurement_units(data[name])
        except InvalidTransaction as exc:
            _fail(f"data.{name}: {exc.message}")
    if type(data["flower_type"]) is not str or CLASS_NAME.fullmatch(data["flower_type"]) is None:
        _fail(f"data.flower_type must be a class name of [a-z0-9_-]{{1,32}}; got {data['flower_type']!r:.40}")


def _check_model_update_data(data: Any) -> None:
    if type(data) is not dict or set(data) != set(MODEL_UPDATE_KEYS):
        _fail(f"MODEL_UPDATE data must have exactly the keys {list(MODEL_UPDATE_KEYS)}")
    for name, least in (("data_points_trained", 1), ("test_correct", 0), ("test_rows", 1)):
        if not is_int(data[name]) or data[name] < least:
            _fail(f"{name} must be an integer of at least {least}; got {data[name]!r:.40}")
    if data["test_correct"] > data["test_rows"]:
        _fail(f"test_correct must be at most test_rows ({data['test_rows']}); got {data['test_correct']}")
    if not is_hex(data["model_hash"], 64):
        _fail(f"model_hash must be 64 lowercase hex characters; got {data['model_hash']!r:.80}")


def check_body(body: Mapping[str, Any]) -> None:
    """Every rule of PROTOCOL.md that a transaction body must meet on its own."""
    try:
        check_value(dict(body), "transaction")
    except ValueRuleError as exc:
        _fail(str(exc))
    tx_type = body.get("type")
    if type(tx_type) is not str or tx_type not in _BODY_KEYS:
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
    if not is_int(amount):
        _fail(f"amount must be an integer; got {amount!r:.40}")

    if tx_type in USER_TYPES:
        check_address("sender", body["sender"], user=True)
        if not is_int(body["timestamp_ms"]) or body["timestamp_ms"] < 0:
            _fail(f"timestamp_ms must be a non-negative integer (milliseconds); got {body['timestamp_ms']!r:.40}")
        if "public_key" in body:
            pk = body["public_key"]
            if not is_hex(pk, 64):
                _fail(f"public_key must be 64 lowercase hex characters; got {pk!r:.80}")
            if body["sender"] != crypto.address_of(pk):
                _fail(f"sender must be the address of public_key ({crypto.address_of(pk)}); got {body['sender']!r:.60}")
        if tx_type != TRANSFER and body["recipient"] != MODEL_ADDRESS:
            _fail(f'a {tx_type} must have recipient "{MODEL_ADDRESS}"; got {body["recipient"]!r:.60}')
    elif tx_type != GENESIS:
        if not is_int(body["block_index"]) or body["block_index"] < 0:
            _fail(f"block_index must be a non-negative integer; got {body['block_index']!r:.40}")

    if tx_type == TRANSFER:
        check_address("recipient", body["recipient"], user=True)
        if not 1 <= amount <= MAX_AMOUNT:
            _fail(f"amount must be from 1 to {MAX_AMOUNT}; got {amount}")
        if body["recipient"] == body["sender"]:
            _fail("recipient must differ from sender; a transfer never sends to itself")
    elif tx_type == FLOWER_DATA:
        if not 0 <= amount <= MAX_AMOUNT:
            _fail(f"a FLOWER_DATA's amount (its deposit) must be from 0 to {MAX_AMOUNT}; got {amount}")
        check_flower_data(body["data"])
    elif tx_type in CLAIM_TYPES:
        if amount != 0:
            _fail(f"a {tx_type} must have amount 0; got {amount}")
        if not is_hex(body["flower_id"], 64):
            _fail(f"flower_id must be 64 lowercase hex characters; got {body['flower_id']!r:.80}")
    elif tx_type == REWARD:
        if body["sender"] != REWARD_SENDER or amount != REWARD_AMOUNT:
            _fail(f'a REWARD must have sender "{REWARD_SENDER}" and amount {REWARD_AMOUNT}; '
                  f"got {body['sender']!r:.20} and {amount}")
        check_address("recipient", body["recipient"], user=True)
    elif tx_type == MODEL_UPDATE:
        if body["sender"] != MODEL_ADDRESS or body["recipient"] != MODEL_ADDRESS or amount != 0:
            _fail(f'a MODEL_UPDATE must have sender and recipient "{MODEL_ADDRESS}" and amount 0')
        _check_model_update_data(body["data"])
    else:  # GENESIS: its params are compared with the network's own by the ledger
        if body["sender"] != REWARD_SENDER or body["recipient"] != MODEL_ADDRESS or amount != 0:
            _fail(f'a GENESIS must have sender "{REWARD_SENDER}", recipient "{MODEL_ADDRESS}" and amount 0')
        if type(body["params"]) is not dict:
            _fail("a GENESIS must carry params as an object")


def freeze(value: Any) -> Any:
    """A read-only copy: objects become mapping proxies, arrays tuples (JSON encodes both as before)."""
    kind = type(value)
    if kind is dict or kind is MappingProxyType:
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if kind is list or kind is tuple:
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """A plain, mutable JSON value from a frozen one."""
    kind = type(value)
    if kind is MappingProxyType or kind is dict:
        return {k: thaw(v) for k, v in value.items()}
    if kind is tuple or kind is list:
        return [thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class Transaction:
    """One transaction: its body, its id and (when signed) its signature."""

    body: Mapping[str, Any]
    id: str
    signature: str | None = None
    #: False only for a transaction parsed leniently for an audit: its id and signature are
    #: then re-checked by the ledger, which reports each mismatch instead of stopping.
    verified: bool = field(default=True, repr=False, compare=False)
    #: len(canon(body)) and H(canon(body)), when known: the body is encoded once per transaction.
    body_size: int = field(default=0, repr=False, compare=False)
    real_id: str = field(default="", repr=False, compare=False)

    def __post_init__(self) -> None:
        if type(self.body) is not MappingProxyType:  # read-only, however it was built
            object.__setattr__(self, "body", freeze(self.body))

    def body_dict(self) -> dict:
        """The body as a plain dict (a copy: editing it changes nothing here)."""
        return thaw(self.body)

    # -- construction -----------------------------------------------------------------
    @classmethod
    def create(cls, body: Mapping[str, Any], signature: str | None = None) -> "Transaction":
        """Build a transaction from a body that follows PROTOCOL.md; computes its id."""
        body = dict(body)
        check_body(body)
        encoded = canon(body)
        tx_id = sha256_hex(encoded)
        tx = cls(body=body, id=tx_id, signature=signature, body_size=len(encoded), real_id=tx_id)
        tx.check_signature()
        return tx

    def computed_id(self) -> str:
        return self.real_id or sha256_hex(canon(self.body_dict()))

    def canon_size(self) -> int:
        """len(canon(self.to_dict())), from the body's encoded length."""
        size = self.body_size or len(canon(self.body_dict()))
        size += len(',"id":""') + len(self.id)
        if self.signature is not None:
            size += len(',"signature":""') + len(self.signature)
        return size

    @classmethod
    def from_dict(cls, data: Any, *, lenient: bool = False) -> "Transaction":
        """Parse a transaction that came from outside (a peer, a file); recompute and check its id.

        With ``lenient`` (audits only) a wrong id or signature does not raise: the transaction
        keeps its claimed id, is marked unverified, and the ledger reports what is wrong.
        """
        if type(data) is not dict:
            _fail(f"a transaction must be an object; got {type(data).__name__}")
        body = {k: v for k, v in data.items() if k not in ("id", "signature")}
        claimed = data.get("id")
        signature = data.get("signature")
        tx_id = claimed if type(claimed) is str else None
        if "signature" in data and signature is None:  # optional fields are absent, never null
            _fail("signature must be absent (unsigned) or 128 lowercase hex characters; got null", tx_id)
        if signature is not None and not is_hex(signature, 128):
            _fail(f"signature must be 128 lowercase hex characters; got {signature!r:.80}", tx_id)
        if lenient:
            try:
                check_body(body)
            except InvalidTransaction as exc:
                exc.tx_id = tx_id
                raise
            if not is_hex(claimed, 64):
                _fail(f"id must be 64 lowercase hex characters; got {claimed!r:.80}")
            encoded = canon(body)
            return cls(body=body, id=claimed, signature=signature, verified=False, body_size=len(encoded),
                       real_id=sha256_hex(encoded))
        try:
            tx = cls.create(body, signature)
        except InvalidTransaction as exc:
            exc.tx_id = tx_id
            raise
        if claimed != tx.id:
            raise InvalidTransaction(f"id must be H(canon(body)) = {tx.id}; got {claimed!r:.80}", tx_id=tx_id)
        return tx

    def check_signature(self) -> None:
        if "public_key" not in self.body:
            if self.signature is not None:
                raise InvalidSignature("signature must come with public_key in the body", tx_id=self.id or None)
            return
        if self.signature is None:
            raise InvalidSignature("a transaction with public_key must have a signature", tx_id=self.id or None)
        if not crypto.verify_body(self.body["public_key"], self.body_dict(), self.signature):
            raise InvalidSignature(
                "signature must be the Ed25519 signature of canon(body) by public_key; it does not verify",
                tx_id=self.id or None,
            )

    def check_timestamp(self, now_ms: int) -> None:
        ts = self.body.get("timestamp_ms")
        if ts is not None and ts > now_ms + MAX_FUTURE_MS:
            raise InvalidTransaction(
                f"timestamp_ms must be at most 2 hours ahead of this node's clock ({now_ms}); got {ts}",
                tx_id=self.id,
            )

    def require_signature(self) -> None:
        if self.type in USER_TYPES and not self.is_signed:
            raise SignatureRequired(
                "this node requires signed transactions: add public_key (hex Ed25519) to the body and "
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

    @property
    def spends(self) -> int:
        """What the sender pays when the transaction is applied: a transfer's amount or a deposit."""
        return self.body["amount"] if self.type in (TRANSFER, FLOWER_DATA) else 0

    def features(self) -> list[str]:
        """The four measurement strings of a FLOWER_DATA in protocol order."""
        return [self.body["data"][name] for name in FEATURES]

    def label(self) -> str:
        return self.body["data"]["flower_type"]

    def to_dict(self) -> dict[str, Any]:
        out = self.body_dict()
        out["id"] = self.id
        if self.signature is not None:
            out["signature"] = self.signature
        return out


# -- builders for each type ---------------------------------------------------------
def _with_key(body: dict, public_key: str | None) -> dict:
    if public_key is not None:
        body["public_key"] = public_key
    return body


def transfer_body(sender: str, recipient: str, amount: int, timestamp_ms: int,
                  public_key: str | None = None) -> dict:
    return _with_key({"type": TRANSFER, "sender": sender, "recipient": recipient, "amount": amount,
                      "timestamp_ms": timestamp_ms}, public_key)


def flower_body(sender: str, measurements: Mapping[str, str], flower_type: str, timestamp_ms: int,
                deposit: int = 0, public_key: str | None = None) -> dict:
    """``measurements`` maps each feature to its protocol string ("5.10")."""
    data = {name: measurements[name] for name in FEATURES}
    data["flower_type"] = flower_type
    return _with_key({"type": FLOWER_DATA, "sender": sender, "recipient": MODEL_ADDRESS, "amount": deposit,
                      "timestamp_ms": timestamp_ms, "data": data}, public_key)


def claim_body(kind: str, sender: str, flower_id: str, timestamp_ms: int, public_key: str | None = None) -> dict:
    """A REFUND or REPORT of the FLOWER_DATA ``flower_id``."""
    if kind not in CLAIM_TYPES:
        raise ValueError(f"kind must be REFUND or REPORT; got {kind!r}")
    return _with_key({"type": kind, "sender": sender, "recipient": MODEL_ADDRESS, "amount": 0,
                      "timestamp_ms": timestamp_ms, "flower_id": flower_id}, public_key)


def reward(recipient: str, block_index: int) -> Transaction:
    return Transaction.create({"type": REWARD, "sender": REWARD_SENDER, "recipient": recipient,
                               "amount": REWARD_AMOUNT, "block_index": block_index})


def model_update(block_index: int, summary: Mapping[str, Any]) -> Transaction:
    data = {k: summary[k] for k in MODEL_UPDATE_KEYS}
    return Transaction.create({"type": MODEL_UPDATE, "sender": MODEL_ADDRESS, "recipient": MODEL_ADDRESS,
                               "amount": 0, "block_index": block_index, "data": data})


def genesis_transaction(params: Mapping[str, Any]) -> Transaction:
    return Transaction.create({"type": GENESIS, "sender": REWARD_SENDER, "recipient": MODEL_ADDRESS,
                               "amount": 0, "params": dict(params)})


def signed(body: dict, key) -> Transaction:
    """Sign ``body`` (which must carry the key's ``public_key`` and address) with ``key``."""
    return Transaction.create(body, crypto.sign_body(key, body))

"""Transactions of PROTOCOL.md version 2: construction, canonical ids, and the checks a
transaction passes on its own.

A transaction is held as its **body** (a plain dict, never mutated after creation), its ``id``
(``H(canon(body))``) and, when signed, its ``signature``. What depends on the chain or the
network (balances, duplicates, the network's classes and minimum deposit, claims) is checked
by the ledger, not here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Mapping

from . import crypto
from .encoding import ValueRuleError, canon, check_value, is_hex, is_int, sha256_hex
from .errors import InvalidSignature, InvalidTransaction, SignatureRequired

from .rules import RULES, Rule, rule_for
from .rules.base import (CLASS_NAME, FEATURES, FLOWER_DATA, GENESIS, MAX_ADDRESS_LENGTH, MAX_AMOUNT, MAX_UNITS,
                         MEASUREMENT, MIN_UNITS, MODEL_ADDRESS, MODEL_UPDATE, MODEL_UPDATE_KEYS, REFUND, REPORT,
                         RESERVED_ADDRESSES, REWARD, REWARD_AMOUNT, REWARD_SENDER, TRANSFER, check_address,
                         check_user_fields, is_address, measurement_units)
from .rules.flower_data import check_flower_data

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

# The protocol's names, defined with the rules (``blockchain/rules/``) and kept here for their importers.
__all__ = ["CLASS_NAME", "FEATURES", "FLOWER_DATA", "GENESIS", "MAX_ADDRESS_LENGTH", "MAX_AMOUNT", "MAX_UNITS",
           "MEASUREMENT", "MIN_UNITS", "MODEL_ADDRESS", "MODEL_UPDATE", "MODEL_UPDATE_KEYS", "REFUND", "REPORT",
           "RESERVED_ADDRESSES", "REWARD", "REWARD_AMOUNT", "REWARD_SENDER", "TRANSFER", "check_address",
           "is_address", "measurement_units", "check_flower_data", "RULES",
           "CLAIM_TYPES", "MAX_FUTURE_MS", "MAX_USER_TRANSACTIONS", "check_body", "freeze", "thaw", "Transaction",
           "transfer_body", "flower_body", "claim_body", "reward", "model_update", "genesis_transaction", "signed"]

CLAIM_TYPES = (REFUND, REPORT)
MAX_FUTURE_MS = 2 * 60 * 60 * 1000
MAX_USER_TRANSACTIONS = 1000  # per block (PROTOCOL.md "Order of transactions")


def _fail(message: str, tx_id: str | None = None) -> None:
    raise InvalidTransaction(message, tx_id=tx_id)


def check_body(body: Mapping[str, Any]) -> None:
    """Every rule of PROTOCOL.md that a transaction body must meet on its own: what every body
    meets here, then its type's own check (``blockchain/rules/<type>.py``)."""
    try:
        check_value(dict(body), "transaction")
    except ValueRuleError as exc:
        _fail(str(exc))
    rule = rule_for(body.get("type"))
    required = rule.body_keys
    allowed = (required | {"public_key"}) if rule.user else required
    missing = required - set(body)
    if missing:
        _fail(f"a {rule.type} transaction must have the fields {sorted(required)}; missing {sorted(missing)}")
    extra = set(body) - allowed
    if extra:
        _fail(f"a {rule.type} transaction must not have the fields {sorted(extra)}")
    amount = body["amount"]
    if not is_int(amount):
        _fail(f"amount must be an integer; got {amount!r:.40}")
    if rule.user:
        check_user_fields(body)
    rule.check_body(body)


_NESTED = frozenset({dict, list, tuple, MappingProxyType})  # what freeze and thaw copy; other values are kept


def freeze(value: Any) -> Any:
    """A read-only copy: objects become mapping proxies, arrays tuples (JSON encodes both as before)."""
    kind = type(value)
    if kind is dict or kind is MappingProxyType:
        return MappingProxyType({k: freeze(v) if type(v) in _NESTED else v for k, v in value.items()})
    if kind is list or kind is tuple:
        return tuple([freeze(v) if type(v) in _NESTED else v for v in value])
    return value


def thaw(value: Any) -> Any:
    """A plain, mutable JSON value from a frozen one."""
    kind = type(value)
    if kind is MappingProxyType or kind is dict:
        return {k: thaw(v) if type(v) in _NESTED else v for k, v in value.items()}
    if kind is tuple or kind is list:
        return [thaw(v) if type(v) in _NESTED else v for v in value]
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

    def body_dict(self) -> dict[str, Any]:
        """The body as a plain dict (a copy: editing it changes nothing here)."""
        out: dict[str, Any] = thaw(self.body)
        return out

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
        if self.rule.user and not self.is_signed:
            raise SignatureRequired(
                "this node requires signed transactions: add public_key (hex Ed25519) to the body and "
                "signature (hex Ed25519 signature of canon(body)); sender must be the key's address",
                tx_id=self.id,
            )

    # -- accessors ------------------------------------------------------------------
    @property
    def type(self) -> str:
        value: str = self.body["type"]
        return value

    @property
    def sender(self) -> str:
        value: str = self.body["sender"]
        return value

    @property
    def recipient(self) -> str:
        value: str = self.body["recipient"]
        return value

    @property
    def amount(self) -> int:
        value: int = self.body["amount"]
        return value

    @property
    def data(self) -> Any:
        return self.body.get("data")

    @property
    def is_signed(self) -> bool:
        return "public_key" in self.body

    @property
    def rule(self) -> Rule:
        """The rule of this transaction's type. A plain look-up each time (about 0.1 us):
        ``functools.cached_property`` takes a lock on Python 3.11, and its first read (the only one for
        most transactions) cost about 1.2 us, more than the look-ups it saves."""
        try:
            return RULES[self.body["type"]]
        except (KeyError, TypeError):
            return rule_for(self.body["type"])  # InvalidTransaction, with the message every unknown type gets

    @property
    def is_user(self) -> bool:
        return self.rule.user

    @property
    def spends(self) -> int:
        """What the sender pays when the transaction is applied: a transfer's amount or a deposit."""
        return self.rule.spends(self)

    def features(self) -> list[str]:
        """The four measurement strings of a FLOWER_DATA in protocol order."""
        return [self.body["data"][name] for name in FEATURES]

    def label(self) -> str:
        value: str = self.body["data"]["flower_type"]
        return value

    def to_dict(self) -> dict[str, Any]:
        out = self.body_dict()
        out["id"] = self.id
        if self.signature is not None:
            out["signature"] = self.signature
        return out


# -- builders for each type ---------------------------------------------------------
def _with_key(body: dict[str, Any], public_key: str | None) -> dict[str, Any]:
    if public_key is not None:
        body["public_key"] = public_key
    return body


def transfer_body(sender: str, recipient: str, amount: int, timestamp_ms: int,
                  public_key: str | None = None) -> dict[str, Any]:
    return _with_key({"type": TRANSFER, "sender": sender, "recipient": recipient, "amount": amount,
                      "timestamp_ms": timestamp_ms}, public_key)


def flower_body(sender: str, measurements: Mapping[str, str], flower_type: str, timestamp_ms: int,
                deposit: int = 0, public_key: str | None = None) -> dict[str, Any]:
    """``measurements`` maps each feature to its protocol string ("5.10")."""
    data = {name: measurements[name] for name in FEATURES}
    data["flower_type"] = flower_type
    return _with_key({"type": FLOWER_DATA, "sender": sender, "recipient": MODEL_ADDRESS, "amount": deposit,
                      "timestamp_ms": timestamp_ms, "data": data}, public_key)


def claim_body(kind: str, sender: str, flower_id: str, timestamp_ms: int,
               public_key: str | None = None) -> dict[str, Any]:
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


def signed(body: dict[str, Any], key: Ed25519PrivateKey) -> Transaction:
    """Sign ``body`` (which must carry the key's ``public_key`` and address) with ``key``."""
    return Transaction.create(body, crypto.sign_body(key, body))

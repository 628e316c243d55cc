"""What every transaction rule shares: the protocol's constants, the checks of a body's fields,
the records a rule writes (a contribution, the network's rules), and the ``Rule`` itself.

A rule sees the ledger only through the two small interfaces below: ``Ledger`` (a ``Delta``,
what the transactions of one block change) and ``Indexes`` (a ``ChainState``'s look-up tables).
So this package imports neither ``ledger.py`` nor ``state.py``, and both can import it.
"""
from __future__ import annotations

import builtins
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Protocol, Sequence

from .. import crypto
from ..difficulty import DifficultyParams, params_from
from ..encoding import is_hex, is_int
from ..errors import InvalidTransaction
from ..model_port import JobKinds

TRANSFER = "TRANSFER"
FLOWER_DATA = "FLOWER_DATA"
REFUND = "REFUND"
REPORT = "REPORT"
REWARD = "REWARD"
MODEL_UPDATE = "MODEL_UPDATE"
GENESIS = "GENESIS"

REWARD_SENDER = "0"
MODEL_ADDRESS = "MODEL"
RESERVED_ADDRESSES = (REWARD_SENDER, MODEL_ADDRESS)
REWARD_AMOUNT = 1
MAX_AMOUNT = 10**12
MAX_ADDRESS_LENGTH = 128
MIN_UNITS, MAX_UNITS = 1, 10_000  # a measurement: 0.01 to 100.00 cm, in hundredths

FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
MEASUREMENT = re.compile(r"(0|[1-9][0-9]{0,2})\.[0-9]{2}")
CLASS_NAME = re.compile(r"[a-z0-9_-]{1,32}")
MODEL_UPDATE_KEYS = ("data_points_trained", "model_hash", "test_correct", "test_rows")

USER_KEYS = frozenset({"type", "sender", "recipient", "amount", "timestamp_ms"})  # every user transaction's
NODE_KEYS = frozenset({"type", "sender", "recipient", "amount", "block_index"})   # a REWARD's, a MODEL_UPDATE's


def fail(message: str, tx_id: Optional[str] = None) -> None:
    raise InvalidTransaction(message, tx_id=tx_id)


# -- field checks --------------------------------------------------------------------------------
def is_address(value: Any) -> bool:
    """1 to 128 characters of 0x21-0x7E: printable ASCII without the space."""
    return (type(value) is str and 1 <= len(value) <= MAX_ADDRESS_LENGTH and value.isascii()
            and value.isprintable() and " " not in value)


def check_address(name: str, value: Any, *, user: bool = False) -> None:
    """An address; a user's (sender, transfer recipient, miner) is never reserved."""
    if not is_address(value):
        fail(f"{name} must be 1 to {MAX_ADDRESS_LENGTH} characters of printable ASCII without spaces "
             f"(0x21-0x7E); got {value!r:.60}")
    if user and value in RESERVED_ADDRESSES:
        fail(f"{name} must not be a reserved address ({', '.join(RESERVED_ADDRESSES)}); got {value!r}")


_UNITS = {f"{u // 100}.{u % 100:02d}": u for u in range(MIN_UNITS, MAX_UNITS + 1)}  # every valid string


def measurement_units(value: Any) -> int:
    """Hundredths of a centimetre of a measurement string, or InvalidTransaction."""
    found = _UNITS.get(value) if type(value) is str else None
    if found is not None:
        return found
    if type(value) is not str or MEASUREMENT.fullmatch(value) is None:
        fail(f'a measurement must be centimetres with exactly two decimals, like "5.10"; got {value!r:.40}')
    units = int(str(value).replace(".", ""))
    if not MIN_UNITS <= units <= MAX_UNITS:
        fail(f"a measurement must be 0.01 to 100.00; got {value!r}")
    return units


def check_user_fields(body: Mapping[str, Any]) -> None:
    """What every user transaction's body meets: a user's sender, a time, and a key that names it."""
    check_address("sender", body["sender"], user=True)
    if not is_int(body["timestamp_ms"]) or body["timestamp_ms"] < 0:
        fail(f"timestamp_ms must be a non-negative integer (milliseconds); got {body['timestamp_ms']!r:.40}")
    if "public_key" in body:
        pk = body["public_key"]
        if not is_hex(pk, 64):
            fail(f"public_key must be 64 lowercase hex characters; got {pk!r:.80}")
        if body["sender"] != crypto.address_of(pk):
            fail(f"sender must be the address of public_key ({crypto.address_of(pk)}); got {body['sender']!r:.60}")


def check_to_model(body: Mapping[str, Any]) -> None:
    """A user transaction addressed to the model (a deposit or a claim), not to a user."""
    if body["recipient"] != MODEL_ADDRESS:
        fail(f'a {body["type"]} must have recipient "{MODEL_ADDRESS}"; got {body["recipient"]!r:.60}')


def check_block_index(body: Mapping[str, Any]) -> None:
    if not is_int(body["block_index"]) or body["block_index"] < 0:
        fail(f"block_index must be a non-negative integer; got {body['block_index']!r:.40}")


# -- the records rules write ---------------------------------------------------------------------
@dataclass(frozen=True)
class Rules:
    """What a network's genesis fixes for every later block."""

    difficulty: int
    classes: tuple[str, ...]
    min_deposit: int
    refund_wait: int
    protocol: int = 2
    k: int = 3
    weights: tuple[int, ...] = ()
    base_hash: str = ""
    retarget: Optional[DifficultyParams] = None  # v3: the difficulty's retarget rules (forkchoice.WorkLog)

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "Rules":
        protocol = params.get("protocol", 2)
        return cls(params["difficulty"], tuple(params["classes"]), params["min_deposit"], params["refund_wait"],
                   protocol, params.get("k", 3), tuple(params.get("weights", ())),
                   params.get("base_hash", ""), params_from(params) if protocol == 3 else None)


@dataclass(frozen=True)
class Flower:
    """A contribution on the chain and what is left of its deposit."""

    block: int
    row: int
    sender: str
    deposit: int
    left: int
    label: str
    reporters: frozenset[str] = frozenset()
    refunded: bool = False
    settled: int = 0          # v3: the block whose REFUND judged it good (it votes from the next block on); 0 = never
    point: tuple[int, ...] = ()  # its measurements in units (for the v3 claim rule)


# -- what a rule sees ----------------------------------------------------------------------------
class Tx(Protocol):
    """A transaction (``transactions.Transaction``), as far as a rule reads it."""

    @property
    def id(self) -> str: ...
    @property
    def body(self) -> Mapping[str, Any]: ...
    @property
    def type(self) -> str: ...
    @property
    def sender(self) -> str: ...
    @property
    def recipient(self) -> str: ...
    @property
    def amount(self) -> int: ...
    def features(self) -> list[str]: ...
    def label(self) -> str: ...
    def body_dict(self) -> dict[str, Any]: ...


class Verdict(Protocol):
    """A v3 panel's judgement of a flower (``claims.Judgement``)."""

    @property
    def agree(self) -> int: ...
    @property
    def panel(self) -> Sequence[tuple[Any, int]]: ...
    @property
    def refund_allowed(self) -> bool: ...
    @property
    def report_allowed(self) -> bool: ...
    @property
    def good(self) -> bool: ...


class Ledger(Protocol):
    """The effects of one block's transactions so far (``ledger.Delta``): what rules read and change."""

    @property
    def block_index(self) -> int: ...
    @property
    def rules(self) -> Rules: ...
    @property
    def total_good(self) -> int: ...
    def balance(self, address: str) -> int: ...
    def flower(self, flower_id: str) -> Optional[Flower]: ...
    def good_of(self, address: str) -> int: ...
    def predict(self, row: int) -> str: ...
    def judgement(self, flower: Flower) -> Verdict: ...
    def credit(self, address: str, amount: int) -> None: ...
    def put_flower(self, flower_id: str, flower: Flower) -> None: ...
    def add_row(self, features: list[str], label: str) -> int: ...
    def add_good(self, address: str) -> None: ...
    # training jobs (v3, ``rules/job_*.py``)
    @property
    def position(self) -> int: ...
    @property
    def kinds(self) -> JobKinds: ...
    def job(self, job_id: str) -> Optional[Any]: ...
    def put_job(self, job: Any) -> None: ...
    def settling_at(self, height: int) -> list[str]: ...
    def chain_data(self, tx_id: str) -> dict[str, Any]: ...
    def model_scores(self, test_id: str, model_ids: list[str]) -> list[int]: ...


class Indexes(Protocol):
    """A chain state's look-up tables (``state.ChainState``) that some transaction types keep."""

    def index_transfer(self, tx_id: str, sender: str, recipient: str) -> None: ...
    def unindex_transfer(self, tx_id: str, sender: str, recipient: str) -> None: ...
    def index_flower(self, sender: str, flower_id: str) -> None: ...
    def unindex_flower(self, sender: str, flower_id: str) -> None: ...
    def record_update(self, block_index: int, timestamp_ms: int, data: Mapping[str, Any]) -> None: ...
    def drop_update(self, block_index: int) -> None: ...
    def index_job(self, job_id: str, settle: int) -> None: ...
    def unindex_job(self, job_id: str, settle: int) -> None: ...


# -- the rule ------------------------------------------------------------------------------------
def _fine(ledger: Ledger, tx: Tx) -> Optional[str]:
    return None


def _no_effect(ledger: Ledger, tx: Tx) -> None:
    return None


def _no_index(state: Indexes, block_index: int, timestamp_ms: int, tx: Tx) -> None:
    return None


def _no_undo(state: Indexes, block_index: int, tx: Tx) -> None:
    return None


def _spends_nothing(tx: Tx) -> int:
    return 0


def _no_key(tx: Tx) -> Optional[tuple[str, str]]:
    return None


def _already_pending(tx: Tx, other: Tx) -> str:
    return f"{tx.sender} already has a {other.type} pending ({other.id}) that this {tx.type} may not join"


@dataclass(frozen=True)
class Rule:
    """One transaction type of PROTOCOL.md, in one place.

    - ``body_keys``: the fields its body must have (a user type may add ``public_key``);
    - ``check_body(body)``: what the body meets on its own, after the checks every body meets
      (``transactions.check_body``); raises InvalidTransaction;
    - ``problem(ledger, tx)``: why it cannot stand next in a block, given the state so far, or None;
    - ``apply(ledger, tx)``: its effect on balances, contributions and the training set;
    - ``index(state, block_index, timestamp_ms, tx)`` / ``undo(state, block_index, tx)``: the
      look-up tables of the chain state it adds to when its block is accepted, and takes back
      when its block is rewound;
    - ``spends(tx)``: what its sender pays (the pool keeps each sender's pending total);
    - ``one_pending(tx)``: a key of which at most one transaction may be pending (a claim: its
      sender and flower), or None; ``already_pending(tx, other)`` says why ``tx`` waits for ``other``;
    - ``refused``: the error a ``problem`` is raised as when a client submits it;
    - ``never_valid(ledger, tx)``: True when no later block can hold it, whatever the model does
      (a pending claim then leaves the pool); None when ``problem`` decides instead.
    """

    type: str
    body_keys: frozenset[str]
    check_body: Callable[[Mapping[str, Any]], None]
    user: bool = False
    problem: Callable[[Ledger, Tx], Optional[str]] = _fine
    apply: Callable[[Ledger, Tx], None] = _no_effect
    index: Callable[[Indexes, int, int, Tx], None] = _no_index
    undo: Callable[[Indexes, int, Tx], None] = _no_undo
    spends: Callable[[Tx], int] = _spends_nothing
    one_pending: Callable[[Tx], Optional[tuple[str, str]]] = _no_key
    already_pending: Callable[[Tx, Tx], str] = _already_pending
    refused: builtins.type[InvalidTransaction] = InvalidTransaction
    never_valid: Optional[Callable[[Ledger, Tx], bool]] = None
    #: a restored block's transactions (plain dicts) are given to ``index_restored`` when set
    index_restored: Optional[Callable[[Indexes, Mapping[str, Any]], None]] = None

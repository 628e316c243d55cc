"""Request bodies, declared once: strict types, finite numbers, no unknown fields.

These models check every client request; they are also the source of the API's documented
shapes. Messages name the field, what it must be, and what was sent.
"""
from __future__ import annotations

import json
import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    field_validator,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)

from blockchain.transactions import MAX_ADDRESS_LENGTH, MAX_AMOUNT, RESERVED_ADDRESSES, is_address
from ml.errors import MeasurementError
from ml.measurements import MAX_UNITS, from_number, units


def _address(value: str) -> str:
    if not is_address(value):
        raise ValueError("must be printable ASCII without spaces (0x21-0x7E)")
    return value


def _measurement(value: object) -> str:
    """A number in cm or a protocol string, as the protocol string; never rounded. Any other JSON
    value (true, null, a list...) gets one message in JSON's spelling, not one per schema branch."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("must be a number of centimetres (5.1) or a string with two decimals (\"5.10\"); "
                         f"got {json.dumps(value)[:40]}")
    try:
        if isinstance(value, str):
            units(value)
            return value
        return from_number(value)
    except MeasurementError as exc:
        raise ValueError(str(exc)) from None


def _not_reserved(value: str) -> str:
    if value in RESERVED_ADDRESSES:
        raise ValueError(f"must not be a reserved address ({', '.join(RESERVED_ADDRESSES)})")
    return value


_ADDRESS_SCHEMA = {"type": "string", "minLength": 1, "maxLength": MAX_ADDRESS_LENGTH, "pattern": "^[!-~]+$"}
Address = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ADDRESS_LENGTH), AfterValidator(_address),
                    WithJsonSchema({**_ADDRESS_SCHEMA, "description": "1 to 128 characters of 0x21-0x7E"})]
Sender = Annotated[Address, AfterValidator(_not_reserved),
                   WithJsonSchema({**_ADDRESS_SCHEMA, "not": {"enum": list(RESERVED_ADDRESSES)},
                                   "description": "1 to 128 characters of 0x21-0x7E; not 0 or MODEL"})]
Measurement = Annotated[
    str,  # PlainValidator: a number in cm or a string in, the protocol string out
    PlainValidator(_measurement),
    WithJsonSchema(
        {
            "oneOf": [
                {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_UNITS // 100, "multipleOf": 0.01},
                {"type": "string", "pattern": r"^(0|[1-9][0-9]{0,2})\.[0-9]{2}$"},
            ],
            "description": "centimetres, 0.01 to 100.00, a whole number of hundredths: 5.1 or \"5.10\"",
        }
    ),
]
Hex64 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Hex128 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{128}$")]
TimestampMs = Annotated[int, Field(ge=0, lt=2**53,
                                   description="milliseconds since the Unix epoch; set by the node when absent")]
CLASS_NAME_PATTERN = r"^[a-z0-9_-]{1,32}$"
ClassName = Annotated[str, StringConstraints(pattern=CLASS_NAME_PATTERN),
                      Field(description="one of the network's classes (Iris: setosa, versicolor, virginica)")]


def _no_null_defaults(schema: dict) -> None:
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None:
            del prop["default"]


class Strict(BaseModel):
    """Optional fields are absent, never null (PROTOCOL.md "Strict JSON"): a field that may be
    left out is declared ``X = None`` and a null sent for it is refused."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, json_schema_extra=_no_null_defaults)

    @field_validator("*", mode="before")
    @classmethod
    def _absent_never_null(cls, value, info):
        if value is None and not cls.model_fields[info.field_name].is_required():
            raise ValueError("must be left out or given a value, never null; got null")
        return value


class Signing(Strict):
    """Fields a signed transaction adds (PROTOCOL.md, "Signed transactions")."""

    timestamp_ms: TimestampMs = None  # type: ignore[assignment]  # absent, never null (Strict)
    public_key: Hex64 = None  # type: ignore[assignment]  # absent, never null (Strict)
    signature: Hex128 = None  # type: ignore[assignment]  # absent, never null (Strict)


class TransferIn(Signing):
    type: Literal["TRANSFER"] = None  # type: ignore[assignment]  # absent, never null (Strict)
    sender: Sender
    recipient: Sender
    amount: Annotated[int, Field(ge=1, le=MAX_AMOUNT)]


class Measurements(Strict):
    sepal_length: Measurement
    sepal_width: Measurement
    petal_length: Measurement
    petal_width: Measurement

    def features(self) -> list[str]:
        """The four measurements as protocol strings."""
        return [self.sepal_length, self.sepal_width, self.petal_length, self.petal_width]


class FlowerIn(Measurements, Signing):
    sender: Sender
    flower_type: ClassName
    deposit: Annotated[int, Field(ge=0, le=MAX_AMOUNT, description="coins locked with the contribution "
                                                                   "(at least the network's min_deposit)")] = 0


class ClaimIn(Signing):
    """A REFUND (by the contributor) or REPORT (by another contributor) of a flower on the chain."""

    sender: Sender
    flower_id: Hex64


class PredictIn(Measurements):
    pass



def _json_spelling(value) -> str:
    """What was sent, spelled as JSON (true, null, "5.1") where it can be."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)

def describe(error: ValidationError) -> tuple[str, list[dict]]:
    """One readable sentence for the first problem, and every problem as data."""
    details = []
    for err in error.errors(include_url=False):
        field = ".".join(str(p) for p in err["loc"]) or "body"
        got = err.get("input")
        got_text = "nothing" if err["type"] == "missing" else _json_spelling(got)
        if len(got_text) > 60:
            got_text = got_text[:57] + "..."
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if msg.startswith("Input should be "):
            msg = "must be " + msg[len("Input should be "):]
        elif err["type"] == "string_pattern_mismatch":
            msg = f"must match {err.get('ctx', {}).get('pattern', 'its pattern')}"
            if msg == "must match ^[0-9a-f]{64}$":
                msg = "must be 64 lowercase hex characters (a transaction id or a sha256)"
            elif msg == f"must match {CLASS_NAME_PATTERN}":
                msg = "must be one of the network's class names (GET /model/info), in lowercase"
                if isinstance(got, str) and re.fullmatch(CLASS_NAME_PATTERN, got.strip().lower()):
                    msg += f"; did you mean {_json_spelling(got.strip().lower())}?"
        elif err["type"] == "missing":
            msg = "is required"
        elif err["type"] == "extra_forbidden":
            msg = "is not a known field; remove it"
        details.append({"field": field, "problem": msg, "got": got_text})
    first = details[0]
    if "; got " in first["problem"]:  # the check already said what it got
        sentence = f"{first['field']}: {first['problem']}"
    else:
        sentence = f"{first['field']}: {first['problem']}; got {first['got']}"
    return sentence, details


class RegisterNodesIn(Strict):
    nodes: Annotated[list[str], Field(min_length=1, max_length=64,
                                      description='peer URLs like "http://127.0.0.1:5001"')]


class ArtifactFetchIn(Strict):
    """Which artifact to fetch from the node's peers (POST /artifacts/fetch)."""

    sha256: Annotated[Hex64, Field(description="the artifact's SHA-256, 64 lowercase hex characters")]

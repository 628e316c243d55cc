"""Request bodies, declared once: strict types, finite numbers, no unknown fields.

These models check every client request; they are also the source of the API's documented
shapes. Messages name the field, what it must be, and what was sent.
"""
from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, StringConstraints,
                      ValidationError, WithJsonSchema)

from blockchain.transactions import FLOWER_TYPES, MAX_AMOUNT, MAX_ADDRESS_LENGTH, RESERVED_ADDRESSES


def _printable(value: str) -> str:
    if not value.isprintable():
        raise ValueError("must contain printable characters only")
    return value


def _not_reserved(value: str) -> str:
    if value in RESERVED_ADDRESSES:
        raise ValueError(f"must not be a reserved address ({', '.join(RESERVED_ADDRESSES)})")
    return value


Address = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ADDRESS_LENGTH), AfterValidator(_printable)]
Sender = Annotated[Address, AfterValidator(_not_reserved),
                   WithJsonSchema({"type": "string", "minLength": 1, "maxLength": MAX_ADDRESS_LENGTH,
                                   "not": {"enum": list(RESERVED_ADDRESSES)},
                                   "description": "1 to 128 printable characters; not 0 or MODEL"})]
Measurement = Annotated[float, Field(gt=0, le=100, description="centimetres, 0 < v <= 100")]
Hex64 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Hex128 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{128}$")]
Timestamp = Annotated[float, Field(ge=0, description="seconds since the Unix epoch; set by the node when absent")]


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


class Signing(Strict):
    """Fields a signed transaction adds (PROTOCOL.md, "Signed transactions")."""

    timestamp: Optional[Timestamp] = None
    public_key: Optional[Hex64] = None
    signature: Optional[Hex128] = None


class TransferIn(Signing):
    sender: Sender
    recipient: Address
    amount: Annotated[int, Field(ge=1, le=MAX_AMOUNT)]


class Measurements(Strict):
    sepal_length: Measurement
    sepal_width: Measurement
    petal_length: Measurement
    petal_width: Measurement

    def features(self) -> list[float]:
        return [self.sepal_length, self.sepal_width, self.petal_length, self.petal_width]


class FlowerIn(Measurements, Signing):
    sender: Sender
    flower_type: Literal[FLOWER_TYPES]  # type: ignore[valid-type]


class PredictIn(Measurements):
    pass


def describe(error: ValidationError) -> tuple[str, list[dict]]:
    """One readable sentence for the first problem, and every problem as data."""
    details = []
    for err in error.errors(include_url=False):
        field = ".".join(str(p) for p in err["loc"]) or "body"
        got = err.get("input")
        got_text = "nothing" if err["type"] == "missing" else repr(got)
        if len(got_text) > 60:
            got_text = got_text[:57] + "..."
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if msg.startswith("Input should be "):
            msg = "must be " + msg[len("Input should be "):]
        elif err["type"] == "missing":
            msg = "is required"
        elif err["type"] == "extra_forbidden":
            msg = "is not a known field; remove it"
        details.append({"field": field, "problem": msg, "got": got_text})
    first = details[0]
    sentence = f"{first['field']}: {first['problem']}; got {first['got']}"
    return sentence, details


class RegisterNodesIn(Strict):
    nodes: Annotated[list[str], Field(min_length=1, max_length=64,
                                      description='peer URLs like "http://127.0.0.1:5001"')]

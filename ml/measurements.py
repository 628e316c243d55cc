"""Measurements as PROTOCOL.md writes them: centimetres with exactly two decimals, as strings.

``"5.10"`` has 510 **units** (hundredths of a centimetre). The model computes in units only;
the strings are what the chain and the model_hash carry. Numbers from users (``5.1``) are
accepted where they are exactly a whole number of hundredths, and refused otherwise: consensus
never rounds.
"""
from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

from .errors import MeasurementError

PATTERN = re.compile(r"(0|[1-9][0-9]{0,2})\.[0-9]{2}")
MIN_UNITS, MAX_UNITS = 1, 10_000


def text(value_units: int) -> str:
    """The measurement string of a number of units (510 -> ``"5.10"``)."""
    return f"{value_units // 100}.{value_units % 100:02d}"


TEXTS = ("",) + tuple(text(u) for u in range(MIN_UNITS, MAX_UNITS + 1))  # TEXTS[units]: every valid string
_UNITS = {t: u for u, t in enumerate(TEXTS) if u}


def units(text: object) -> int:
    """Hundredths of a centimetre of a measurement string (``"5.10"`` -> 510)."""
    found = _UNITS.get(text) if type(text) is str else None
    if found is not None:
        return found
    if not isinstance(text, str) or PATTERN.fullmatch(text) is None:
        raise MeasurementError(f"must be a string of centimetres with two decimals like \"5.10\"; got {text!r:.40}")
    value = int(text.replace(".", ""))
    if not MIN_UNITS <= value <= MAX_UNITS:
        raise MeasurementError(f"must be 0.01 to 100.00 cm; got {text!r}")
    return value


def from_number(value: object) -> str:
    """The measurement string of a number in cm (``5.1`` -> ``"5.10"``), or MeasurementError.

    A float counts as its shortest decimal spelling (``repr``): 4.35 is 4.35, not the binary
    fraction just below it. A value that is not a whole number of hundredths is refused.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MeasurementError(f"must be a number of centimetres; got {value!r:.40}")
    if isinstance(value, float) and not math.isfinite(value):
        raise MeasurementError(f"must be a finite number; got {value!r}")
    try:
        hundredths = Decimal(repr(value)) * 100
    except InvalidOperation:
        raise MeasurementError(f"must be a number of centimetres; got {value!r:.40}") from None
    if hundredths != hundredths.to_integral_value():
        raise MeasurementError(f"must be a multiple of 0.01 cm; got {value!r}")
    count = int(hundredths)
    if not MIN_UNITS <= count <= MAX_UNITS:
        raise MeasurementError(f"must be 0.01 to 100.00 cm; got {value!r}")
    return text(count)


def parse(value: object) -> int:
    """Units of a measurement given as a protocol string or as a number in cm."""
    return units(value) if isinstance(value, str) else units(from_number(value))

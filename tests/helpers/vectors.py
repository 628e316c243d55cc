"""The protocol vectors, copied from shared/vectors so that a clone stands on its own."""
import copy
import json
from pathlib import Path

_PATH = Path(__file__).resolve().parent.parent / "vectors" / "protocol-v1.json"
_DATA = json.loads(_PATH.read_text(encoding="utf-8"))


def vectors() -> dict:
    return copy.deepcopy(_DATA)

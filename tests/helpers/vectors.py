"""The protocol vectors, copied from shared/vectors so that a clone stands on its own."""
import copy
import json
from pathlib import Path

_DIR = Path(__file__).resolve().parent.parent / "vectors"
_DATA = json.loads((_DIR / "protocol-v2.json").read_text(encoding="utf-8"))
IRIS_BASE_FILE = _DIR / "iris-base.json"


def vectors() -> dict:
    return copy.deepcopy(_DATA)

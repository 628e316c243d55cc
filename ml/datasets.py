"""The dataset file format ``iris-dataset/1``: training data for workers, named by SHA-256 (docs/artifacts.md).

A dataset file is one canonical JSON object (keys sorted, no spaces, UTF-8; ``dump`` writes it)::

    {"classes": [...], "features": [...], "format": "iris-dataset/1", "labels": [...],
     "name": "...", "rows": [[...], ...], "units": "..."}

- ``features``: 1 to 256 distinct names of ``[a-z0-9_-]{1,32}``; ``classes``: 2 to 16 such names
  (the F and C bounds of a job, PROTOCOL.md "Version 3: training jobs");
- ``rows``: at least one row, each of F integers from -10,000 to 10,000 (a job's feature values);
- ``labels``: one class index (0 to C-1) per row;
- ``name``: 1 to 128 printable ASCII characters; ``units``: what the integers measure, 0 to 200.

It is a convention for workers and people, never a consensus rule: no node needs a dataset to
validate a block. ``load`` parses untrusted bytes at a bounded cost: the bytes are capped, the JSON
values are counted before parsing, every number must be a short integer (no floats, NaN or
exponents), keys may not repeat, and the nesting is fixed by the shape. ``digits()`` is
scikit-learn's bundled handwritten digits in this format (nothing is downloaded).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Iterable, NoReturn, Sequence

from .errors import ModelError
from .hashing import canon

FORMAT = "iris-dataset/1"
MAX_FEATURES = 256
MIN_CLASSES, MAX_CLASSES = 2, 16
MAX_VALUE = 10_000                 # |feature value| (PROTOCOL.md: a job's values are -10^4..10^4)
MAX_BYTES = 16 * 1024 * 1024       # a dataset file, at most (the artifact cap, by default)
MAX_VALUES = 4_000_000             # JSON values of one file (counted before it is parsed)
MAX_NAME, MAX_UNITS_TEXT = 128, 200
NAME = re.compile(r"[a-z0-9_-]{1,32}")
KEYS = ("classes", "features", "format", "labels", "name", "rows", "units")


class DatasetError(ModelError):
    """Bytes that are not a dataset file of this format; the message says what is wrong, and where."""

    code = "invalid_dataset"


def _fail(message: str) -> NoReturn:
    raise DatasetError(message)


def _text(value: Any, where: str, least: int, most: int) -> str:
    if not isinstance(value, str) or not least <= len(value) <= most or not (value.isascii() and value.isprintable()):
        _fail(f"{where} must be {least} to {most} printable ASCII characters")
    return value


def _names(value: Any, where: str, least: int, most: int) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not least <= len(value) <= most:
        _fail(f"{where} must be a list of {least} to {most} names")
    for i, name in enumerate(value):
        if not isinstance(name, str) or not NAME.fullmatch(name):
            _fail(f"{where}[{i}] must be a name of [a-z0-9_-], 1 to 32 characters")
    if len(set(value)) != len(value):
        _fail(f"{where} must not repeat a name")
    return tuple(value)


@dataclass(frozen=True)
class Dataset:
    """Rows of integer features with a class index each; checked when made."""

    name: str
    features: tuple[str, ...]
    classes: tuple[str, ...]
    units: str
    rows: tuple[tuple[int, ...], ...]
    labels: tuple[int, ...]

    def __post_init__(self) -> None:
        _text(self.name, "name", 1, MAX_NAME)
        _text(self.units, "units", 0, MAX_UNITS_TEXT)
        width = len(_names(self.features, "features", 1, MAX_FEATURES))
        count = len(_names(self.classes, "classes", MIN_CLASSES, MAX_CLASSES))
        if not isinstance(self.rows, (list, tuple)) or not self.rows:
            _fail("rows must be a list of at least one row")
        if not isinstance(self.labels, (list, tuple)) or len(self.labels) != len(self.rows):
            _fail(f"labels must be a list of one class index per row ({len(self.rows)})")
        for i, row in enumerate(self.rows):
            if not isinstance(row, (list, tuple)) or len(row) != width:
                _fail(f"rows[{i}] must be a list of {width} integers, one per feature")
            for j, value in enumerate(row):
                if type(value) is not int or not -MAX_VALUE <= value <= MAX_VALUE:
                    _fail(f"rows[{i}][{j}] must be an integer from {-MAX_VALUE} to {MAX_VALUE}")
        for i, label in enumerate(self.labels):
            if type(label) is not int or not 0 <= label < count:
                _fail(f"labels[{i}] must be a class index from 0 to {count - 1}")
        object.__setattr__(self, "features", tuple(self.features))
        object.__setattr__(self, "classes", tuple(self.classes))
        object.__setattr__(self, "rows", tuple(tuple(r) for r in self.rows))
        object.__setattr__(self, "labels", tuple(self.labels))

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "name": self.name, "features": list(self.features), "classes": list(self.classes),
                "units": self.units, "rows": [list(r) for r in self.rows], "labels": list(self.labels)}

    @property
    def sha256(self) -> str:
        """The SHA-256 of the file ``dump`` writes: the name a job gives it (``{"artifact": sha256}``)."""
        return hashlib.sha256(dump(self)).hexdigest()

    def arrays(self) -> tuple[Any, Any]:
        """(X, y) as numpy arrays of int64, for scikit-learn."""
        import numpy as np

        return np.array(self.rows, dtype=np.int64), np.array(self.labels, dtype=np.int64)


def dump(dataset: Dataset) -> bytes:
    """The canonical file: ``canon`` of PROTOCOL.md (keys sorted, no spaces, UTF-8), no newline."""
    return canon(dataset.to_dict())


def _no_float(text: str) -> NoReturn:
    _fail(f"numbers must be integers; got {text[:20]}")


def _no_constant(text: str) -> NoReturn:
    _fail(f"{text} is not allowed; numbers must be integers")


def _short_int(text: str) -> int:
    if len(text) > 6:  # "-10000": no value of the format needs more
        _fail(f"integers must be from {-MAX_VALUE} to {MAX_VALUE}; got one of {len(text)} digits")
    return int(text)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            _fail(f"the key {key[:40]!r} is repeated")
        out[key] = value
    return out


def load(raw: bytes, max_bytes: int = MAX_BYTES, canonical: bool = True) -> Dataset:
    """The dataset in ``raw``, or DatasetError. With ``canonical`` (the default) the bytes must be
    exactly what ``dump`` writes, so that one dataset has one name."""
    if not isinstance(raw, (bytes, bytearray)):
        _fail(f"a dataset file is bytes; got {type(raw).__name__}")
    if len(raw) > max_bytes:
        _fail(f"a dataset file must be at most {max_bytes} bytes; got {len(raw)}")
    values = raw.count(b",") + raw.count(b"[") + raw.count(b"{") + 1  # an upper bound, before parsing
    if values > MAX_VALUES:
        _fail(f"a dataset file holds at most {MAX_VALUES} JSON values; this one up to {values}")
    try:
        text = bytes(raw).decode("utf-8")
    except UnicodeDecodeError as exc:
        _fail(f"a dataset file is UTF-8; byte {exc.start} is not")
    try:
        value = json.loads(text, parse_float=_no_float, parse_int=_short_int, parse_constant=_no_constant,
                           object_pairs_hook=_object)
    except DatasetError:
        raise
    except RecursionError:
        _fail("a dataset file is nested too deeply")
    except ValueError as exc:
        _fail(f"a dataset file is JSON: {exc}")
    if not isinstance(value, dict):
        _fail("a dataset file is one JSON object")
    if sorted(value) != list(KEYS):
        missing, extra = sorted(set(KEYS) - set(value)), sorted(set(value) - set(KEYS))
        _fail(f"a dataset file has exactly the keys {', '.join(KEYS)}; missing {missing or 'none'}, "
              f"unknown {[k[:40] for k in extra] or 'none'}")
    if value["format"] != FORMAT:
        _fail(f"format must be {FORMAT!r}")
    dataset = Dataset(name=value["name"], features=value["features"], classes=value["classes"],
                      units=value["units"], rows=value["rows"], labels=value["labels"])
    if canonical and dump(dataset) != bytes(raw):
        _fail("a dataset file must be in canonical form (keys sorted, no spaces; ml.datasets.dump writes it)")
    return dataset


def from_arrays(name: str, features: Sequence[str], classes: Sequence[str], units: str, rows: Iterable[Iterable[Any]],
                labels: Iterable[Any]) -> Dataset:
    """A dataset from array-likes (numpy arrays, lists) of whole numbers."""
    as_ints = []
    for i, row in enumerate(rows):
        out = []
        for j, v in enumerate(row):
            if float(v) != int(v):
                _fail(f"rows[{i}][{j}] must be a whole number")
            out.append(int(v))
        as_ints.append(tuple(out))
    return Dataset(name=name, features=tuple(features), classes=tuple(classes), units=units,
                   rows=tuple(as_ints), labels=tuple(int(y) for y in labels))


def digits() -> Dataset:
    """scikit-learn's bundled handwritten digits (1,797 rows, 64 features of 0..16, 10 classes)."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    features = [f"pixel_{i // 8}_{i % 8}" for i in range(64)]
    return from_arrays("sklearn-digits", features, [str(c) for c in bunch.target_names],
                       "ink in each cell of an 8x8 grid, 0 (none) to 16 (full): 4x4 pixels of a 32x32 bitmap",
                       bunch.data, bunch.target)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m ml.datasets digits FILE`` writes the digits; ``check FILE`` reads a file and says what it holds."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m ml.datasets", description="Dataset files (iris-dataset/1).")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("digits", help="write scikit-learn's bundled digits in this format").add_argument("file")
    sub.add_parser("check", help="check a file and print what it holds, and its SHA-256").add_argument("file")
    args = parser.parse_args(argv)
    if args.command == "digits":
        data = dump(digits())
        with open(args.file, "wb") as out:
            out.write(data)
    else:
        with open(args.file, "rb") as f:
            data = f.read(MAX_BYTES + 1)
        try:
            dataset = load(data)
        except DatasetError as exc:
            print(f"error: {args.file}: {exc}", file=sys.stderr)
            return 1
        print(f"{dataset.name}: {len(dataset.rows)} rows, {len(dataset.features)} features, "
              f"{len(dataset.classes)} classes ({dataset.units})")
    print(f"sha256 {hashlib.sha256(data).hexdigest()}  {len(data)} bytes  {args.file}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["FORMAT", "Dataset", "DatasetError", "dump", "load", "digits", "from_arrays", "MAX_FEATURES",
           "MIN_CLASSES", "MAX_CLASSES", "MAX_VALUE", "MAX_BYTES", "MAX_VALUES"]

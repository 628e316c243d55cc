"""Where the wallet (and ``python -m worker``) keep what must stay secret until its reveal: a
requester's test set and salt, a worker's model and salt.

They are kept like the wallet's keys: in a directory readable by its owner only (0700), one file per
secret (0600), written atomically (a temporary file, fsync, then a link that never replaces an
existing file) and named by the commitment the chain holds, so the reveal finds it from the job:

    <dir>/test-<test_commitment>.json    {"rows", "labels", "salt"}
    <dir>/model-<model_commitment>.json  {"model", "salt", "worker"}

(the model commitment binds the worker's address, so a model file keeps the address it was sealed for.)

The default directory is next to the key file: ``alice.key`` keeps its jobs in ``alice.key.jobs/``.
A file is never served to anyone: the node sees its contents only in the reveal transaction.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Optional

from blockchain import crypto
from blockchain.strictjson import JSONRejected, loads_strict

from .jobs import Sealed, TestSet


class JobFileError(Exception):
    """A job file is missing, unreadable or does not match its commitment; the message says which."""


def default_dir(key_path: Path) -> Path:
    return Path(f"{key_path}.jobs")


class JobFiles:
    def __init__(self, directory: Path) -> None:
        self.dir = Path(directory)

    def _ensure(self) -> None:
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.dir, 0o700)

    def _write(self, name: str, value: dict[str, Any]) -> Path:
        self._ensure()
        path = self.dir / name
        text = json.dumps(value, sort_keys=True, separators=(",", ":")) + "\n"
        try:
            crypto.write_new_private_file(path, text)
        except FileExistsError:
            raise JobFileError(f"{path} already exists; refusing to overwrite it") from None
        except OSError as exc:
            raise JobFileError(f"cannot write {path}: {exc.strerror or exc}") from None
        return path

    def _read(self, name: str, what: str) -> dict[str, Any]:
        path = self.dir / name
        try:
            value = loads_strict(path.read_bytes())
        except FileNotFoundError:
            raise JobFileError(f"no {what} in {self.dir} ({name}): was it made with this key and directory?") from None
        except (OSError, JSONRejected) as exc:
            raise JobFileError(f"cannot read {path}: {exc}") from None
        if not isinstance(value, dict):
            raise JobFileError(f"{path} must hold a JSON object")
        return value

    def save_test(self, test: TestSet) -> Path:
        return self._write(f"test-{test.commitment}.json", test.to_dict())

    def load_test(self, commitment: str) -> TestSet:
        value = self._read(f"test-{commitment}.json", "test set for this job")
        try:
            test = TestSet.make(value["rows"], value["labels"], value["salt"])
        except (KeyError, TypeError, ValueError):
            raise JobFileError(f"test-{commitment}.json must hold rows, labels and salt") from None
        if test.commitment != commitment:
            raise JobFileError(f"test-{commitment}.json does not hash to its commitment; it was changed")
        return test

    def save_model(self, sealed: Sealed) -> Path:
        return self._write(f"model-{sealed.commitment}.json",
                           {"model": sealed.model, "salt": sealed.salt, "worker": sealed.worker})

    def load_model(self, commitment: str) -> Sealed:
        value = self._read(f"model-{commitment}.json", "model for this commitment")
        if (not isinstance(value.get("model"), dict) or not isinstance(value.get("salt"), str)
                or not isinstance(value.get("worker"), str)):
            raise JobFileError(f"model-{commitment}.json must hold model, salt and worker (the address it was "
                               "sealed for)")
        sealed = Sealed(value["model"], value["salt"], value["worker"])
        if sealed.commitment != commitment:
            raise JobFileError(f"model-{commitment}.json does not hash to its commitment; it was changed")
        return sealed

    def has_model(self, commitment: Optional[str]) -> bool:
        return commitment is not None and (self.dir / f"model-{commitment}.json").exists()


__all__ = ["JobFiles", "JobFileError", "default_dir"]

"""The node's content-addressed artifact store: files kept by their SHA-256 (docs/artifacts.md).

- A file's name is the SHA-256 of its bytes (64 lowercase hex). Nothing on disk is trusted: every
  read re-hashes the bytes, and a file whose bytes do not match its name is dropped (and logged),
  never served.
- A write goes to a temporary file first, is synced (``--durability fsync``, the default) and
  renamed into place, so a file under a hash name is always whole; leftover temporary files are
  removed at start-up.
- One file holds at most ``max_bytes`` (``--artifact-max-bytes``, 16 MiB), the store at most
  ``max_total`` (``--artifact-store-bytes``, 1 GiB). A store over its cap answers 507
  ``artifact_store_full``, a full disk 507 ``storage_full``; neither leaves a partial file.
- ``fetch(sha256)`` asks the node's peers for what it lacks (``artifact_fetch.py``) and keeps only
  bytes whose hash is the name.

Consensus never needs an artifact (PROTOCOL.md "Artifacts"): nothing here touches the chain.
With ``--ephemeral`` the files are kept in memory, under the same caps.
"""
from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, Optional

from .config import DEFAULT_ARTIFACT_MAX_BYTES, DEFAULT_ARTIFACT_STORE_BYTES
from .errors import ApiError

log = logging.getLogger("artifacts")

SHA256 = re.compile(r"[0-9a-f]{64}")
CHUNK = 64 * 1024
TEMP_DIR = "tmp"         # under the store's directory: writes in progress
_FULL = (errno.ENOSPC, errno.EDQUOT)


# -- what can go wrong (each is an answer to a client, with its status) ------------------------
class ArtifactProblem(ApiError):
    """Root of the store's errors: an ApiError, so that a route lets it through as its answer."""

    status_code = 500
    code = "artifact_error"

    def __init__(self, message: str, details=None) -> None:
        super().__init__(self.status_code, self.code, message, details)


class InvalidName(ArtifactProblem):
    status_code, code = 400, "invalid_sha256"


class ArtifactTooLarge(ArtifactProblem):
    status_code, code = 413, "artifact_too_large"


class ArtifactNotFound(ArtifactProblem):
    status_code, code = 404, "artifact_not_found"


class StoreFull(ArtifactProblem):
    status_code, code = 507, "artifact_store_full"


class DiskFull(ArtifactProblem):
    status_code, code = 507, "storage_full"


class FetchFailed(ArtifactProblem):
    status_code, code = 502, "artifact_fetch_failed"


class FetchBusy(ArtifactProblem):
    status_code, code = 503, "fetch_busy"


def check_name(name: str) -> str:
    """``name`` if it is 64 lowercase hex characters, else InvalidName."""
    if not isinstance(name, str) or not SHA256.fullmatch(name):
        shown = repr(name)[:80] if isinstance(name, str) else type(name).__name__
        raise InvalidName(f"an artifact is named by its SHA-256: 64 lowercase hex characters; got {shown}")
    return name


class ArtifactStore:
    """Files by SHA-256 under ``root`` (in memory when ``root`` is None), within two caps;
    ``fetcher`` (a ``PeerFetcher``, or None: no peers) gets what it lacks from peers."""

    def __init__(self, root: Optional[Path], max_bytes: int = DEFAULT_ARTIFACT_MAX_BYTES,
                 max_total: int = DEFAULT_ARTIFACT_STORE_BYTES, durable: bool = True) -> None:
        if max_bytes < 1 or max_total < max_bytes:
            raise ValueError(f"the artifact caps must be 1 <= max_bytes <= max_total; got {max_bytes}, {max_total}")
        self.root = Path(root) if root is not None else None
        self.max_bytes, self.max_total, self.durable = max_bytes, max_total, durable
        self.fetcher: Optional[Any] = None
        self._lock = threading.Lock()
        self._sizes: dict[str, int] = {}
        self._memory: dict[str, bytes] = {}
        if self.root is not None:
            self._open_dir()

    # -- the directory ------------------------------------------------------------------
    def _open_dir(self) -> None:
        """Create the directory, remove writes a stopped node left unfinished, and index the files
        by name and size (their bytes are checked when read)."""
        assert self.root is not None
        (self.root / TEMP_DIR).mkdir(parents=True, exist_ok=True)
        for leftover in (self.root / TEMP_DIR).iterdir():
            try:
                leftover.unlink()
            except OSError as exc:
                log.warning("cannot remove the unfinished write %s: %s", leftover, exc)
        for entry in self.root.iterdir():
            if entry.name == TEMP_DIR:
                continue
            if not SHA256.fullmatch(entry.name) or not entry.is_file():
                log.warning("ignoring %s in the artifact store: not a file named by a SHA-256", entry)
                continue
            size = entry.stat().st_size
            if size > self.max_bytes:
                log.warning("not serving artifact %s: its %d bytes are over --artifact-max-bytes (%d)",
                            entry.name, size, self.max_bytes)
                continue
            self._sizes[entry.name] = size

    def _path(self, name: str) -> Path:
        assert self.root is not None
        return self.root / name

    def _sync_dir(self) -> None:
        if self.durable and self.root is not None:
            fd = os.open(self.root, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    # -- what is stored ------------------------------------------------------------------
    @property
    def total(self) -> int:
        with self._lock:
            return sum(self._sizes.values())

    def page(self, start: int, limit: int) -> dict:
        """``{"artifacts": [{"sha256", "size"}], "count", "next", "total_bytes"}``, by name."""
        with self._lock:
            names = sorted(self._sizes)
            items = [{"sha256": n, "size": self._sizes[n]} for n in names[start:start + limit]]
            total = sum(self._sizes.values())
        end = start + len(items)
        return {"artifacts": items, "count": len(names), "next": end if end < len(names) else None,
                "total_bytes": total, "max_bytes": self.max_bytes, "max_total_bytes": self.max_total}

    def _drop(self, name: str, why: str) -> None:
        log.warning("dropped artifact %s: %s", name, why)
        with self._lock:
            self._sizes.pop(name, None)
            self._memory.pop(name, None)
        if self.root is not None:
            try:
                self._path(name).unlink()
            except FileNotFoundError:
                pass

    def get(self, name: str) -> bytes:
        """The bytes named ``name``, re-hashed; ArtifactNotFound when absent (or dropped for not
        matching their name)."""
        check_name(name)
        with self._lock:
            known = name in self._sizes
            data = self._memory.get(name)
        if not known:
            raise ArtifactNotFound(f"this node holds no artifact {name}; POST /artifacts/fetch asks its peers")
        if self.root is not None:
            try:
                with open(self._path(name), "rb") as f:
                    data = f.read(self.max_bytes + 1)
            except FileNotFoundError:
                data = None
        if data is None:
            self._drop(name, "its file is gone")
            raise ArtifactNotFound(f"this node holds no artifact {name}; POST /artifacts/fetch asks its peers")
        actual = hashlib.sha256(data).hexdigest()
        if actual != name:
            self._drop(name, f"its bytes hash to {actual}, not to its name (corrupted on disk)")
            raise ArtifactNotFound(f"this node's copy of {name} was corrupted and has been dropped; "
                                   "POST /artifacts/fetch asks its peers for a good one")
        return data

    def has(self, name: str) -> bool:
        """True when the artifact is stored and its bytes match its name (they are re-hashed)."""
        try:
            self.get(name)
            return True
        except ArtifactNotFound:
            return False

    # -- writes ---------------------------------------------------------------------------
    def put(self, data: bytes) -> tuple[str, int, bool]:
        """Store ``data``: (sha256, size, True if it was new)."""
        view = memoryview(data)
        chunks = (bytes(view[i:i + CHUNK]) for i in range(0, len(view), CHUNK))
        return self.put_stream(lambda _n: next(chunks, b""), len(data))

    def _check_room(self, size: int) -> None:
        """Called with the lock held, for a file not held yet."""
        held = sum(self._sizes.values())
        if held + size > self.max_total:
            raise StoreFull(f"the artifact store holds {held} of its {self.max_total} bytes "
                            f"(--artifact-store-bytes) and has no room for {size} more; nothing was stored")

    def put_stream(self, read: Callable[[int], bytes], declared: Optional[int] = None,
                   refuse_empty: bool = False) -> tuple[str, int, bool]:
        """Store what ``read(n)`` gives until it gives b"": (sha256, size, True if new). ``declared``
        (a Content-Length) is checked against the file cap before anything is read; the store's
        cap once the name is known (a file held already is never refused)."""
        if declared is not None and declared > self.max_bytes:
            raise ArtifactTooLarge(f"an artifact must be at most {self.max_bytes} bytes; this one is {declared}"
                                   " (--artifact-max-bytes); nothing was stored")
        first = read(CHUNK)
        if not first and refuse_empty:
            raise ApiError(400, "invalid_request", "the body is empty; an artifact holds at least one byte")
        chunks = iter([first])
        def rest(n: int) -> bytes:
            return next(chunks, b"") or read(n)
        if self.root is None:
            return self._put_memory(rest)
        return self._put_file(rest)

    def _read_all(self, read: Callable[[int], bytes], sink: Callable[[bytes], object]) -> tuple[str, int]:
        digest, size = hashlib.sha256(), 0
        while True:
            chunk = read(CHUNK)
            if not chunk:
                return digest.hexdigest(), size
            size += len(chunk)
            if size > self.max_bytes:
                raise ArtifactTooLarge(f"an artifact must be at most {self.max_bytes} bytes "
                                       "(--artifact-max-bytes); nothing was stored")
            digest.update(chunk)
            sink(chunk)

    def _put_memory(self, read: Callable[[int], bytes]) -> tuple[str, int, bool]:
        buffer = bytearray()
        name, size = self._read_all(read, buffer.extend)
        with self._lock:
            if name in self._sizes:
                self._memory[name] = bytes(buffer)
                return name, size, False
            self._check_room(size)
            self._memory[name] = bytes(buffer)
            self._sizes[name] = size
        return name, size, True

    def _put_file(self, read: Callable[[int], bytes]) -> tuple[str, int, bool]:
        assert self.root is not None
        temp: Optional[str] = None
        try:
            fd, temp = tempfile.mkstemp(dir=self.root / TEMP_DIR, suffix=".part")
            with os.fdopen(fd, "wb") as out:
                name, size = self._read_all(read, out.write)
                out.flush()
                if self.durable:
                    os.fsync(out.fileno())
            with self._lock:
                new = name not in self._sizes
                if new:
                    self._check_room(size)
                # the bytes are right by construction: renaming over an existing copy also mends
                # one that was corrupted on disk
                os.replace(temp, self._path(name))
                temp = None
                self._sizes[name] = size
            self._sync_dir()
            return name, size, new
        except OSError as exc:
            if exc.errno in _FULL:
                raise DiskFull(f"the disk holding {self.root} is full; nothing was stored and reads go on: "
                               "free some space and send it again") from None
            raise
        finally:
            if temp is not None:
                try:
                    os.unlink(temp)
                except OSError:
                    pass

    # -- from peers (api/artifact_fetch.py) ---------------------------------------------------
    def fetch(self, name: str) -> dict:
        """The artifact ``name`` from this node, or else from its peers (``PeerFetcher.fetch``):
        ``{"sha256", "size", "peer", "created", "tried"}``, ``peer`` None when it was here already."""
        check_name(name)
        if self.has(name):
            with self._lock:
                size = self._sizes[name]
            return {"sha256": name, "size": size, "peer": None, "created": False, "tried": []}
        if self.fetcher is None:
            raise ArtifactNotFound(f"this node holds no artifact {name} and has no peers to ask")
        return self.fetcher.fetch(name)


__all__ = ["ArtifactStore", "ArtifactProblem", "InvalidName", "ArtifactTooLarge", "ArtifactNotFound", "StoreFull",
           "DiskFull", "FetchFailed", "FetchBusy", "check_name", "SHA256", "CHUNK"]

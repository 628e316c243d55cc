"""Where a node keeps its chain, pending pool and settings: SQLite on disk, or memory.

Every write is one SQLite transaction in WAL mode, so when a method returns, the data survives
the node being killed at any moment, and a restart sees all or nothing of it; by default it is
also synced to the device (``synchronous=FULL``) and survives a power cut.

Reads never wait for a writer: they use their own connection (WAL readers see the last commit
while a write is under way, ours or another process's), and which side blocks exist is known in
memory, so an unknown hash is answered without the disk. A write that finds the disk full raises
StorageFull, one that finds the database locked by another process for BUSY_TIMEOUT seconds
raises StorageBusy; nothing changes then, and the next write tries again.

Side branches are bounded: at most MAX_SIDE_BLOCKS blocks and MAX_SIDE_BYTES bytes of them are
kept, the oldest going first.
"""
from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence, Union

from .encoding import JSONObject, canon
from .errors import StorageBusy, StorageError, StorageFull
from .snapshots import ChainDigests

SCHEMA_VERSION = "2"  # the protocol version of the chain a data directory holds
MAX_SIDE_BLOCKS = 10_000  # blocks of side branches kept (the oldest go first)
MAX_SIDE_BYTES = 8 * 1024 * 1024  # and their bytes (canon): eight blocks of the largest size
BUSY_TIMEOUT = 5.0  # seconds a write waits for another process's lock before StorageBusy


class SideIndex:
    """Which side blocks a store holds and their sizes, oldest first, in memory; and which to
    evict to make room for new ones within MAX_SIDE_BLOCKS and MAX_SIDE_BYTES."""

    def __init__(self, rows: Iterable[tuple[str, int]] = ()) -> None:
        self._sizes: OrderedDict[str, int] = OrderedDict(rows)
        self.bytes = sum(self._sizes.values())

    def __contains__(self, block_hash: str) -> bool:
        return block_hash in self._sizes

    def __len__(self) -> int:
        return len(self._sizes)

    def plan(self, new: list[tuple[str, int]]) -> tuple[list[tuple[str, int]], list[str]]:
        """(the new blocks to insert, the hashes to delete) so that all fits; changes nothing."""
        fresh, seen = [], set()
        for block_hash, size in new:
            if block_hash not in self._sizes and block_hash not in seen and size <= MAX_SIDE_BYTES:
                fresh.append((block_hash, size))
                seen.add(block_hash)
        total, count = self.bytes + sum(s for _, s in fresh), len(self._sizes) + len(fresh)
        evict = []
        for block_hash, size in list(self._sizes.items()) + fresh:
            if total <= MAX_SIDE_BYTES and count <= MAX_SIDE_BLOCKS:
                break
            evict.append(block_hash)
            total, count = total - size, count - 1
        gone = set(evict)
        return [(h, s) for h, s in fresh if h not in gone], [h for h in evict if h in self._sizes]

    def commit(self, added: list[tuple[str, int]], evicted: list[str]) -> None:
        for block_hash in evicted:
            self.bytes -= self._sizes.pop(block_hash)
        for block_hash, size in added:
            self._sizes[block_hash] = size
            self.bytes += size


def _refuse_version(version: str, path: Path) -> StorageError:
    return StorageError(f"the data directory {path} holds a protocol version {version} chain; this node speaks "
                        f"version {SCHEMA_VERSION} and cannot read it: start with a fresh --data-dir "
                        "(or move that directory away)")


class MemoryStore:
    """Keeps everything in memory (``--ephemeral`` and tests)."""

    persistent = False  # nothing survives the process: no snapshots to write

    def __init__(self) -> None:
        self._blocks: list[JSONObject] = []
        self._side: dict[str, JSONObject] = {}
        self.side_index = SideIndex()
        self._pending: dict[str, JSONObject] = {}
        self._meta: dict[str, str] = {}

    def load_blocks(self) -> list[JSONObject]:
        return list(self._blocks)

    def load_block_texts(self, limit: Optional[int] = None) -> list[str]:
        return [canon(b).decode("utf-8") for b in self._blocks[:limit]]

    def append_block(self, block: JSONObject, remove_pending: Iterable[str] = ()) -> None:
        self.append_blocks([block], remove_pending)

    def append_blocks(self, blocks: list[JSONObject], remove_pending: Iterable[str] = ()) -> None:
        self._blocks.extend(blocks)
        self.remove_pending(remove_pending)

    def replace_blocks(self, from_index: int, blocks: list[JSONObject], remove_pending: Iterable[str] = (),
                       add_pending: Iterable[JSONObject] = (), side: Iterable[JSONObject] = ()) -> None:
        del self._blocks[from_index:]
        self._blocks.extend(blocks)
        self.remove_pending(remove_pending)
        for tx in add_pending:
            self._pending.setdefault(tx["id"], tx)
        self.add_side_blocks(side)

    def add_side_blocks(self, blocks: Iterable[JSONObject]) -> None:
        by_hash = {b["hash"]: b for b in blocks}
        added, evicted = self.side_index.plan([(h, len(canon(b))) for h, b in by_hash.items()])
        for block_hash in evicted:
            self._side.pop(block_hash, None)
        for block_hash, _ in added:
            self._side[block_hash] = by_hash[block_hash]
        self.side_index.commit(added, evicted)

    def side_block(self, block_hash: str) -> Optional[JSONObject]:
        return self._side.get(block_hash)

    def load_pending(self) -> list[JSONObject]:
        return list(self._pending.values())

    def add_pending(self, tx: JSONObject) -> None:
        self._pending[tx["id"]] = tx

    def remove_pending(self, ids: Iterable[str]) -> None:
        for tx_id in ids:
            self._pending.pop(tx_id, None)

    def get_meta(self, key: str) -> Optional[str]:
        return self._meta.get(key)

    def set_meta(self, key: str, value: str) -> None:
        self._meta[key] = value

    def vouch(self, digests: ChainDigests) -> None:
        pass  # nothing survives the process: no snapshot to vouch for

    def validated_digest(self, height: int) -> Optional[str]:
        return None

    def close(self) -> None:
        pass


class SQLiteStore:
    """The embedded default: one SQLite file in the node's data directory.

    ``durability="fsync"`` (the default) syncs every commit to the device before returning, so
    it survives a power cut; ``"os"`` hands each commit to the operating system (WAL with
    ``synchronous=NORMAL``): it survives the node being killed at any moment, but a power cut
    may lose the last commits. It saves the fsync on every write.
    """

    persistent = True

    def __init__(self, path: Path, durability: str = "fsync") -> None:
        if durability not in ("fsync", "os"):
            raise StorageError(f"durability must be 'fsync' or 'os'; got {durability!r}")
        path = Path(path)
        self.path = path
        self._digests: Optional[ChainDigests] = None  # of the blocks the node validated and wrote (``vouch``)
        self._lock = threading.RLock()  # writers (re-entrant: a side write plans and commits under it)
        self._lock_fd: Optional[int] = self._take_directory_lock(path)
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=" + ("FULL" if durability == "fsync" else "NORMAL"))
            self._db.executescript(
                """
                CREATE TABLE IF NOT EXISTS blocks (idx INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE, body TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS pending (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS side_blocks (seq INTEGER PRIMARY KEY AUTOINCREMENT, hash TEXT NOT NULL UNIQUE,
                                                        idx INTEGER NOT NULL, body TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS side_blocks_idx ON side_blocks (idx);
                """  # noqa: E501 - the schema's text is kept as written
            )
            # reads: their own connection and lock, so they never queue behind a write
            self._read_lock = threading.Lock()
            self._rdb = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT)
            version = self.get_meta("schema_version")
            if version is None:
                self.set_meta("schema_version", SCHEMA_VERSION)
            elif version != SCHEMA_VERSION:
                raise _refuse_version(version, path.parent)
            self.side_index = SideIndex(self._rdb.execute(
                "SELECT hash, length(CAST(body AS BLOB)) FROM side_blocks ORDER BY seq").fetchall())
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"cannot open the data file {path}: {exc}") from exc

    @staticmethod
    def _take_directory_lock(path: Path) -> int:
        """One node per data directory: a second one would fork the chain on disk.

        The OS drops the lock when the process dies, kill -9 included.
        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path.parent / "LOCK", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StorageError(f"cannot use the data directory {path.parent}: {exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise StorageError(f"the data directory {path.parent} is in use by another running node; "
                               "stop it or choose another --data-dir") from None
        return fd

    def _write(self, statements: Sequence[tuple[str, Any]]) -> None:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                for sql, args in statements:
                    if isinstance(args, list):
                        if args:
                            self._db.executemany(sql, args)
                    else:
                        self._db.execute(sql, args)
                self._db.execute("COMMIT")
            except BaseException as exc:
                if self._db.in_transaction:
                    try:
                        self._db.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass  # SQLite rolled back already (it does on a full disk)
                if isinstance(exc, sqlite3.OperationalError):
                    raise self._storage_error(exc) from exc
                raise

    def _storage_error(self, exc: sqlite3.OperationalError) -> Exception:
        """StorageFull or StorageBusy for what a person or time can fix; the error itself otherwise."""
        code = getattr(exc, "sqlite_errorcode", None)
        primary = code & 0xFF if isinstance(code, int) else None
        if primary == sqlite3.SQLITE_FULL or "disk is full" in str(exc):
            return StorageFull(f"the disk holding {self.path.parent} is full; nothing was written and reads go on: "
                               "free some space and send this again (the node recovers by itself)")
        if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in str(exc):
            return StorageBusy(f"another process has held the lock of {self.path} for over {BUSY_TIMEOUT:g} s; "
                               "nothing was written: try again in a moment")
        return exc

    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        with self._read_lock:
            try:
                return self._rdb.execute(sql, args).fetchall()
            except sqlite3.OperationalError as exc:
                raise self._storage_error(exc) from exc

    def load_blocks(self) -> list[JSONObject]:
        return [json.loads(text) for text in self.load_block_texts()]

    def load_block_texts(self, limit: Optional[int] = None) -> list[str]:
        """The stored blocks as the exact text written (canon), genesis first."""
        rows = self._read("SELECT body FROM blocks ORDER BY idx LIMIT ?", (-1 if limit is None else limit,))
        return [r[0] for r in rows]

    def append_block(self, block: JSONObject, remove_pending: Iterable[str] = ()) -> None:
        self.append_blocks([block], remove_pending)

    def append_blocks(self, blocks: list[JSONObject], remove_pending: Iterable[str] = ()) -> None:
        """Blocks that continue the chain, in one transaction."""
        texts = [canon(b).decode("utf-8") for b in blocks]
        self._write([
            ("INSERT INTO blocks (idx, hash, body) VALUES (?, ?, ?)",
             [(b["index"], b["hash"], t) for b, t in zip(blocks, texts, strict=True)]),
            ("DELETE FROM pending WHERE id = ?", [(i,) for i in remove_pending]),
        ])
        if self._digests is not None:
            self._digests.extend(texts)

    # -- what the node itself validated ---------------------------------------------------
    def vouch(self, digests: ChainDigests) -> None:
        """From now on keep ``digests`` (a ``snapshots.ChainDigests`` of the stored blocks, which
        the node has validated) up to date with every block this store writes."""
        self._digests = digests

    def validated_digest(self, height: int) -> Optional[str]:
        """The digest of blocks 0 to ``height`` as the node validated and wrote them (None if
        not vouched for): what a snapshot may commit to, whatever the file holds now."""
        return self._digests.at(height) if self._digests is not None else None

    def replace_blocks(self, from_index: int, blocks: list[JSONObject], remove_pending: Iterable[str] = (),
                       add_pending: Iterable[JSONObject] = (), side: Iterable[JSONObject] = ()) -> None:
        """A reorg in one transaction: the main chain from ``from_index`` on, the pool, and the
        dropped blocks kept as a side branch."""
        texts = [canon(b).decode("utf-8") for b in blocks]
        with self._lock:
            statements, added, evicted = self._side_statements(side)
            self._replace(statements, from_index, blocks, texts, remove_pending, add_pending)
            self.side_index.commit(added, evicted)
        if self._digests is not None:
            self._digests.truncate(from_index)
            self._digests.extend(texts)

    def _replace(self, statements: list[tuple[str, Any]], from_index: int, blocks: list[JSONObject], texts: list[str],
                 remove_pending: Iterable[str], add_pending: Iterable[JSONObject]) -> None:
        self._write(statements + [
            ("DELETE FROM blocks WHERE idx >= ?", (from_index,)),
            ("INSERT INTO blocks (idx, hash, body) VALUES (?, ?, ?)",
             [(b["index"], b["hash"], t) for b, t in zip(blocks, texts, strict=True)]),
            ("DELETE FROM pending WHERE id = ?", [(i,) for i in remove_pending]),
            ("INSERT OR IGNORE INTO pending (id, body) VALUES (?, ?)",
             [(t["id"], canon(t).decode("utf-8")) for t in add_pending]),
        ])

    def _side_statements(self, blocks: Iterable[JSONObject]) -> tuple[list[tuple[str, Any]], list[tuple[str, int]],
                                                                    list[str]]:
        """The statements that add ``blocks`` as side blocks within the bounds, and the index's change."""
        rows = {b["hash"]: (b["index"], canon(b).decode("utf-8")) for b in blocks}
        added, evicted = self.side_index.plan([(h, len(text.encode("utf-8"))) for h, (_, text) in rows.items()])
        return [("DELETE FROM side_blocks WHERE hash = ?", [(h,) for h in evicted]),
                ("INSERT OR IGNORE INTO side_blocks (hash, idx, body) VALUES (?, ?, ?)",
                 [(h, rows[h][0], rows[h][1]) for h, _ in added])], added, evicted

    def add_side_blocks(self, blocks: Iterable[JSONObject]) -> None:
        """Blocks of branches this node has seen but does not follow."""
        with self._lock:  # the index's plan and its commit, one writer at a time
            statements, added, evicted = self._side_statements(blocks)
            self._write(statements)
            self.side_index.commit(added, evicted)

    def side_block(self, block_hash: str) -> Optional[JSONObject]:
        if block_hash not in self.side_index:
            return None  # known in memory: no read at all
        rows = self._read("SELECT body FROM side_blocks WHERE hash = ?", (block_hash,))
        return json.loads(rows[0][0]) if rows else None

    def load_pending(self) -> list[JSONObject]:
        rows = self._read("SELECT body FROM pending ORDER BY seq")
        try:
            return [json.loads(r[0]) for r in rows]
        except ValueError as exc:
            raise StorageError(f"a pending transaction in {self.path} is not JSON ({exc}); the data file is damaged: "
                               "move the data directory away and start with a fresh --data-dir") from None

    def add_pending(self, tx: JSONObject) -> None:
        self._write([("INSERT INTO pending (id, body) VALUES (?, ?)", (tx["id"], canon(tx).decode("utf-8")))])

    def remove_pending(self, ids: Iterable[str]) -> None:
        self._write([("DELETE FROM pending WHERE id = ?", [(i,) for i in ids])])

    def get_meta(self, key: str) -> Optional[str]:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        self._write([("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))])

    def close(self) -> None:
        with self._lock, self._read_lock:
            self._db.close()
            self._rdb.close()
            if self._lock_fd is not None:
                os.close(self._lock_fd)  # closing the descriptor releases the flock
                self._lock_fd = None


ChainStore = Union[MemoryStore, SQLiteStore]  # what a Blockchain keeps its chain in

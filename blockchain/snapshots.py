"""Snapshots in the node's store, for a restart that does not re-verify block by block.

A snapshot holds, for one height: a digest of the exact bytes of every stored block up to it,
the model's own plain data (``LedgerModel.snapshot()``, never pickle), and the ledger's tables
(balances, deposits, good counts) with the undo records of the last ``UNDO_BLOCKS`` blocks.

The digest a snapshot carries is never computed from the file: the store keeps in memory a
running digest (``ChainDigests``) of the bytes the node itself validated (at start-up, once they
passed) and wrote since, and a snapshot takes its digest from there. So bytes edited in the file
while the node runs are never vouched for: the next start sees they differ and checks in full.

At a restart the stored bytes are hashed again. Only if they are the very bytes this node had
validated when it wrote the snapshot are their blocks taken without re-judging them (and parsed
only when read); the model is restored instead of replayed, and its history must still equal
every MODEL_UPDATE of those blocks. Any difference, in any byte of any block, means a full
check and replay. Blocks stored after the snapshot are always checked in full. A snapshot only
ever saves time; ``GET /chain/validate`` always checks everything.
"""
from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any, Iterable, Optional, Protocol

from .gcpause import paused_gc
from .model_port import LedgerModel

if TYPE_CHECKING:
    from .state import ChainState

log = logging.getLogger("blockchain")

SNAPSHOT_KEY = "snapshot_v2"
SNAPSHOT_EVERY = 1000  # blocks; also written when the node closes
UNDO_BLOCKS = 1000     # undo records kept in a snapshot: reorgs this deep after a restart stay cheap


class SnapshotStore(Protocol):
    """What snapshots need of a store (``storage.MemoryStore``, ``storage.SQLiteStore``)."""

    @property
    def persistent(self) -> bool: ...

    def get_meta(self, key: str) -> Optional[str]: ...

    def set_meta(self, key: str, value: str) -> None: ...

    def validated_digest(self, height: int) -> Optional[str]: ...


class ChainDigests:
    """The digest of the stored block texts up to every height: a hash chain,
    ``d[h] = SHA-256(d[h-1] + len + ":" + text[h])`` with ``d[-1]`` 32 zero bytes (32 bytes a block
    in memory), so a reorg truncates it and a snapshot at any height reads it without a pass."""

    SIZE = 32

    def __init__(self, texts: Iterable[str] = ()) -> None:
        self._d = bytearray()
        self.extend(texts)

    def __len__(self) -> int:
        return len(self._d) // self.SIZE

    def extend(self, texts: Iterable[str]) -> None:
        last = bytes(self._d[-self.SIZE:]) if self._d else bytes(self.SIZE)
        for text in texts:
            data = text.encode("utf-8")
            last = hashlib.sha256(last + b"%d:" % len(data) + data).digest()
            self._d += last

    def truncate(self, count: int) -> None:
        """Keep the digests of the first ``count`` blocks."""
        del self._d[count * self.SIZE:]

    def at(self, height: int) -> Optional[str]:
        """The hex digest of the blocks 0 to ``height``, or None past the end."""
        if not 0 <= height < len(self):
            return None
        return bytes(self._d[height * self.SIZE:(height + 1) * self.SIZE]).hex()


def read_snapshot(store: SnapshotStore, model: LedgerModel,
                  digests: ChainDigests) -> Optional[tuple[int, LedgerModel, dict[str, Any]]]:
    """(height, restored model, ledger data) when the snapshot matches the stored bytes (whose
    ``digests`` the caller computed as it read them), else None."""
    if not hasattr(model, "restore"):
        return None
    raw = store.get_meta(SNAPSHOT_KEY)
    if not raw:
        return None
    try:
        saved = json.loads(raw)
        height = saved["height"]
        if not (isinstance(height, int) and 0 < height < len(digests)):
            return None
        if digests.at(height) != saved["digest"]:
            log.warning("the stored blocks differ from what the snapshot commits to; replaying in full")
            return None
        return height, model.restore(saved["model"]), saved["ledger"]
    except Exception as exc:  # any doubt about the snapshot: replay instead
        log.warning("ignoring the snapshot: %s", exc)
        return None


def snapshot_due(before: int, height: int, last_snapshot: int) -> bool:
    """The snapshot policy: a change that took the chain from ``before`` to ``height`` crossed a
    multiple of SNAPSHOT_EVERY, and the chain grew by an eighth (at least SNAPSHOT_EVERY blocks)
    since the snapshot at ``last_snapshot``."""
    crossed = before // SNAPSHOT_EVERY != height // SNAPSHOT_EVERY
    return crossed and height - last_snapshot >= max(SNAPSHOT_EVERY, height // 8)


def snapshot_data(model: LedgerModel, state: "ChainState", digest: str) -> dict[str, Any]:
    """What a snapshot holds: ``model`` and the ledger ``state`` after its tip, with the undo
    records of the last UNDO_BLOCKS blocks, under ``digest`` (``save_snapshot``)."""
    return {"height": state.height, "digest": digest, "model": model.snapshot(),
            "ledger": state.ledger_data(UNDO_BLOCKS)}


def save_snapshot(store: SnapshotStore, model: LedgerModel, state: "ChainState") -> None:
    """Write ``model`` and the ledger ``state`` (both after its tip) with the digest of the blocks
    the node validated and wrote (``store.validated_digest``), never of the file's bytes."""
    height = state.height
    if not hasattr(model, "snapshot") or height == 0 or not store.persistent:
        return
    digest = store.validated_digest(height)
    if digest is None:
        log.warning("no digest of validated blocks up to %d; no snapshot written", height)
        return
    with paused_gc():  # many small rows, all alive until written: no collection walks them
        text = json.dumps(snapshot_data(model, state, digest), separators=(",", ":"))
    try:
        store.set_meta(SNAPSHOT_KEY, text)
    except Exception as exc:  # a full disk, a busy database: a snapshot only ever saves time
        log.warning("could not save the snapshot at block %d: %s", height, exc)

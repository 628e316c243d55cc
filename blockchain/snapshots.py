"""Snapshots in the node's store, for a restart that does not re-verify block by block.

A snapshot is the model's own plain data (``LedgerModel.snapshot()``, never pickle) plus a
digest of the exact bytes of every stored block up to its height. At a restart the stored bytes
are hashed again: if they are the bytes this node validated when it wrote the snapshot, their
blocks are rebuilt without re-judging them and the model is restored instead of replayed; every
MODEL_UPDATE of those blocks must still equal the restored model's history. Any difference, in
any committed field of any block, means a full replay. A snapshot only ever saves time.
"""
from __future__ import annotations

import hashlib
import json
import logging
from typing import Optional, Sequence

log = logging.getLogger("blockchain")

SNAPSHOT_KEY = "snapshot_v2"
SNAPSHOT_EVERY = 1000  # blocks; also written when the node closes


def chain_digest(texts: Sequence[str]) -> str:
    """SHA-256 over every stored block text, each preceded by its length."""
    h = hashlib.sha256()
    for text in texts:
        data = text.encode("utf-8")
        h.update(b"%d:" % len(data))
        h.update(data)
    return h.hexdigest()


def read_snapshot(store, model, texts: Sequence[str]) -> Optional[tuple[int, object]]:
    """(height, restored model) when the snapshot matches the stored bytes, else None."""
    if not hasattr(model, "restore"):
        return None
    raw = store.get_meta(SNAPSHOT_KEY)
    if not raw:
        return None
    try:
        saved = json.loads(raw)
        height = saved["height"]
        if not (isinstance(height, int) and 0 < height < len(texts)):
            return None
        if chain_digest(texts[:height + 1]) != saved["digest"]:
            log.warning("the stored blocks differ from what the snapshot commits to; replaying in full")
            return None
        return height, model.restore(saved["model"])
    except Exception as exc:  # any doubt about the snapshot: replay instead
        log.warning("ignoring the snapshot: %s", exc)
        return None


def save_snapshot(store, model, height: int) -> None:
    """Write ``model`` (the model after block ``height``) with the digest of the stored blocks."""
    if not hasattr(model, "snapshot") or height == 0:
        return
    texts = store.load_block_texts(height + 1)
    if len(texts) != height + 1:
        return
    data = {"height": height, "digest": chain_digest(texts), "model": model.snapshot()}
    store.set_meta(SNAPSHOT_KEY, json.dumps(data, separators=(",", ":")))

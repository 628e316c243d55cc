"""Snapshots in the node's store, for a restart that does not re-verify block by block.

A snapshot holds, for one height: a digest of the exact bytes of every stored block up to it,
the model's own plain data (``LedgerModel.snapshot()``, never pickle), and the ledger's tables
(balances, deposits, good counts) with the undo records of the last ``UNDO_BLOCKS`` blocks.

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
from typing import Iterable, Optional, Sequence

log = logging.getLogger("blockchain")

SNAPSHOT_KEY = "snapshot_v2"
SNAPSHOT_EVERY = 1000  # blocks; also written when the node closes
UNDO_BLOCKS = 1000     # undo records kept in a snapshot: reorgs this deep after a restart stay cheap


def chain_digest(texts: Iterable[str]) -> tuple[str, int]:
    """SHA-256 over every stored block text, each preceded by its length; and how many there were."""
    h = hashlib.sha256()
    count = 0
    for text in texts:
        count += 1
        data = text.encode("utf-8")
        h.update(b"%d:" % len(data))
        h.update(data)
    return h.hexdigest(), count


def read_snapshot(store, model, texts: Sequence[str]) -> Optional[tuple[int, object, dict]]:
    """(height, restored model, ledger data) when the snapshot matches the stored bytes, else None."""
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
        if chain_digest(texts[:height + 1])[0] != saved["digest"]:
            log.warning("the stored blocks differ from what the snapshot commits to; replaying in full")
            return None
        return height, model.restore(saved["model"]), saved["ledger"]
    except Exception as exc:  # any doubt about the snapshot: replay instead
        log.warning("ignoring the snapshot: %s", exc)
        return None


def save_snapshot(store, model, state) -> None:
    """Write ``model`` and the ledger ``state`` (both after its tip) with the digest of the stored blocks."""
    height = state.height
    if not hasattr(model, "snapshot") or height == 0 or not getattr(store, "persistent", True):
        return
    digest, count = chain_digest(store.iter_block_texts(height + 1))
    if count != height + 1:
        return
    data = {"height": height, "digest": digest, "model": model.snapshot(),
            "ledger": state.ledger_data(UNDO_BLOCKS)}
    store.set_meta(SNAPSHOT_KEY, json.dumps(data, separators=(",", ":")))

"""Model snapshots in the node's store, for a restart that does not refit block by block.

A snapshot is the model's own plain data (``LedgerModel.snapshot()``, never pickle) with the
block it belongs to. It only saves time: ``audit_chain(checkpoint=...)`` still checks every
block and compares the snapshot's history with the chain's own data, and any doubt means a
full replay.
"""
from __future__ import annotations

import json
import logging
from typing import Optional

log = logging.getLogger("blockchain")

SNAPSHOT_KEY = "model_snapshot"
SNAPSHOT_EVERY = 1000  # blocks; also written when the node closes


def read_snapshot(store, model, raw_blocks: list) -> Optional[tuple]:
    """(height, restored model) from a snapshot of this chain, or None to replay in full."""
    if not hasattr(model, "restore"):
        return None
    text = store.get_meta(SNAPSHOT_KEY)
    if not text:
        return None
    try:
        saved = json.loads(text)
        height = saved["height"]
        if not (isinstance(height, int) and 0 < height < len(raw_blocks)
                and raw_blocks[height].get("hash") == saved["tip_hash"]):
            return None  # a snapshot of a branch we are no longer on, or of nothing to skip
        return height, model.restore(saved["model"])
    except Exception as exc:  # any doubt about the snapshot: replay instead
        log.warning("ignoring the model snapshot: %s", exc)
        return None


def save_snapshot(store, model, tip) -> None:
    """Write ``model`` (the model after block ``tip``) with the tip it belongs to."""
    if not hasattr(model, "snapshot") or tip.index == 0:
        return
    data = {"height": tip.index, "tip_hash": tip.hash, "model": model.snapshot()}
    store.set_meta(SNAPSHOT_KEY, json.dumps(data, separators=(",", ":")))

"""The deterministic genesis block: every node of a network derives the same one."""
from __future__ import annotations

from typing import Mapping

from .block import Block, header_prefix
from .encoding import ZERO_HASH, merkle_root
from .pow import search_nonce
from .transactions import model_update

_CACHE: dict[tuple, Block] = {}


def make_genesis(difficulty: int, base_summary: Mapping) -> Block:
    """Block 0 for a network of ``difficulty`` whose base model has ``base_summary``.

    ``base_summary`` is the base model's ``{"data_points_trained", "model_hash", "accuracy"}``.
    The nonce is the smallest that meets the difficulty, so the block is the same everywhere.
    """
    key = (difficulty, base_summary["data_points_trained"], base_summary["model_hash"], base_summary["accuracy"])
    if key not in _CACHE:
        txs = (model_update(0, base_summary),)
        root = merkle_root([tx.id for tx in txs])
        nonce = search_nonce(header_prefix(0, 0.0, ZERO_HASH, difficulty, root), difficulty)
        _CACHE[key] = Block.assemble(0, 0.0, ZERO_HASH, difficulty, txs, nonce)
    return _CACHE[key]

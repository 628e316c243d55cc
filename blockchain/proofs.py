"""Proofs that a transaction is in a block: the Merkle path plus the block header.

With a proof, anyone can recompute the block's Merkle root from the transaction id alone, and the
block hash from the header, without trusting the node that served it.
"""
from __future__ import annotations

from typing import Any, Mapping

from .block import Block, block_hash, header_prefix
from .encoding import merkle_proof, verify_merkle_proof


def inclusion_proof(block: Block, tx_id: str) -> dict[str, Any]:
    ids = block.tx_ids()
    position = ids.index(tx_id)
    return {
        "tx_id": tx_id,
        "block_index": block.index,
        "block_hash": block.hash,
        "merkle_root": block.merkle_root,
        "position": position,
        "path": merkle_proof(ids, position),
        "header": {key: value for key, value in block.header().items() if key != "hash"},
    }


def verify_inclusion(proof: Mapping[str, Any]) -> bool:
    """True when the path leads from ``tx_id`` to ``merkle_root`` and, if a header is given,
    the header with that root hashes to ``block_hash``."""
    try:
        if not verify_merkle_proof(proof["tx_id"], proof["path"], proof["merkle_root"]):
            return False
        header = proof.get("header")
        if header is None:
            return True
        if header["merkle_root"] != proof["merkle_root"]:
            return False
        prefix = header_prefix(header["index"], header["timestamp_ms"], header["previous_hash"],
                               header["difficulty"], header["merkle_root"])
        return bool(block_hash(prefix, header["nonce"]) == proof["block_hash"])
    except (KeyError, TypeError, ValueError):
        return False

"""The deterministic genesis block of PROTOCOL.md: every node of a network derives the same one.

A network is fixed by its params: ``{"protocol": 2, "difficulty", "base_hash", "classes", "k",
"weights", "min_deposit", "refund_wait"}``; protocol 3 adds ``target_block_ms``,
``retarget_every`` and ``min_difficulty`` and counts ``difficulty`` in hashes a block (PROTOCOL.md
"Version 3: difficulty"). Block 0 holds the GENESIS transaction with them and the base model's
MODEL_UPDATE, and its nonce is the smallest that meets the difficulty.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from .block import Block, block_hash, header_prefix
from .encoding import ZERO_HASH, canon, is_int, merkle_root
from .difficulty import MAX_DIFFICULTY as MAX_DIFFICULTY_V3
from .difficulty import DifficultyParams, hash_limit, params_from
from .pow import search_below
from .transactions import GENESIS, genesis_transaction, model_update

PROTOCOL_VERSION = 2            # what a node runs unless told otherwise
PROTOCOLS = (2, 3)              # 3 is a draft: version 2 plus the claim rule of PROTOCOL.md "Version 3"
MAX_DIFFICULTY = 32  # what a v2 network may declare, in hex digits (a header's field allows up to 64)
PARAM_KEYS = ("protocol", "difficulty", "base_hash", "classes", "k", "weights", "min_deposit", "refund_wait")
V3_DIFFICULTY_KEYS = ("target_block_ms", "retarget_every", "min_difficulty")
V3_PARAM_KEYS = PARAM_KEYS + V3_DIFFICULTY_KEYS
# The Iris network's v3 difficulty unless a node is told otherwise (PROTOCOL.md "Version 3: difficulty").
V3_DIFFICULTY = 2**16  # hashes a block on average (16 leading zero bits)
V3_TARGET_BLOCK_MS = 10_000
V3_RETARGET_EVERY = 20
V3_MIN_DIFFICULTY = 2**8

_CACHE: dict[bytes, Block] = {}

# Smallest genesis nonces of the Iris networks with the default min_deposit 0 and refund_wait 10,
# found once by the same sequential search as below (keyed by the merkle root): they spare every
# node minutes of hashing at start at high difficulty. An entry is used only if its hash meets the
# difficulty; the unit tests re-derive the ones that take seconds.
KNOWN_NONCES: dict[tuple[str, int], int] = {
    ("d05835ee8a2e3b15af0849742258495699322bfe46b57d81f27d13d68c7af084", 1): 7,
    ("a28b25f45dec8104ffb089106dfa8d2a44ff266099dd9afb86e8e3484e7c844a", 2): 168,
    ("73d49d8aa6c837ff323060cf20ae177491d2ce6c6270d3cf092079adf97bb5bd", 3): 5097,
    ("002ec61a3f7f422df19d4962a054c2e6c99a57fe3171a6bd6181ec388faac385", 4): 139280,
    ("fd48c0702ea09692b37d88a1f3a9f4b05d3c82fe0b11e71a682a7f69a6ab7cbd", 5): 425950,
    ("9aa606eb400043d4a1a69fdce60726e0cef55e412ee7eacdf7d12684259952a7", 6): 2771312,
    ("6abbf135604989a6266c8a166a236264df77688e60d2b1628ac5eebaf280d88b", 7): 306270728,
}


def param_keys(protocol: Any) -> tuple[str, ...]:
    """The keys of a network's params under ``protocol``."""
    return V3_PARAM_KEYS if protocol == 3 else PARAM_KEYS


def network_params(difficulty: int, model_params: Mapping[str, Any], min_deposit: int = 0,
                   refund_wait: int = 10, protocol: int = PROTOCOL_VERSION, *,
                   target_block_ms: Optional[int] = None, retarget_every: Optional[int] = None,
                   min_difficulty: Optional[int] = None) -> dict[str, Any]:
    """The params of a network: its protocol, difficulty, what the model commits to, and its deposit rules.

    Protocol 3 adds the difficulty's retarget (``target_block_ms``, ``retarget_every``,
    ``min_difficulty``; by default 10000, 20 and the smaller of 256 and ``difficulty``) and counts
    ``difficulty`` in hashes a block (PROTOCOL.md "Version 3: difficulty"); protocol 2 takes none
    of them.
    """
    if not is_int(protocol) or protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {', '.join(map(str, PROTOCOLS))}; got {protocol!r}")
    top = MAX_DIFFICULTY_V3 if protocol == 3 else MAX_DIFFICULTY
    unit = "hashes a block" if protocol == 3 else "hex digits"
    if not is_int(difficulty) or not 1 <= difficulty <= top:
        raise ValueError(f"difficulty must be an integer from 1 to {top} ({unit}); got {difficulty!r}")
    retarget = {"target_block_ms": target_block_ms, "retarget_every": retarget_every,
                "min_difficulty": min_difficulty}
    if protocol != 3 and any(value is not None for value in retarget.values()):
        raise ValueError("target_block_ms, retarget_every and min_difficulty are protocol 3's; "
                         f"protocol {protocol} has a fixed difficulty")
    if not is_int(min_deposit) or min_deposit < 0:
        raise ValueError(f"min_deposit must be an integer >= 0; got {min_deposit!r}")
    if not is_int(refund_wait) or refund_wait < 1:
        raise ValueError(f"refund_wait must be an integer >= 1; got {refund_wait!r}")
    params = {"protocol": protocol, "difficulty": difficulty, **dict(model_params),
              "min_deposit": min_deposit, "refund_wait": refund_wait}
    if protocol == 3:
        params["target_block_ms"] = V3_TARGET_BLOCK_MS if target_block_ms is None else target_block_ms
        params["retarget_every"] = V3_RETARGET_EVERY if retarget_every is None else retarget_every
        params["min_difficulty"] = min(V3_MIN_DIFFICULTY, difficulty) if min_difficulty is None else min_difficulty
        params_from(params)  # ValueError unless PROTOCOL.md's ranges hold
    return {key: params[key] for key in param_keys(protocol)}


def difficulty_params(params: Mapping[str, Any]) -> Optional[DifficultyParams]:
    """A v3 network's retarget rules (None under protocol 2, whose difficulty is fixed)."""
    return params_from(params) if params.get("protocol") == 3 else None


def pow_limit(protocol: Any, difficulty: int) -> int:
    """The bound a block's hash (a 256-bit integer) must be below: v3 ``(2^256 - 1) // W + 1``, v2
    ``2^(256 - 4 * difficulty)`` (hex zeros)."""
    return hash_limit(difficulty) if protocol == 3 else 1 << (256 - 4 * difficulty)


def make_genesis(params: Mapping[str, Any], base_summary: Mapping[str, Any]) -> Block:
    """Block 0 of the network ``params`` whose base model has ``base_summary`` (MODEL_UPDATE data)."""
    block = make_genesis_upto(params, base_summary, None)
    assert block is not None  # without a last nonce the search always ends with one
    return block


def make_genesis_upto(params: Mapping[str, Any], base_summary: Mapping[str, Any],
                      last_nonce: Optional[int]) -> Optional[Block]:
    """``make_genesis``, but None when no nonce up to ``last_nonce`` meets the difficulty: a verifier
    passes the nonce of the block 0 it was given, so a declared difficulty it cannot afford is
    refused instead of searched."""
    key = canon({"params": dict(params), "summary": dict(base_summary)})
    block = _CACHE.get(key)
    if block is None:
        difficulty = params["difficulty"]
        bound = pow_limit(params.get("protocol"), difficulty)
        txs = (genesis_transaction(params), model_update(0, base_summary))
        root = merkle_root([tx.id for tx in txs])
        prefix = header_prefix(0, 0, ZERO_HASH, difficulty, root)
        nonce = KNOWN_NONCES.get((root, difficulty))
        if nonce is None or int(block_hash(prefix, nonce), 16) >= bound:
            tries = None if last_nonce is None else max(last_nonce + 1, 0)
            nonce = search_below(prefix, bound, limit=tries) if tries != 0 else None
            if nonce is None or (last_nonce is not None and nonce > last_nonce):
                if last_nonce is None:  # without a stop or a limit the search always ends with a nonce
                    raise RuntimeError(f"no nonce meets difficulty {difficulty} for the genesis block")
                return None
        block = _CACHE[key] = Block.assemble(0, 0, ZERO_HASH, difficulty, txs, nonce)
    if last_nonce is not None and block.nonce > last_nonce:
        return None
    return block


def genesis_params(block: Block) -> dict[str, Any]:
    """The params a genesis block declares (for a verifier that learns the network from its chain)."""
    txs = block.transactions
    if block.index != 0 or not txs or txs[0].type != GENESIS:
        raise ValueError("block 0 must start with the GENESIS transaction")
    params: dict[str, Any] = txs[0].body_dict()["params"]
    return params

"""How a node's ledger comes up from its store: from a verified snapshot when the stored bytes are
exactly what the node validated, else by a full check and replay; then the pending pool.

Functions that take what they need (the store, the network's genesis and params, the base model)
and return what they built; ``Blockchain`` calls them before it owns a state.
"""
from __future__ import annotations

import json
import logging
import time
from typing import Any, Callable, Mapping, Optional

from .audit import AuditResult, audit_chain, extend_audit, genesis_state
from .block import Block
from .blocklist import BlockList, scan_text
from .errors import BlockchainError, StorageError
from .ledger import Delta
from .model_port import LedgerModel
from .snapshots import ChainDigests, read_snapshot
from .state import ChainState
from .storage import ChainStore
from .transactions import Transaction

log = logging.getLogger("blockchain")


def _where(store: ChainStore) -> str:
    return str(getattr(store, "path", "the store"))


def load_chain(store: ChainStore, genesis: Block, params: Mapping[str, Any],
               model: LedgerModel) -> tuple[ChainState, LedgerModel]:
    """The state of the chain in ``store`` (after writing ``genesis`` to an empty one), and the
    model after its tip: ``model`` replayed, or a model restored from a verified snapshot.
    StorageError when the store holds another network's chain or an invalid one."""
    texts = store.load_block_texts()
    if not texts:
        store.vouch(ChainDigests())
        store.append_block(genesis.to_dict())
        return genesis_state(genesis, params, model), model
    where = _where(store)
    try:
        first = json.loads(texts[0])
    except ValueError:
        raise StorageError(f"block 0 in {where} is not JSON; the data file is damaged: move the data directory "
                           "away and start with a fresh --data-dir") from None
    if first != genesis.to_dict():
        found = first.get("hash") if isinstance(first, dict) else None
        raise StorageError(
            f"the data directory holds another network's chain (genesis {str(found)[:16]}..., this node's is "
            f"{genesis.hash[:16]}... for protocol {params['protocol']}, difficulty {params['difficulty']}, "
            f"min_deposit {params['min_deposit']}, refund_wait {params['refund_wait']}); start with the "
            "same --protocol, --difficulty, --min-deposit, --refund-wait and base data, or use another --data-dir")
    started = time.perf_counter()
    digests = ChainDigests(texts)  # of the bytes read, vouched for only once they pass below
    checkpoint = read_snapshot(store, model, digests)
    if checkpoint is not None:
        log.info("the stored blocks match the snapshot at block %d", checkpoint[0])
        height, restored, ledger = checkpoint
        state = _restore(store, genesis, params, model, texts, height, restored, ledger)
        if state is not None:
            store.vouch(digests)
            log.info("loaded %d blocks, model from the verified snapshot at block %d, in %.2f s",
                     len(texts), height, time.perf_counter() - started)
            return state, restored
    try:
        blocks = [json.loads(t) for t in texts]
    except ValueError as exc:
        raise StorageError(f"a stored block in {where} is not JSON ({exc}); the data file is damaged: move "
                           "the data directory away and start with a fresh --data-dir") from None
    result = audit_chain(blocks, model, params, now_ms=None, stop_at_first=True)
    if not result.valid or result.state is None:
        raise StorageError(f"the stored chain is not valid, refusing to start: {result.issues[0]}")
    store.vouch(digests)
    log.info("loaded %d blocks and replayed the model in %.2f s", len(texts), time.perf_counter() - started)
    return result.state, model


def _restore(store: ChainStore, genesis: Block, params: Mapping[str, Any], model: LedgerModel, texts: list[str],
             height: int, restored: Any, ledger: dict[str, Any]) -> Optional[ChainState]:
    """The state from blocks whose bytes the snapshot vouches for (up to ``height``) and a full
    check of the rest, on top of the ``restored`` model (which takes those later blocks); None
    (replay instead) if the blocks and the snapshot disagree."""
    state = genesis_state(genesis, params, model)
    try:
        for text in texts[1:height + 1]:
            state.add_restored(text, *scan_text(text))
        state.load_ledger_data(ledger)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        log.warning("the snapshot cannot be used (%s); replaying in full", exc)
        return None
    history = [(data["data_points_trained"], data["model_hash"]) for _, _, data in state.updates[1:]]
    if history != restored.update_history() or state.rows != restored.data_count:
        pairs = enumerate(zip(history, restored.update_history(), strict=False))
        where = next((state.updates[1 + i][0] for i, (a, b) in pairs if a != b), "the tip")
        log.warning("the snapshot's model disagrees with block %s; replaying in full", where)
        return None
    result = AuditResult(state=state, model=restored, length=len(texts))
    try:
        later: list[Optional[dict[str, Any]]] = [None] * (height + 1) + [json.loads(t) for t in texts[height + 1:]]
    except ValueError as exc:
        raise StorageError(f"a stored block in {_where(store)} is not JSON ({exc}); the data file is damaged: move "
                           "the data directory away and start with a fresh --data-dir") from None
    extend_audit(result, later, height + 1, restored, None, True)
    if not result.valid:
        raise StorageError(f"the stored chain is not valid, refusing to start: {result.issues[0]}")
    return state


def state_at(genesis: Block, params: Mapping[str, Any], base_model: LedgerModel, blocks: BlockList,
             height: int) -> ChainState:
    """The state at ``height`` of ``blocks`` (a chain this node accepted before), rebuilt from
    genesis by applying them without re-judging them (for a reorg deeper than the undo records
    a snapshot restart brought back). ``base_model`` is the network's model in its base state."""
    state = genesis_state(genesis, params, base_model)
    for index in range(1, height + 1):
        block = blocks[index]
        delta = Delta(state, index, None)
        for tx in block.transactions:
            delta.apply(tx, check=False)
        state.apply(block, delta)
    return state


def load_pending(store: ChainStore, admit: Callable[[Transaction], None]) -> None:
    """Admit the stored pending transactions again (``admit`` raises a BlockchainError for one
    that is no longer valid); those that are not are dropped from the store."""
    dropped = []
    for data in store.load_pending():
        try:
            admit(Transaction.from_dict(data))
        except BlockchainError as exc:
            dropped.append(data.get("id"))
            log.warning("dropping stored pending transaction %s: %s", data.get("id"), exc)
    if dropped:
        store.remove_pending([d for d in dropped if isinstance(d, str)])

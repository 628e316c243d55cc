"""How a node's ledger comes up from its store: from a verified snapshot when the stored bytes are
exactly what the node validated, else by a full check and replay; then the pending pool.

A mixin of ``Blockchain`` (``blockchain/chain.py``), which it shares its attributes with.
"""
from __future__ import annotations

import json
import logging
import time
from typing import Optional

from .audit import AuditResult, audit_chain, extend_audit, genesis_state
from .blocklist import scan_text
from .errors import BlockchainError, StorageError
from .ledger import Delta
from .state import ChainState
from .snapshots import ChainDigests, read_snapshot
from .transactions import Transaction

log = logging.getLogger("blockchain")


class ChainStartup:
    # -- start-up ---------------------------------------------------------------------
    def _load_chain(self) -> ChainState:
        texts = self.store.load_block_texts()
        if not texts:
            self.store.vouch(ChainDigests())
            self.store.append_block(self.genesis.to_dict())
            return genesis_state(self.genesis, self.params, self.model)
        where = getattr(self.store, "path", "the store")
        try:
            first = json.loads(texts[0])
        except ValueError:
            raise StorageError(f"block 0 in {where} is not JSON; the data file is damaged: move the data directory "
                               "away and start with a fresh --data-dir") from None
        if first != self.genesis.to_dict():
            found = first.get("hash") if isinstance(first, dict) else None
            raise StorageError(
                f"the data directory holds another network's chain (genesis {str(found)[:16]}..., this node's is "
                f"{self.genesis.hash[:16]}... for protocol {self.params['protocol']}, difficulty {self.difficulty}, "
                f"min_deposit {self.params['min_deposit']}, refund_wait {self.params['refund_wait']}); start with the "
                "same --protocol, --difficulty, --min-deposit, --refund-wait and base data, or use another --data-dir")
        started = time.perf_counter()
        digests = ChainDigests(texts)  # of the bytes read, vouched for only once they pass below
        checkpoint = read_snapshot(self.store, self.model, digests)
        if checkpoint is not None:
            log.info("the stored blocks match the snapshot at block %d", checkpoint[0])
            state = self._restore(texts, *checkpoint)
            if state is not None:
                self.store.vouch(digests)
                log.info("loaded %d blocks, model from the verified snapshot at block %d, in %.2f s",
                         len(texts), checkpoint[0], time.perf_counter() - started)
                return state
        try:
            blocks = [json.loads(t) for t in texts]
        except ValueError as exc:
            raise StorageError(f"a stored block in {where} is not JSON ({exc}); the data file is damaged: move "
                               "the data directory away and start with a fresh --data-dir") from None
        result = audit_chain(blocks, self.model, self.params, now_ms=None, stop_at_first=True)
        if not result.valid:
            raise StorageError(f"the stored chain is not valid, refusing to start: {result.issues[0]}")
        self.store.vouch(digests)
        log.info("loaded %d blocks and replayed the model in %.2f s", len(texts), time.perf_counter() - started)
        return result.state

    def _restore(self, texts: list[str], height: int, restored, ledger: dict) -> Optional[ChainState]:
        """The state from blocks whose bytes the snapshot vouches for (up to ``height``) and a full
        check of the rest; None (replay instead) if the blocks and the snapshot disagree."""
        state = genesis_state(self.genesis, self.params, self.model)
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
            later = [None] * (height + 1) + [json.loads(t) for t in texts[height + 1:]]
        except ValueError as exc:
            raise StorageError(f"a stored block in {getattr(self.store, 'path', 'the store')} is not JSON ({exc}); "
                               "the data file is damaged: move the data directory away and start with a fresh "
                               "--data-dir") from None
        extend_audit(result, later, height + 1, restored, None, True)
        if not result.valid:
            raise StorageError(f"the stored chain is not valid, refusing to start: {result.issues[0]}")
        self.model = restored
        return state

    def _state_at(self, height: int) -> ChainState:
        """Our state at ``height``, rebuilt from genesis by applying blocks this node accepted
        before (for a reorg deeper than the undo records a snapshot restart brought back)."""
        state = genesis_state(self.genesis, self.params, self.model.fresh())
        for index in range(1, height + 1):
            block = self.state.blocks[index]
            delta = Delta(state, index, None)
            for tx in block.transactions:
                delta.apply(tx, check=False)
            state.apply(block, delta)
        return state

    def _load_pending(self) -> None:
        dropped = []
        for data in self.store.load_pending():
            try:
                self._admit(Transaction.from_dict(data), persist=False)
            except BlockchainError as exc:
                dropped.append(data.get("id"))
                log.warning("dropping stored pending transaction %s: %s", data.get("id"), exc)
        if dropped:
            self.store.remove_pending([d for d in dropped if isinstance(d, str)])

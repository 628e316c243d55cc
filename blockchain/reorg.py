"""Reorgs, and blocks that arrive in runs: a headers-first sync's pages, a peer's branch, a whole
offered chain, and side blocks.

``Reorgs`` works on the ledger's one owner (``core.LedgerCore``) and judges every block with
``transition``; ``Blockchain`` delegates to it.

- ``extend(blocks)`` appends a page of blocks that continues the tip. Each block is validated on
  top of the one before; the valid ones are kept even when a later one is not (each is valid on
  its own parent), and the page is written to the store in one transaction.
- ``adopt(fork, blocks)`` switches to our chain up to height ``fork`` followed by ``blocks``,
  when that is valid and strictly longer than ours. Only the blocks after the fork are validated,
  on a copy of our state rewound to the fork; the switch itself is one short step.
- ``replace_chain(blocks)`` is ``adopt`` for a whole chain from genesis.

The blocks a reorg drops are kept in the store as a side branch (``GET /block/<hash>`` finds them).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence, Union

from .audit import AuditResult, extend_audit
from .block import Block
from .chain_reads import ChainView
from .core import LedgerCore
from .errors import InvalidBlock, InvalidChain, InvalidTransaction, StorageError
from .gcpause import paused_gc
from .headers import Header
from .model_port import LedgerModel
from .startup import state_at
from .state import ChainState
from .errors import UndoMissing
from .transition import Issue, check_body, check_headers, transition
from .transactions import Transaction

log = logging.getLogger("blockchain")

MAX_SIDE_BEHIND = 2  # a side block this many blocks below our tip or more is not kept from a peer


@dataclass
class BranchResult:
    """What ``extend`` or ``adopt`` did: whether the tip moved, the new height, the transactions
    of dropped blocks that went back to the pool, and the first invalid block met, if any."""

    switched: bool
    height: int
    restored: list[Transaction] = field(default_factory=list)
    problem: Optional[Issue] = None
    moved: bool = False  # our tip moved to another block meanwhile: the blocks no longer continue it


def _parse(raw: Any) -> Block:
    return raw if isinstance(raw, Block) else Block.from_dict(raw)


class Reorgs:
    """Extends, adopts and switches the chain of ``core`` (of the network ``genesis``, ``params``);
    ``view`` answers which blocks are on the main chain."""

    def __init__(self, core: LedgerCore, view: ChainView, genesis: Block, params: Mapping[str, Any]) -> None:
        self._core = core
        self._view = view
        self._genesis = genesis
        self._params = params
        self._difficulty: int = params["difficulty"]

    # -- a page that continues the tip ---------------------------------------------------
    def extend(self, blocks: Sequence[Any]) -> BranchResult:
        """Append ``blocks`` (dicts or Blocks) that continue our tip, each validated on the one
        before, stopping at the first that is invalid or does not continue (``problem``)."""
        with self._core.lock, paused_gc():  # a page of blocks: many objects, all kept (gcpause.py)
            start = self._core.height
            accepted: list[Block] = []
            problem, moved = None, False
            now = self._core.now_ms()
            try:  # the failure rule of LedgerCore.commit: all of the page's valid blocks, or none
                for raw in blocks:
                    try:
                        block = _parse(raw)
                    except (InvalidBlock, InvalidTransaction) as exc:
                        problem = Issue(exc.block_index, exc.message, exc.tx_id)
                        break
                    if block.hash in self._core.state.block_heights:
                        continue
                    if block.previous_hash != self._core.state.tip.hash:
                        moved = True
                        break
                    outcome = transition(self._core.state, block, self._core.model, now)
                    if not outcome.valid:
                        problem = outcome.issues[0]
                        break
                    # Each block is checked on the one before, so the page is applied in memory
                    # block by block and written to the store in one transaction at the end.
                    self._core.apply(block, outcome.delta)
                    accepted.append(block)
                    self._core.feed(block)
                if accepted:
                    kept, evicted = self._core.revalidated(list(self._core.pool), self._core.state)
                    self._core.store.append_blocks([b.to_dict() for b in accepted],
                                             [tx.id for b in accepted for tx in b.transactions if tx.is_user]
                                             + [tx.id for tx in evicted])
            except BaseException:
                self._core.undo_to(start)
                raise
            if accepted:
                self._core.set_pool(kept)
                self._core.tip_moved.set()
                self._core.snapshot_if_due(start)
                log.info("accepted blocks %d to %d from elsewhere", accepted[0].index, accepted[-1].index)
            return BranchResult(bool(accepted), self._core.height, [], problem, moved)

    # -- a branch from a fork point ------------------------------------------------------
    def adopt(self, fork: int, blocks: Sequence[Any], keep_valid_prefix: bool = True) -> BranchResult:
        """Switch to our chain up to ``fork`` followed by ``blocks`` (heights fork+1, ...) when
        that is valid and strictly longer than ours; a tie or a shorter branch keeps ours.

        With ``keep_valid_prefix`` a branch whose valid part is already longer than our chain is
        adopted up to its first invalid block (``problem`` names it); otherwise an invalid block
        anywhere raises InvalidChain and nothing changes.
        """
        if not 0 <= fork <= self._core.height:
            raise InvalidChain(f"the fork point must be a height of our chain (0 to {self._core.height}); "
                               f"got {fork}", block_index=fork)
        if not self._view.prefers(self._view.branch_work(fork, blocks)):  # most work, as the blocks claim
            return BranchResult(False, self._core.height)
        with self._core.lock:
            if not 0 <= fork <= self._core.height:
                raise InvalidChain(f"the fork point must be a height of our chain (0 to {self._core.height}); "
                                   f"got {fork}", block_index=fork)
            if fork == self._core.height:
                result = self.extend(blocks)
                if result.problem is not None and not keep_valid_prefix:
                    raise InvalidChain(str(result.problem), block_index=result.problem.block_index,
                                       tx_id=result.problem.tx_id)
                return result
            state = self._core.state.copy()
            try:
                state.rewind(fork)
            except UndoMissing:
                log.info("reorg below the undo records of the last restart: rebuilding the state at %d", fork)
                state = state_at(self._genesis, self._params, self._core.model.fresh(), self._core.state.blocks, fork)
            model = self._core.model.at_size(state.rows)
        audit = AuditResult(state=state, length=fork + 1 + len(blocks))
        with paused_gc():
            extend_audit(audit, blocks, 0, model, self._core.now_ms(), stop_at_first=True, offset=fork + 1)
        problem = audit.issues[0] if audit.issues else None
        if problem is not None:
            if not keep_valid_prefix:
                raise InvalidChain(f"block {problem.block_index}: {problem.message}", block_index=problem.block_index,
                                   tx_id=problem.tx_id)
            if problem.block_index is not None and state.height >= problem.block_index > fork:
                state.rewind(problem.block_index - 1)  # the model refused that block after it was applied
                model = model.at_size(state.rows)
            audit.model = model  # the model after the last valid block
        with self._core.lock:
            if not self._view.prefers(state.work.work):  # the work of the checked branch
                # our chain grew meanwhile, or the branch fell short
                return BranchResult(False, self._core.height, [], problem)
            restored = self._switch(state, audit.model)
        return BranchResult(True, self._core.height, restored, problem)

    def _switch(self, state: ChainState, model: LedgerModel) -> list[Transaction]:
        """Make ``state`` (validated, longer) our chain; returns the transactions back in the pool.
        Called with the write lock held."""
        current_fork = self._fork_point(state.hashes)  # our chain may have moved while the branch was checked
        old = self._core.state.blocks
        dropped_blocks = old[current_fork + 1:]
        dropped = [tx for b in dropped_blocks for tx in b.transactions if tx.is_user]
        old_pool = list(self._core.pool)
        new_pool, _ = self._core.revalidated(dropped + old_pool, state)
        old_ids = {tx.id for tx in old_pool}
        restored = [tx for tx in new_pool if tx.id not in old_ids]
        self._core.store.replace_blocks(current_fork + 1, [b.to_dict() for b in state.blocks[current_fork + 1:]],
                                  remove_pending=[i for i in old_ids if i not in new_pool],
                                  add_pending=[tx.to_dict() for tx in restored],
                                  side=[b.to_dict() for b in dropped_blocks])
        self._core.switch(state, model, new_pool)
        self._core.tip_moved.set()
        self._core.snapshot_if_due(current_fork)
        log.info("switched to a chain of %d blocks (fork at %d, dropped %d blocks, %d transactions back in the pool)",
                 len(state.blocks), current_fork, len(dropped_blocks), len(restored))
        return restored

    def replace_chain(self, blocks: Sequence[Any]) -> tuple[bool, list[Transaction]]:
        """Adopt ``blocks`` (dicts or Blocks, from genesis) if valid and strictly longer than ours.

        Returns (replaced, transactions put back in the pool). A tie or a shorter chain keeps ours
        (False) without checking it; an invalid chain raises InvalidChain and changes nothing.
        """
        if not blocks or not self._view.prefers(self._view.branch_work(0, blocks[1:])):
            return False, []
        with self._core.lock:
            fork = self._fork_point(blocks)
        if fork < 0:
            raise InvalidChain("block 0 must be this network's genesis "
                               f"(hash {self._genesis.hash}); the offered chain starts elsewhere", block_index=0)
        result = self.adopt(fork, blocks[fork + 1:], keep_valid_prefix=False)
        return result.switched, result.restored

    def _fork_point(self, blocks: Sequence[Any]) -> int:
        """The height of the last block ``blocks`` shares with our chain (-1: not even genesis)."""
        own = self._core.state.hashes
        lo, hi = 0, min(len(own), len(blocks)) - 1
        if hi < 0 or _hash_of(blocks[0]) != own[0]:
            return -1
        while lo < hi:  # blocks link by hash: once they differ they differ for good
            mid = (lo + hi + 1) // 2
            if _hash_of(blocks[mid]) == own[mid]:
                lo = mid
            else:
                hi = mid - 1
        return lo

    # -- blocks of any branch ------------------------------------------------------------
    @staticmethod
    def check_body(block: Block) -> None:
        """Raise InvalidBlock unless ``block``'s transactions are the ones its header commits to
        (each id the hash of its body, checked when parsed; the Merkle root of those ids) in the
        order PROTOCOL.md fixes. What needs the branch's state (balances, claims, the model) is
        judged only if the branch is ever adopted."""
        issues = check_body(block)
        if issues:
            raise InvalidBlock(issues[0].message, block_index=block.index, tx_id=issues[0].tx_id)

    def keep_side(self, block: Block) -> bool:
        """Keep a block that does not extend our tip as a side branch, if its parent is a block
        we hold and its header is valid on it (links, difficulty, proof of work, time): a peer
        cannot fill the store with blocks that cost it no work. Its body must match its header
        (``check_body``, which the caller runs first), and it must be able to win soon: a block
        MAX_SIDE_BEHIND or more below our tip would need its branch to outwork that many of our
        blocks and more (a longer branch arrives by headers-first sync, not block by block).
        The store bounds the side branches' bytes as well. True when kept."""
        if self._core.height - block.index >= MAX_SIDE_BEHIND:
            log.info("not keeping side block %d (%s...): %d below our tip %d", block.index, block.hash[:16],
                     self._core.height - block.index, self._core.height)
            return False
        if self._core.store.side_block(block.hash) is not None:
            return False
        height = self._view.main_height(block.previous_hash)
        parent: Union[Block, Header, None] = self._core.state.blocks[height] if height is not None else None
        if parent is None:
            side = self._core.store.side_block(block.previous_hash)
            parent = Header.from_dict({k: v for k, v in side.items() if k != "transactions"}) if side else None
        chain = self._view.ancestry(height) if height is not None else None  # v3: the rules need the chain below
        if parent is None or (self._view.uses_retarget and chain is None):
            return False
        if check_headers([block], parent, self._difficulty, self._core.now_ms(), chain) is not None:
            return False
        try:
            self._core.store.add_side_blocks([block.to_dict()])
        except StorageError as exc:  # a side block is only kept for reference: the answer stays 409
            log.warning("could not keep side block %s...: %s", block.hash[:16], exc)
            return False
        return True


def _hash_of(block: Any) -> Optional[str]:
    if isinstance(block, Block):
        return block.hash
    if isinstance(block, str):
        return block  # a hash already
    return block.get("hash") if isinstance(block, dict) else None

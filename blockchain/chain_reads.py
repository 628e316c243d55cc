"""What a node's ledger answers without changing anything: blocks, pages of the chain and the pool,
balances, contributions, proofs, the block locator. Reads take only the short view lock (see
``core.LedgerCore``).

``ChainView`` is a read-only view of a ``LedgerCore``: it never changes the state, the model or
the pool, and ``Blockchain``'s read methods delegate to it.
"""
from __future__ import annotations

import bisect
from typing import Any, Callable, Mapping, Optional, Sequence

from . import claims
from .block import Block
from .core import LedgerCore
from .difficulty import work_text
from .forkchoice import Ancestry, chain_work, claimed_work, is_better
from .ledger import Delta
from .proofs import inclusion_proof
from .rules.job_common import Job
from .state import Flower
from .transactions import Transaction, thaw


LOCATOR_STEPS = 10  # single steps back from the tip before the steps double


def locator_heights(height: int) -> list[int]:
    """Heights of a block locator: the tip and 9 more one by one, then doubling steps, genesis last."""
    out, step, h = [], 1, height
    while h > 0:
        out.append(h)
        if len(out) >= LOCATOR_STEPS:
            step *= 2
        h -= step
    out.append(0)
    return out


JOB_PHASES = ("commit", "test", "model", "settling", "settled")


def job_phase(job: Job, n: int) -> str:
    """Where ``job`` stands for the next block, at height ``n``."""
    if job.settled_in is not None:
        return "settled"
    w = job.windows
    return "commit" if n <= w.commit_last else "test" if n <= w.test_last else "model" if n <= w.model_last \
        else "settling"


def job_view(job: Job, n: int, tx_of: Callable[[str], Transaction], summary: bool = False) -> dict[str, Any]:
    """A job as the API shows it (docs/jobs.md), the next block being at height ``n``; ``tx_of``
    reads a transaction of the chain (the test set and the models stay in their blocks). A
    ``summary`` leaves them there: ``test_revealed`` instead of ``test`` and ``models``."""
    w = job.windows
    if summary:
        shown: dict[str, Any] = {"test_revealed": job.test is not None}
    else:
        shown = {"test": None if job.test is None else tx_of(job.test).body_dict()["data"],
                 "models": {c.worker: tx_of(c.reveal).body_dict()["data"]["model"]
                            for c in job.commits if c.reveal is not None}}
    return {"id": job.id, "height": job.height, "requester": job.requester, "bounty": job.bounty,
            "data": thaw(job.data),  # a copy of plain JSON values (as copy.deepcopy, much cheaper)
            "windows": {"commit": [w.commit_first, w.commit_last], "test": [w.test_first, w.test_last],
                        "model": [w.model_first, w.model_last], "settle": w.settle},
            "state": job_phase(job, n),
            "commitments": [{"worker": c.worker, "model_commitment": c.model_commitment, "height": c.height,
                             "position": c.position, "revealed": c.reveal is not None} for c in job.commits],
            **shown,
            "settlement": None if job.settlement is None else thaw(job.settlement),
            "settled_in": job.settled_in}


class ChainView:
    """The reads of a node's ledger (``core``), whose network is ``genesis`` with ``params``."""

    def __init__(self, core: LedgerCore, genesis: Block, params: Mapping[str, Any]) -> None:
        self._core = core
        self.genesis = genesis
        self.params = params
        self.difficulty: int = params["difficulty"]

    # -- settings kept with the chain (a node's peers, for one) ----------------------------
    def setting(self, key: str) -> Optional[str]:
        return self._core.store.get_meta(f"setting:{key}")

    # -- reads ------------------------------------------------------------------------
    @property
    def height(self) -> int:
        return self._core.state.height

    @property
    def last_block(self) -> Block:
        return self._core.state.tip

    def prefers(self, work: int) -> bool:
        """Fork choice (``forkchoice.is_better``): whether a valid chain of this network with
        ``work`` would be better than ours (more work; a tie keeps ours)."""
        return is_better(self._core.state.work.work, work)

    @property
    def uses_retarget(self) -> bool:
        """Protocol 3: the difficulty retargets and peers' tips carry their work."""
        return self._core.state.rules.retarget is not None

    @property
    def work(self) -> int:
        """The cumulative work of our chain (``forkchoice.py``)."""
        return self._core.state.work.work

    def branch_work(self, fork: int, blocks: Sequence[Any]) -> int:
        """The work our chain up to ``fork`` followed by ``blocks`` (Blocks, Headers or dicts)
        would have if they are valid; 0 when ``fork`` is not a height of ours."""
        log = self._core.state.work
        if not 0 <= fork < len(log):
            return 0
        return log.work_at(fork) + claimed_work(log, blocks)

    def ancestry(self, height: int) -> Optional[Ancestry]:
        """Under protocol 3, the (timestamp, difficulty) record of our chain up to ``height`` that a
        branch from there is checked on (``transition.check_headers``); None under protocol 2."""
        with self._core.view_lock:
            return Ancestry(self._core.state.work, height + 1) if self.uses_retarget else None

    def tip_work(self, tip: Mapping[str, Any]) -> int:
        """The work a peer's ``GET /tip`` claims: v3 says it (``work``), v2's follows from the height."""
        if not self.uses_retarget:
            return chain_work(tip["height"], self.difficulty)
        return int(tip["work"])

    def prefers_tip(self, tip: Mapping[str, Any]) -> bool:
        return self.prefers(self.tip_work(tip))

    def blocks(self) -> list[Block]:
        with self._core.view_lock:
            blocks = self._core.state.blocks.copy()
        return list(blocks)  # parsing any stored text happens outside the lock

    def model_updates(self, start: int = 0, end: Optional[int] = None) -> tuple[list[Any], int]:
        """(block index, timestamp_ms, MODEL_UPDATE data) of the blocks that changed the model,
        positions ``start`` to ``end`` (all by default), and how many there are in all."""
        with self._core.view_lock:
            updates = self._core.state.updates
            return updates[start:end], len(updates)

    def blocks_of_rows(self, rows: list[int]) -> list[Optional[int]]:
        """The block whose FLOWER_DATA added each training row (None for a row of the base data):
        the first MODEL_UPDATE whose training set includes it, found by bisection."""
        with self._core.view_lock:
            updates = self._core.state.updates
            base = updates[0][2]["data_points_trained"] if updates else 0
            out = []
            for row in rows:
                at = bisect.bisect_right(updates, row, key=lambda u: u[2]["data_points_trained"])
                out.append(updates[at][0] if row >= base and at < len(updates) else None)
            return out

    def block_at(self, height: int) -> Optional[Block]:
        blocks = self._core.state.blocks
        return blocks[height] if 0 <= height < len(blocks) else None

    # -- pages, for clients and for peers (PROTOCOL.md "Peer endpoints") -----------------
    def tip(self) -> dict[str, Any]:
        with self._core.view_lock:
            state = self._core.state
            return {"height": state.height, "hash": state.hashes[-1], "genesis": self.genesis.hash,
                    "work": work_text(state.work.work)}

    def block(self, key: str) -> Optional[Block]:
        """A main-chain block by height ("12") or hash; None when there is none."""
        with self._core.view_lock:
            state = self._core.state
            height: Optional[int]
            if key.isascii() and key.isdigit() and len(key) < 16:
                height = int(key)
            else:
                height = state.block_heights.get(key)
            return state.blocks[height] if height is not None and 0 <= height <= state.height else None

    def blocks_from(self, start: int, limit: int, max_bytes: Optional[int] = None) -> list[Block]:
        """Main-chain blocks from height ``start``: at most ``limit``, and within ``max_bytes`` of
        canonical JSON (at least one block, whatever its size)."""
        with self._core.view_lock:
            items = self._core.state.blocks.window(start, start + limit)
        out: list[Block] = []
        size = 0
        for block in items:  # parsed outside the lock
            size += block.canon_size()
            if out and max_bytes is not None and size > max_bytes:
                break
            out.append(block)
        return out

    def headers_after(self, locator: list[str], limit: int) -> list[dict[str, Any]]:
        """Headers of the main chain after the first locator hash that is on it (after genesis
        when none is), at most ``limit``: the answer to a peer's block locator."""
        with self._core.view_lock:
            state = self._core.state
            start = 1
            for block_hash in locator:
                height = state.block_heights.get(block_hash)
                if height is not None and height < len(state.hashes) and state.hashes[height] == block_hash:
                    start = height + 1
                    break
            items = state.blocks.window(start, start + limit)
        return items.headers()  # read outside the lock

    def pending_after(self, after: Optional[str], limit: int) -> tuple[list[Transaction], Optional[str], int]:
        """Pending transactions oldest first, after the one with id ``after`` (from the first when
        None or unknown): (page, the id to pass back for the next page or None, total count)."""
        with self._core.view_lock:
            page, more, count = self._core.pool.page_after(after, limit)
        following = page[-1].id if page and more else None
        return page, following, count

    def pending(self) -> list[Transaction]:
        with self._core.view_lock:
            return list(self._core.pool)

    def balance(self, address: str) -> int:
        return self._core.state.balance(address)

    def available(self, address: str) -> int:
        """Balance minus what pending transfers and deposits of ``address`` already promise."""
        with self._core.view_lock:
            return self._core.state.balance(address) - self._core.pool.outgoing(address)

    def find_transaction(self, tx_id: str) -> tuple[Optional[int], Optional[Transaction]]:
        """(block index, tx) for a transaction on the chain, (None, tx) pending, (None, None) unknown."""
        with self._core.view_lock:
            index = self._core.state.tx_block.get(tx_id)
            block = self._core.state.blocks[index] if index is not None else None
            pending = list(self._core.pool)
        if block is not None:
            return index, next(tx for tx in block.transactions if tx.id == tx_id)
        return None, next((tx for tx in pending if tx.id == tx_id), None)

    def flower(self, flower_id: str) -> Optional[Flower]:
        """The ledger's record of a contribution (``ledger.Flower``), or None."""
        return self._core.state.flowers.get(flower_id)

    def good(self, address: str) -> int:
        return self._core.state.good.get(address, 0)

    def judgement(self, flower_id: str) -> Optional[dict[str, Any]]:
        """Which data would judge a claim of ``flower_id`` in the next block, and why each row counted
        (``claims.explain``); None when no FLOWER_DATA on the chain has this id."""
        with self._core.view_lock:
            if flower_id not in self._core.state.flowers:
                return None
            return claims.explain(Delta(self._core.state, self._core.state.height + 1, self._core.model), flower_id)

    def contributions(self, sender: str, start: int = 0,
                      limit: Optional[int] = None) -> tuple[list[dict[str, Any]], int]:
        """``sender``'s FLOWER_DATA on the chain, oldest first, positions ``start`` to
        ``start + limit`` (all by default), and how many there are: deposit, what is left, when it
        can be claimed, whether the tip's model agrees with it (its leave-one-out prediction), and
        whether the network's claim rule would allow a refund / a report in the next block, worked
        out for the page's entries only."""
        with self._core.view_lock:
            state, model, wait = self._core.state, self._core.model, self.params["refund_wait"]
            ids = state.by_sender.get(sender, ())
            count = len(ids)
            page = ids[start:None if limit is None else start + limit]
            mine = [(state.flowers[fid].row, fid, state.flowers[fid]) for fid in page]
            blocks = {f.block: state.blocks[f.block] for _, _, f in mine}
            delta = Delta(state, state.height + 1, model)
            verdicts = {}
            for _, fid, f in mine:
                due = f.left > 0 and f.block + wait <= state.height + 1
                if not due:
                    verdicts[fid] = (False, False)
                elif state.rules.protocol >= 3:
                    v = delta.judgement(f)
                    verdicts[fid] = (v.refund_allowed, v.report_allowed)
                # v2: decided below from the leave-one-out prediction, outside the lock
        out = []
        for _, flower_id, flower in mine:  # the model's predictions are worked out outside the lock
            tx = next(t for t in blocks[flower.block].transactions if t.id == flower_id)
            agrees = model.loo_predict(flower.row) == flower.label
            refund_ok, report_ok = verdicts.get(flower_id, (agrees, not agrees))
            out.append({"flower_id": flower_id, "block_index": flower.block, "row": flower.row,
                        "data": dict(tx.body["data"]), "timestamp_ms": tx.body["timestamp_ms"],
                        "deposit": flower.deposit, "left": flower.left, "refunded": flower.refunded,
                        "reported_by": sorted(flower.reporters), "claimable_from_block": flower.block + wait,
                        "model_agrees": agrees, "refund_allowed": refund_ok, "report_allowed": report_ok})
        return out, count

    def transfers(self, address: str, start: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """The TRANSFERs from or to ``address`` on the chain, newest first: the page from position
        ``start``, each with its block index, and how many there are."""
        with self._core.view_lock:
            ids = list(reversed(self._core.state.transfers.get(address, ())))
            page = [(tx_id, self._core.state.tx_block[tx_id]) for tx_id in ids[start:start + limit]]
            blocks = {index: self._core.state.blocks[index] for _, index in page}
        out = []
        for tx_id, index in page:  # parsed outside the lock
            tx = next(t for t in blocks[index].transactions if t.id == tx_id)
            out.append({**tx.to_dict(), "block_index": index})
        return out, len(ids)

    # -- training jobs (v3; docs/jobs.md "The node's read interface") ---------------------------
    def job(self, job_id: str) -> Optional[dict[str, Any]]:
        """The view of the job whose JOB has id ``job_id`` (``job_view``), or None."""
        with self._core.view_lock:
            state = self._core.state
            job = state.jobs.get(job_id)
            if job is None:
                return None
            return job_view(job, state.height + 1, state.chain_tx)

    def jobs(self, phase: Optional[str] = None, offset: int = 0, limit: int = 50,
             summary: bool = False) -> tuple[list[dict[str, Any]], int]:
        """The jobs on the chain, newest first (by their JOB's place in the chain), only those in
        ``phase`` (one of ``JOB_PHASES``) when given: the page from ``offset``, and how many match
        (``summary``: views without the test set and models, see ``job_view``)."""
        if phase is not None and phase not in JOB_PHASES:
            raise ValueError(f"state must be one of {', '.join(JOB_PHASES)}; got {phase!r:.40}")
        with self._core.view_lock:
            state = self._core.state
            n = state.height + 1
            ids = [i for i in reversed(state.job_order) if phase is None or job_phase(state.jobs[i], n) == phase]
            return [job_view(state.jobs[i], n, state.chain_tx, summary) for i in ids[offset:offset + limit]], len(ids)

    def proof(self, tx_id: str) -> Optional[dict[str, Any]]:
        """An inclusion proof for a transaction on the chain; None when pending or unknown."""
        with self._core.view_lock:
            index = self._core.state.tx_block.get(tx_id)
            block = self._core.state.blocks[index] if index is not None else None
        return inclusion_proof(block, tx_id) if block is not None else None

    # -- the main chain and side branches, for peers -----------------------------------------
    def locator(self) -> list[str]:
        """The block locator a node sends with ``GET /headers`` (PROTOCOL.md)."""
        with self._core.view_lock:
            hashes = self._core.state.hashes
            return [hashes[h] for h in locator_heights(len(hashes) - 1)]

    def main_height(self, block_hash: str) -> Optional[int]:
        """The height of ``block_hash`` on our main chain, or None when it is not on it."""
        with self._core.view_lock:
            height = self._core.state.block_heights.get(block_hash)
            return height if height is not None and self._core.state.hashes[height] == block_hash else None

    def side_block(self, block_hash: str) -> Optional[dict[str, Any]]:
        """A block of a side branch this node has seen (one a reorg dropped, or one that did not
        extend our tip), by hash."""
        return self._core.store.side_block(block_hash)

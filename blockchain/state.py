"""What a chain of accepted blocks implies, and how to take blocks back off it.

``ChainState`` holds balances, known ids, the training-set size, every contribution's deposit
(``left``), each address's ``good`` count and ``total_good``. Each applied block keeps an undo
record, so a reorg rewinds the state to the fork point in time proportional to what the dropped
blocks touched.
"""
from __future__ import annotations

import json
from dataclasses import InitVar, dataclass, field
from typing import Any, Mapping, Optional, Protocol

from .block import Block
from .blocklist import BlockList
from .errors import UndoMissing
from .forkchoice import WorkLog
from .rules import RULES
from .rules.base import Flower, Rules
from .rules.job_common import Job
from .transactions import Transaction

__all__ = ["ChainState", "Effects", "Flower", "Rules", "UndoMissing"]

#: the types whose rule indexes a restored block's transactions, and how to spot them in its text
_RESTORED = tuple((f'"type":"{t}"', rule.index_restored) for t, rule in RULES.items() if rule.index_restored)

_MISSING: Any = object()
KEPT_SCORES = 4096  # settlement scores kept (``ChainState.scores``); a block scores at most 2 jobs x 16 models

#: a block's undo record: (table name, key, old value or _MISSING) in order, old total_good, old rows
UndoRecord = tuple[list[tuple[str, str, Any]], int, int]


class Effects(Protocol):
    """What a checked block changes (a ``ledger.Delta``): the new table values and totals."""

    balances: dict[str, int]
    flowers: dict[str, Flower]
    good: dict[str, int]
    jobs: dict[str, Job]
    total_good: int
    rows: int


@dataclass
class ChainState:
    rules: Rules
    blocks: BlockList = field(default_factory=BlockList)
    hashes: list[str] = field(default_factory=list)
    balances: dict[str, int] = field(default_factory=dict)
    tx_block: dict[str, int] = field(default_factory=dict)
    block_heights: dict[str, int] = field(default_factory=dict)
    flowers: dict[str, Flower] = field(default_factory=dict)
    good: dict[str, int] = field(default_factory=dict)
    total_good: int = 0
    rows: int = 0            # training-set size after the tip
    undo: list[Optional[UndoRecord]] = field(default_factory=list)  # per block; None: restored without one
    updates: list[tuple[int, int, dict[str, Any]]] = field(default_factory=list)  # (block index, timestamp_ms,
    #                                                   MODEL_UPDATE data) in chain order
    by_sender: dict[str, list[str]] = field(default_factory=dict)  # an index: each sender's flower ids, oldest first
    transfers: dict[str, list[str]] = field(default_factory=dict)  # an index: each address's TRANSFER ids, oldest first
    jobs: dict[str, Job] = field(default_factory=dict)  # v3 training jobs by id (``rules/job_common.py``)
    settling: dict[int, list[str]] = field(default_factory=dict)  # an index: the jobs settling at each height
    job_order: list[str] = field(default_factory=list)  # an index: job ids in chain order, oldest first
    initial_work: InitVar[Optional[WorkLog]] = None  # a copy's; None: a fresh record for these rules
    work: WorkLog = field(init=False)  # per height (timestamp, difficulty) and cumulative work (forkchoice.py)
    #: not ledger data: the settlement scores already computed, by (JOB_TEST id, JOB_MODEL id); both
    #: are hashes of their bodies, so an entry holds on any chain (``Delta.model_scores``); shared by copies
    scores: dict[tuple[str, str], int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self, initial_work: Optional[WorkLog]) -> None:
        self.work = initial_work if initial_work is not None else WorkLog(self.rules.retarget)

    @property
    def tip(self) -> Block:
        block: Block = self.blocks[-1]
        return block

    @property
    def height(self) -> int:
        return len(self.hashes) - 1

    def balance(self, address: str) -> int:
        return self.balances.get(address, 0)

    def keep_scores(self, scores: Mapping[tuple[str, str], int]) -> None:
        """Keep settlement scores (``scores``), the oldest dropped past ``KEPT_SCORES``."""
        self.scores.update(scores)
        excess = len(self.scores) - KEPT_SCORES
        if excess > 0:
            for key in list(self.scores)[:excess]:  # the oldest first (a dict keeps insertion order)
                self.scores.pop(key, None)

    def copy(self) -> "ChainState":
        """An independent state (flowers are immutable records, so shallow copies suffice)."""
        out = self._copy()
        out.scores = self.scores  # content-addressed, so shared
        return out

    def _copy(self) -> "ChainState":
        return ChainState(self.rules, self.blocks.copy(), list(self.hashes), dict(self.balances), dict(self.tx_block),
                          dict(self.block_heights), dict(self.flowers), dict(self.good), self.total_good,
                          self.rows, list(self.undo), list(self.updates),
                          {sender: list(ids) for sender, ids in self.by_sender.items()},
                          {address: list(ids) for address, ids in self.transfers.items()}, dict(self.jobs),
                          {h: list(ids) for h, ids in self.settling.items()}, list(self.job_order), self.work.copy())

    def apply(self, block: Block, delta: Effects) -> None:
        """Add a block that ``check_block`` accepted, with the effects its check computed."""
        # The block is recorded first, with an undo record that grows with each change: should a
        # step below fail, ``rewind`` takes back exactly what was done (``core.LedgerCore.commit``).
        old: list[tuple[str, str, Any]] = []
        self.blocks.append(block)
        self.hashes.append(block.hash)
        self.block_heights[block.hash] = block.index
        self.work.append(block.timestamp_ms, block.difficulty)
        self.undo.append((old, self.total_good, self.rows))
        tables: tuple[tuple[str, dict[str, Any], Mapping[str, Any]], ...] = (
            ("balances", self.balances, delta.balances), ("flowers", self.flowers, delta.flowers),
            ("good", self.good, delta.good), ("jobs", self.jobs, delta.jobs))
        for name, table, changes in tables:
            for key, value in changes.items():
                before = table.get(key, _MISSING)
                old.append((name, key, before))
                table[key] = value
        self.total_good, self.rows = delta.total_good, delta.rows
        for tx in block.transactions:
            self.tx_block[tx.id] = block.index
            tx.rule.index(self, block.index, block.timestamp_ms, tx)

    def add_restored(self, text: str, block_hash: str, tx_ids: list[str], timestamp_ms: int,
                     update: Optional[dict[str, Any]]) -> None:
        """Add a block restored from a verified snapshot: its text, hash and ids; no undo record."""
        index = len(self.hashes)
        self.blocks.append(text)
        self.hashes.append(block_hash)
        self.block_heights[block_hash] = index
        self.work.append_text(text, timestamp_ms)
        for tx_id in tx_ids:
            self.tx_block[tx_id] = index
        if update is not None:
            self.updates.append((index, timestamp_ms, update))
        if any(marker in text for marker, _ in _RESTORED):  # only blocks of such types are parsed
            for tx in json.loads(text)["transactions"]:
                hook = RULES[tx["type"]].index_restored
                if hook is not None:
                    hook(self, tx)
        self.undo.append(None)

    # -- the look-up tables the rules keep (``rules.base.Indexes``) ----------------------
    def index_transfer(self, tx_id: str, sender: str, recipient: str) -> None:
        self._index_transfer(tx_id, sender, recipient)

    def _index_transfer(self, tx_id: str, sender: str, recipient: str) -> None:
        self.transfers.setdefault(sender, []).append(tx_id)
        self.transfers.setdefault(recipient, []).append(tx_id)

    def unindex_transfer(self, tx_id: str, sender: str, recipient: str) -> None:
        for address in (recipient, sender):
            ids = self.transfers.get(address, [])
            if ids and ids[-1] == tx_id:
                ids.pop()
            if not ids:
                self.transfers.pop(address, None)

    def index_flower(self, sender: str, flower_id: str) -> None:
        self.by_sender.setdefault(sender, []).append(flower_id)

    def unindex_flower(self, sender: str, flower_id: str) -> None:
        ids = self.by_sender.get(sender, [])
        if ids and ids[-1] == flower_id:
            ids.pop()
        elif flower_id in ids:
            ids.remove(flower_id)
        if not ids:
            self.by_sender.pop(sender, None)

    def record_update(self, block_index: int, timestamp_ms: int, data: Mapping[str, Any]) -> None:
        self.updates.append((block_index, timestamp_ms, dict(data)))

    def drop_update(self, block_index: int) -> None:
        if self.updates and self.updates[-1][0] == block_index:
            self.updates.pop()

    def index_job(self, job_id: str, settle: int) -> None:
        self.settling.setdefault(settle, []).append(job_id)
        self.job_order.append(job_id)

    def unindex_job(self, job_id: str, settle: int) -> None:
        ids = self.settling.get(settle, [])
        if job_id in ids:
            ids.remove(job_id)
        if not ids:
            self.settling.pop(settle, None)
        if self.job_order and self.job_order[-1] == job_id:
            self.job_order.pop()
        elif job_id in self.job_order:
            self.job_order.remove(job_id)

    def chain_tx(self, tx_id: str) -> Transaction:
        """A transaction of the main chain by its id (KeyError when it is not on the chain)."""
        block: Block = self.blocks[self.tx_block[tx_id]]
        return next(tx for tx in block.transactions if tx.id == tx_id)

    def rewind(self, height: int) -> list[Block]:
        """Drop every block above ``height``; returns them, oldest first.

        UndoMissing (and no change) when a block to drop came from a snapshot without its undo
        record: the caller rebuilds the state at ``height`` instead.
        """
        tail = self.undo[height + 1:]
        records = [record for record in tail if record is not None]
        if len(records) != len(tail):
            raise UndoMissing(f"no undo records below height {self.height - len(tail)}")
        dropped = []
        self.work.truncate(height)
        for record in reversed(records):
            block = self.blocks.pop()
            self.hashes.pop()
            self.undo.pop()
            old, self.total_good, self.rows = record
            for name, key, value in reversed(old):
                table = getattr(self, name)
                if value is _MISSING:
                    table.pop(key, None)
                else:
                    table[key] = value
            for tx in reversed(block.transactions):
                if self.tx_block.get(tx.id) == block.index:
                    del self.tx_block[tx.id]
                tx.rule.undo(self, block.index, tx)
            self.block_heights.pop(block.hash, None)
            dropped.append(block)
        return dropped[::-1]

    # -- plain data, for snapshots ------------------------------------------------------
    def ledger_data(self, undo_blocks: int) -> dict[str, Any]:
        """The ledger tables, and the undo records of the last ``undo_blocks`` blocks, as JSON-able data."""
        def flower_row(fid: str, f: Flower) -> list[Any]:
            return [fid, f.block, f.row, f.sender, f.deposit, f.left, f.label, sorted(f.reporters), f.refunded,
                    f.settled, list(f.point)]

        def old_job(key: str, value: Job, before: int) -> Any:
            # a job's old record is its record now as it stood after the block before: just that
            # height (``Job.as_of``), unless (never, by the rules) the two differ
            now = self.jobs.get(key)
            try:
                if now is not None and now.height <= before and now.as_of(before, self.tx_block.__getitem__) == value:
                    return before
            except KeyError:  # a transaction of the job not on this chain: (never, by the rules) the whole row
                pass
            return value.to_row()

        def undo_row(index: int, record: Optional[UndoRecord]) -> Optional[list[Any]]:
            if record is None:
                return None
            old, total_good, rows = record
            values = [[name, key, None if value is _MISSING else
                       (flower_row(key, value)[1:] if name == "flowers" else
                        old_job(key, value, index - 1) if name == "jobs" else value)] for name, key, value in old]
            return [values, total_good, rows]

        first = max(len(self.undo) - undo_blocks, 0)
        return {"balances": self.balances, "flowers": [flower_row(k, v) for k, v in self.flowers.items()],
                "good": self.good, "total_good": self.total_good, "rows": self.rows,
                "jobs": [job.to_row() for job in self.jobs.values()],
                "undo": [undo_row(i, self.undo[i]) for i in range(first, len(self.undo))] if undo_blocks else []}

    def load_ledger_data(self, data: dict[str, Any]) -> None:
        """Tables from ``ledger_data`` (after every block was added with ``add_restored``)."""
        def flower(row: list[Any]) -> Flower:
            block, r, sender, deposit, left, label, reporters, refunded, *v3 = row
            settled, point = (int(v3[0]), tuple(int(u) for u in v3[1])) if v3 else (0, ())
            return Flower(block, r, sender, deposit, left, label, frozenset(reporters), refunded, settled, point)

        self.balances = {str(k): int(v) for k, v in data["balances"].items()}
        self.flowers = {row[0]: flower(row[1:]) for row in data["flowers"]}
        self.by_sender = {}
        for flower_id, record in sorted(self.flowers.items(), key=lambda item: item[1].row):
            self.by_sender.setdefault(record.sender, []).append(flower_id)
        self.good = {str(k): int(v) for k, v in data["good"].items()}
        self.total_good, self.rows = int(data["total_good"]), int(data["rows"])
        self.jobs = {row[0]: Job.from_row(row) for row in data.get("jobs", [])}
        self.settling, self.job_order = {}, []
        for job in sorted(self.jobs.values(), key=lambda j: (j.height, j.position)):
            self.index_job(job.id, job.windows.settle)
        def old_job(key: str, value: Any) -> Job:
            if type(value) is int:  # the job's record now, as of that height (``ledger_data``)
                return self.jobs[key].as_of(value, self.tx_block.__getitem__)
            return Job.from_row(value)

        undo = data["undo"]
        for offset, record in enumerate(undo):
            if record is None:
                continue
            values, total_good, rows = record
            old = [(name, key, _MISSING if value is None else (flower(value) if name == "flowers" else
                                                               old_job(key, value) if name == "jobs" else value))
                   for name, key, value in values]
            self.undo[len(self.undo) - len(undo) + offset] = (old, total_good, rows)

"""What the five job types share (PROTOCOL.md "Version 3: training jobs"): the job's record in the
chain state, the field checks of a job transaction's body, and the look-ups every rule makes
(the job a transaction names, its windows).

A job's record is immutable (like a ``Flower``): a rule that changes it puts a new record, so a
block's undo record restores the old one. The test set and the revealed models stay in their
blocks; the record holds the ids of the transactions that carry them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional

from ..encoding import is_hex
from ..jobs import Windows
from .base import USER_KEYS, Ledger, Tx, check_to_model, fail

JOB = "JOB"
JOB_COMMIT = "JOB_COMMIT"
JOB_TEST = "JOB_TEST"
JOB_MODEL = "JOB_MODEL"
JOB_SETTLE = "JOB_SETTLE"
JOB_TYPES = (JOB, JOB_COMMIT, JOB_TEST, JOB_MODEL, JOB_SETTLE)

#: the body of a JOB_COMMIT, JOB_TEST and JOB_MODEL names its job
NAMED_KEYS = USER_KEYS | {"job_id"}


@dataclass(frozen=True)
class JobCommit:
    """A ``JOB_COMMIT`` of ``worker`` at (block ``height``, ``position`` in the block's transactions,
    the REWARD being 0), and the id of the ``JOB_MODEL`` that revealed it (None: not revealed)."""

    worker: str
    model_commitment: str
    height: int
    position: int
    reveal: Optional[str] = None

    def to_row(self) -> list[Any]:
        return [self.worker, self.model_commitment, self.height, self.position, self.reveal]

    @classmethod
    def from_row(cls, row: list[Any]) -> "JobCommit":
        worker, commitment, height, position, reveal = row
        return cls(str(worker), str(commitment), int(height), int(position), None if reveal is None else str(reveal))


@dataclass(frozen=True)
class Job:
    """A ``JOB`` on the chain (``id``, in block ``height`` at ``position``) and what happened to it."""

    id: str
    height: int
    position: int
    requester: str
    bounty: int
    data: Mapping[str, Any]             # the JOB's data, a plain dict (never changed)
    commits: tuple[JobCommit, ...] = ()  # in commitment order (the order they were applied)
    test: Optional[str] = None           # the JOB_TEST's id
    settlement: Optional[Mapping[str, Any]] = None  # the JOB_SETTLE's data
    settled_in: Optional[int] = None

    @property
    def windows(self) -> Windows:
        d = self.data
        return Windows.of(self.height, d["commit_blocks"], d["test_blocks"], d["model_blocks"])

    def commit_of(self, worker: str) -> Optional[JobCommit]:
        return next((c for c in self.commits if c.worker == worker), None)

    def as_of(self, height: int, block_of: Callable[[str], int]) -> "Job":
        """This record as it stood after block ``height`` (a later version of the same job; ``block_of``
        gives the block of a transaction of the chain): every change to a job is dated, by its
        commitments' heights, the blocks of its JOB_TEST and JOB_MODELs and ``settled_in``, so a
        snapshot's undo records need not hold whole old records (``ChainState.ledger_data``)."""
        if height < self.height:
            raise ValueError(f"job {self.id[:16]}... did not exist after block {height}")
        commits = tuple(c if c.reveal is None or block_of(c.reveal) <= height else
                        JobCommit(c.worker, c.model_commitment, c.height, c.position)
                        for c in self.commits if c.height <= height)
        test = self.test if self.test is not None and block_of(self.test) <= height else None
        settled = self.settled_in is not None and self.settled_in <= height
        return Job(self.id, self.height, self.position, self.requester, self.bounty, self.data, commits, test,
                   self.settlement if settled else None, self.settled_in if settled else None)

    def to_row(self) -> list[Any]:
        return [self.id, self.height, self.position, self.requester, self.bounty, self.data,
                [c.to_row() for c in self.commits], self.test, self.settlement, self.settled_in]

    @classmethod
    def from_row(cls, row: list[Any]) -> "Job":
        job_id, height, position, requester, bounty, data, commits, test, settlement, settled_in = row
        return cls(str(job_id), int(height), int(position), str(requester), int(bounty), dict(data),
                   tuple(JobCommit.from_row(c) for c in commits), None if test is None else str(test),
                   None if settlement is None else dict(settlement),
                   None if settled_in is None else int(settled_in))


# -- body checks ---------------------------------------------------------------------------------
def check_job_id(body: Mapping[str, Any]) -> None:
    if not is_hex(body["job_id"], 64):
        fail(f"job_id must be 64 lowercase hex characters (the id of a JOB); got {body['job_id']!r:.80}")


def check_named(body: Mapping[str, Any], *, amount_zero: bool = True) -> None:
    """A JOB_COMMIT's, JOB_TEST's or JOB_MODEL's: to the model, naming a job (amount 0 but a commit's)."""
    check_to_model(body)
    if amount_zero and body["amount"] != 0:
        fail(f"a {body['type']} must have amount 0; got {body['amount']}")
    check_job_id(body)


# -- look-ups ------------------------------------------------------------------------------------
def v3_only(ledger: Ledger, tx: Tx) -> Optional[str]:
    if ledger.rules.protocol < 3:
        return (f"a {tx.type} is valid only on a protocol 3 network (PROTOCOL.md \"Version 3: training jobs\"); "
                f"this network runs protocol {ledger.rules.protocol}")
    return None


def named_job(ledger: Ledger, tx: Tx) -> tuple[Optional[Job], Optional[str]]:
    """The job ``tx`` names, or why there is none (also: not on a protocol 3 network)."""
    why = v3_only(ledger, tx)
    if why is not None:
        return None, why
    job = ledger.job(tx.body["job_id"])
    if job is None:
        return None, f"job_id must name a JOB on the chain; {tx.body['job_id'][:16]}... is not one"
    return job, None


def window_problem(ledger: Ledger, tx: Tx, first: int, last: int, what: str) -> Optional[str]:
    b = ledger.block_index
    if not first <= b <= last:
        return f"a {tx.type} of this job is valid in blocks {first} to {last} ({what}); this is block {b}"
    return None

"""Training jobs (PROTOCOL.md "Version 3: training jobs"): the JOB body's rule, the windows, settlement.

Pure arithmetic on integers, strings and lists: no model, no I/O. Scoring a model is the model
kinds' job (``ml/kinds.py``, injected by whoever settles); this module takes the scores and says
who is paid what, exactly as every node must.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, Sequence

MAX_AMOUNT = 10**12                     # a bounty, a stake: 1 to 10^12
MAX_COMMITS = 16                        # the most submissions a job may take
MAX_SETTLE_PER_BLOCK = 2                # a JOB is invalid if its settlement height already has 2 jobs
MAX_WINDOW = 10_000                     # blocks; every window is at least 1 block, the model window 2
MIN_WINDOW = {"commit_blocks": 1, "test_blocks": 1, "model_blocks": 2}
MIN_FEATURES, MAX_FEATURES = 1, 256     # the same bounds as ml/kinds.py (a test holds them equal)
MIN_CLASSES, MAX_CLASSES = 2, 16
MAX_TEST_ROWS, MAX_TEST_CELLS = 256, 16_384
KINDS = ("linear", "tree", "knn")
FLOWER_FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
JOB_KEYS = frozenset({"kind", "train", "features", "classes", "test_commitment", "test_rows", "stake",
                      "max_commits", "commit_blocks", "test_blocks", "model_blocks"})
NAME = re.compile(r"[a-z0-9_-]{1,32}")
HEX64 = re.compile(r"[0-9a-f]{64}")

Outcome = Literal["won", "no_model", "withheld"]


def _is_int(v: object, lo: int, hi: int) -> bool:
    return type(v) is int and lo <= v <= hi


def _names(v: object, lo: int, hi: int) -> bool:
    return (type(v) is list and lo <= len(v) <= hi and len(set(map(str, v))) == len(v)
            and all(type(x) is str and NAME.fullmatch(x) is not None for x in v))


def job_problem(data: object, network_classes: Sequence[str], height: int) -> str | None:
    """The first problem of a ``JOB``'s ``data`` in a block at ``height`` of a network with
    ``network_classes``, or None. (The bounty is the transaction's ``amount``, 1 to 10^12.)"""
    if type(data) is not dict or set(data) != JOB_KEYS:
        return f"a job's data has exactly the keys {', '.join(sorted(JOB_KEYS))}"
    if data["kind"] not in KINDS:
        return f"kind must be one of {', '.join(KINDS)}"
    if not _names(data["features"], MIN_FEATURES, MAX_FEATURES):
        return f"features must be {MIN_FEATURES} to {MAX_FEATURES} distinct names of [a-z0-9_-]{{1,32}}"
    if not _names(data["classes"], MIN_CLASSES, MAX_CLASSES):
        return f"classes must be {MIN_CLASSES} to {MAX_CLASSES} distinct names of [a-z0-9_-]{{1,32}}"
    train = data["train"]
    if type(train) is not dict or len(train) != 1 or not set(train) <= {"flowers_to", "artifact"}:
        return 'train must be {"flowers_to": height} or {"artifact": sha256}'
    if "flowers_to" in train:
        if not _is_int(train["flowers_to"], 0, height - 1):
            return f"flowers_to must be a height of the chain before this block (0 to {height - 1})"
        if data["features"] != list(FLOWER_FEATURES) or data["classes"] != list(network_classes):
            return "a job on the network's flowers has its four measurements as features and its classes"
    elif type(train["artifact"]) is not str or HEX64.fullmatch(train["artifact"]) is None:
        return "artifact must be a SHA-256 of 64 lowercase hex characters"
    if type(data["test_commitment"]) is not str or HEX64.fullmatch(data["test_commitment"]) is None:
        return "test_commitment must be 64 lowercase hex characters"
    most_rows = min(MAX_TEST_ROWS, MAX_TEST_CELLS // len(data["features"]))
    if not _is_int(data["test_rows"], 1, most_rows):
        return f"test_rows must be 1 to {most_rows} (at most {MAX_TEST_ROWS}, and rows x features <= {MAX_TEST_CELLS})"
    if not _is_int(data["stake"], 1, MAX_AMOUNT):
        return f"stake must be 1 to {MAX_AMOUNT}"
    if not _is_int(data["max_commits"], 1, MAX_COMMITS):
        return f"max_commits must be 1 to {MAX_COMMITS}"
    for key, least in MIN_WINDOW.items():
        if not _is_int(data[key], least, MAX_WINDOW):
            return f"{key} must be {least} to {MAX_WINDOW}"
    return None


@dataclass(frozen=True)
class Windows:
    """The heights, inclusive, at which each step of a job whose JOB is in block ``job`` is valid."""

    job: int
    commit_first: int
    commit_last: int
    test_first: int
    test_last: int
    model_first: int
    model_last: int
    settle: int

    @classmethod
    def of(cls, job_height: int, commit_blocks: int, test_blocks: int, model_blocks: int) -> "Windows":
        c = job_height + commit_blocks
        t = c + test_blocks
        m = t + model_blocks
        return cls(job_height, job_height + 1, c, c + 1, t, t + 1, m, m + 1)

    def phase(self, height: int) -> str:
        """Which step a block at ``height`` may hold: commit, test, model, settle, or done."""
        if height <= self.job:
            return "before"
        if height <= self.commit_last:
            return "commit"
        if height <= self.test_last:
            return "test"
        if height <= self.model_last:
            return "model"
        return "settle" if height == self.settle else "done"


@dataclass(frozen=True)
class Commitment:
    """A ``JOB_COMMIT`` of ``worker`` at (block ``height``, ``position`` in its block), and the score of
    its revealed model (None: never revealed)."""

    worker: str
    height: int
    position: int
    score: int | None = None


@dataclass(frozen=True)
class Settlement:
    outcome: Outcome
    winner: str | None
    scores: list[tuple[str, int | None]]     # in commitment order
    payouts: list[tuple[str, int]]           # by address, ascending; every amount >= 1
    burnt: int                               # stakes of commitments never revealed: paid to no one

    def data(self) -> dict[str, Any]:
        """The ``data`` of the ``JOB_SETTLE`` transaction."""
        return {"outcome": self.outcome, "winner": self.winner, "scores": [[w, s] for w, s in self.scores],
                "payouts": [[a, n] for a, n in self.payouts], "burnt": self.burnt}


def settle(requester: str, bounty: int, stake: int, test_revealed: bool,
           commitments: Sequence[Commitment]) -> Settlement:
    """Who gets what when a job closes (every amount an exact integer).

    - The test set was revealed and at least one model: the best score wins, a tie goes to the
      earliest commitment (block height, then position in the block). The winner gets the bounty;
      every revealed worker gets its stake back; the stake of a commitment never revealed is burnt.
    - The test set was revealed, no model: the bounty goes back to the requester; unrevealed
      stakes are burnt.
    - The test set was withheld: no model could be revealed. Every committed worker gets its stake
      back and ``bounty // n`` of the bounty (n commitments); the first ``bounty % n`` commitments
      in commitment order get 1 more, so the whole bounty is paid. With no commitment, the bounty
      goes back to the requester.
    """
    order = sorted(commitments, key=lambda c: (c.height, c.position))
    if len({c.worker for c in order}) != len(order):
        raise ValueError("one commitment per worker")
    if len({(c.height, c.position) for c in order}) != len(order):
        raise ValueError("two commitments at one position")
    if not test_revealed and any(c.score is not None for c in order):
        raise ValueError("no model is revealed before the test set")
    pay: dict[str, int] = {}

    def give(address: str, amount: int) -> None:
        if amount:
            pay[address] = pay.get(address, 0) + amount

    scores = [(c.worker, c.score) for c in order]
    winner: str | None = None
    burnt = 0
    outcome: Outcome
    if not test_revealed:
        outcome = "withheld"
        if not order:
            give(requester, bounty)
        share, extra = divmod(bounty, len(order) or 1)
        for i, c in enumerate(order):
            give(c.worker, stake + share + (1 if i < extra else 0))
    else:
        revealed = [c for c in order if c.score is not None]
        burnt = stake * (len(order) - len(revealed))
        for c in revealed:
            give(c.worker, stake)
        if revealed:
            outcome = "won"
            best = max(c.score for c in revealed if c.score is not None)
            winner = next(c.worker for c in revealed if c.score == best)   # the earliest of the best
            give(winner, bounty)
        else:
            outcome = "no_model"
            give(requester, bounty)
    return Settlement(outcome, winner, scores, sorted(pay.items()), burnt)


def settle_body(block_index: int, job_id: str, settlement: Settlement) -> dict[str, Any]:
    """The body of the ``JOB_SETTLE`` system transaction for a job settled in block ``block_index``."""
    return {"type": "JOB_SETTLE", "sender": "MODEL", "recipient": "MODEL", "amount": 0,
            "block_index": block_index, "job_id": job_id, "data": settlement.data()}

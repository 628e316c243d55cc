"""The validity rules of PROTOCOL.md version 2 (and the draft version 3's claim rule, ``claims.py``)
for transactions (the state they apply to is in ``state.py``; each type's rule is in ``rules/``; the
block-level checks are in ``transition.py``).

``Delta`` applies transactions on top of a state without changing it; one rule set serves block
validation, block templates and the admission of pending transactions.
"""
from __future__ import annotations

from typing import Any, Optional

from . import claims
from .rules.job_common import Job
from .state import ChainState, Flower, Rules
from .transactions import Transaction, thaw

__all__ = ["Delta"]


class Delta:
    """The effects of transactions applied on top of a state that itself stays unchanged.

    Each transaction type's rule (``blockchain/rules/``) says whether it may stand next and what it
    changes, through the methods below (``rules.base.Ledger``); nothing else writes a Delta's fields.
    """

    def __init__(self, state: ChainState, block_index: int, model: Any, *, rows: Optional[int] = None,
                 kinds: Any = None) -> None:
        self.state, self.block_index, self.model = state, block_index, model
        self._kinds = model if kinds is None else kinds  # the job port (``model_port.JobKinds``)
        self.position = 0  # where the next transaction stands in its block (the REWARD is 0)
        self.balances: dict[str, int] = {}
        self.flowers: dict[str, Flower] = {}
        self.jobs: dict[str, Job] = {}
        self._new_settling: dict[int, list[str]] = {}  # jobs of this block, by their settlement height
        self.good: dict[str, int] = {}
        self.total_good = state.total_good
        self.rows = state.rows if rows is None else rows
        self.new_rows: list[list[str]] = []
        self.new_labels: list[str] = []
        self._predictions: dict[int, str] = {}
        self._voters: Optional[list[claims.Voter]] = None
        self._judgements: dict[int, claims.Judgement] = {}

    def carried(self, block_index: int) -> "Delta":
        """A Delta for block ``block_index`` that starts from this one's effects (over the same
        state, which stays unchanged), without a model: for checking the pool after a block."""
        out = Delta(self.state, block_index, None, kinds=self._kinds)
        out.balances, out.flowers, out.good = dict(self.balances), dict(self.flowers), dict(self.good)
        out.jobs = dict(self.jobs)
        out._new_settling = {h: list(ids) for h, ids in self._new_settling.items()}
        out.total_good, out.rows = self.total_good, self.rows
        return out

    def assume_balance(self, address: str, amount: int) -> None:
        """Take ``address``'s balance to be ``amount`` from now on (what it may spend, say)."""
        self.balances[address] = amount

    # -- what rules read ----------------------------------------------------------------
    @property
    def rules(self) -> Rules:
        return self.state.rules

    def balance(self, address: str) -> int:
        value = self.balances.get(address)
        return self.state.balances.get(address, 0) if value is None else value

    def flower(self, flower_id: str) -> Optional[Flower]:
        return self.flowers.get(flower_id) or self.state.flowers.get(flower_id)

    def good_of(self, address: str) -> int:
        value = self.good.get(address)
        return self.state.good.get(address, 0) if value is None else value

    @property
    def kinds(self) -> Any:
        """The model kinds of training jobs (``model_port.JobKinds``): their checks and scores."""
        if self._kinds is None:
            raise RuntimeError("this Delta was made without a model port; a job's model cannot be checked")
        return self._kinds

    def job(self, job_id: str) -> Optional[Job]:
        return self.jobs.get(job_id) or self.state.jobs.get(job_id)

    def settling_at(self, height: int) -> list[str]:
        """The jobs that settle in block ``height``, in the order of their JOBs (this block's last)."""
        return self.state.settling.get(height, []) + self._new_settling.get(height, [])

    def chain_data(self, tx_id: str) -> dict[str, Any]:
        """The ``data`` of a transaction on the chain (a JOB_TEST, a JOB_MODEL), as a plain dict."""
        data: dict[str, Any] = thaw(self.state.chain_tx(tx_id).body["data"])  # a copy of the data alone
        return data

    def model_scores(self, test_id: str, model_ids: list[str]) -> list[int]:
        """The scores of the revealed models (JOB_MODELs ``model_ids``) on the test set (JOB_TEST
        ``test_id``), all on the chain, through the model port. Each is kept in the state's
        ``scores``: the two ids are hashes of the bodies, so the same pair always scores the same
        (a miner scores a settlement for its template, then again when its block is checked)."""
        known = self.state.scores
        found = {m: s for m in model_ids if (s := known.get((test_id, m))) is not None}
        missing = [m for m in model_ids if m not in found]
        if missing:
            test = self.chain_data(test_id)
            got = self.kinds.score_job_models([self.chain_data(m)["model"] for m in missing], test["rows"],
                                              test["labels"])
            found.update(zip(missing, got, strict=True))
            self.state.keep_scores({(test_id, m): found[m] for m in missing})
        return [found[m] for m in model_ids]

    def predict(self, row: int) -> str:
        """The leave-one-out prediction of a row on the model after the parent block."""
        if row not in self._predictions:
            self._predictions[row] = self.model.loo_predict(row)
        return self._predictions[row]

    def voters(self) -> list[claims.Voter]:
        """v3: the base rows and the contributions judged good before this block (``claims.Voter``)."""
        if self._voters is None:
            base = claims.base_points(self.model, self.state.rules.base_hash)
            found = [claims.Voter(row, point, label) for row, (point, label) in enumerate(base)]
            for flower_id, flower in self.state.flowers.items():  # this block's refunds vote from the next one
                if 0 < flower.settled < self.block_index:
                    found.append(claims.Voter(flower.row, flower.point, flower.label, flower_id))
            self._voters = found
        return self._voters

    def judgement(self, flower: Flower) -> claims.Judgement:
        """v3: the panel that judges ``flower`` in this block."""
        rules = self.state.rules
        found = self._judgements.get(flower.row)  # the voters do not change within a block, nor the flower's point
        if found is None:
            found = self._judgements[flower.row] = claims.judge(flower.point, flower.label, self.voters(), rules.k,
                                                                rules.weights)
        return found

    # -- what rules change --------------------------------------------------------------
    def credit(self, address: str, amount: int) -> None:
        self.balances[address] = self.balance(address) + amount

    def put_flower(self, flower_id: str, flower: Flower) -> None:
        self.flowers[flower_id] = flower

    def put_job(self, job: Job) -> None:
        if job.id not in self.jobs and job.id not in self.state.jobs:  # a new JOB of this block
            self._new_settling.setdefault(job.windows.settle, []).append(job.id)
        self.jobs[job.id] = job

    def add_row(self, features: list[str], label: str) -> int:
        """A new training row; returns its row number."""
        row = self.rows
        self.rows += 1
        self.new_rows.append(features)
        self.new_labels.append(label)
        return row

    def add_good(self, address: str) -> None:
        """One more good (refunded, v3: unanimously judged) contribution of ``address``."""
        self.good[address] = self.good_of(address) + 1
        self.total_good += 1

    # -- a transaction ------------------------------------------------------------------
    def problem(self, tx: Transaction) -> Optional[str]:
        """Why ``tx`` cannot be applied next, or None; nothing changes either way."""
        return tx.rule.problem(self, tx)

    def apply(self, tx: Transaction, check: bool = True) -> Optional[str]:
        """Apply ``tx`` if it can be; returns why not (and changes nothing) otherwise.

        ``check=False`` is for blocks this node validated before (a restart whose stored bytes
        match its snapshot's digest): the effects are computed without re-judging them.
        """
        rule = tx.rule
        problem = rule.problem(self, tx) if check else None
        if problem is not None:
            return problem
        rule.apply(self, tx)
        self.position += 1
        return None

"""The worker's loop: each look at the node commits to open jobs it can take and reveals the models
it committed once their window is open.

- A job in its commit window (``GET /jobs?state=commit``), of the worker's kind if one was given, with
  a free slot, not the worker's own, not yet committed to: check that the worker's available coins
  (``GET /balance``: its balance less what its pending transactions spend) cover the job's stake
  (if not, say so and skip the job: the commit would be refused), fetch its data (worker/data.py),
  train (ml/training.py), report the validation score, seal the model with a fresh salt for the
  worker's own address (the commitment binds it), keep it in the job directory
  (client/jobfiles.py), then send the JOB_COMMIT.
- A job in its model window whose test set is revealed and where the worker committed but has not
  revealed: read the sealed model back and send the JOB_MODEL.

Each job is tried once per run (a refusal is reported, not retried in a loop).
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Optional

from blockchain import crypto
from client.jobfiles import JobFileError, JobFiles
from client.jobs import Sealed
from client.node import ApiError, Node, NodeError
from ml.training import TrainingError, train

from .data import DataError, training_data


class Worker:
    def __init__(self, node: Node, key: Any, files: JobFiles, *, kind: Optional[str] = None, seed: int = 0,
                 validation: float = 0.2, say: Callable[[str], None] = print) -> None:
        self.node, self.key, self.files, self.kind = node, key, files, kind
        self.seed, self.validation, self.say = seed, validation, say
        self.address = crypto.address_of(crypto.public_key_hex(key))
        self.tried: set[tuple[str, str]] = set()   # (job id, step) already attempted in this run

    def run(self, stop: threading.Event, poll: float) -> None:
        while not stop.is_set():
            try:
                self.step()
            except NodeError as exc:   # the node is away for a moment: say so and look again
                self.say(f"node: {exc}")
            stop.wait(poll)

    def step(self) -> None:
        """One look: commit to what is open, reveal what is due."""
        for job in self.node.iter_jobs("commit"):
            if ("commit", job.id) not in self.tried and self._wants(job):
                self.tried.add(("commit", job.id))
                self._commit(job)
        for job in self.node.iter_jobs("model"):
            if ("model", job.id) in self.tried or not job.test_revealed:
                continue
            mine = next((c for c in job.commitments if c.worker == self.address), None)
            if mine is not None and not mine.revealed:
                self.tried.add(("model", job.id))
                self._reveal(job, mine.model_commitment)

    def _wants(self, job: Any) -> bool:
        return ((self.kind is None or job.data["kind"] == self.kind) and job.requester != self.address
                and len(job.commitments) < job.data["max_commits"]
                and all(c.worker != self.address for c in job.commitments))

    def _commit(self, job: Any) -> None:
        d = job.data
        short = job.id[:12]
        stake = int(d["stake"])
        try:
            available = self.node.balance(self.address).available
        except ApiError as exc:
            self.say(f"job {short}: skipped (cannot read the balance of {self.address}: {exc})")
            return
        if available < stake:
            self.say(f"job {short}: skipped: the stake is {stake} and {self.address} has {available} available; "
                     "a commitment must lock the stake, so it would be refused")
            return
        try:
            rows, labels = training_data(self.node, job)
            self.say(f"job {short}: training a {d['kind']} model on {len(rows)} rows of {len(d['features'])} "
                     f"features, {len(d['classes'])} classes")
            trained = train(d["kind"], rows, labels, len(d["classes"]), validation=self.validation, seed=self.seed)
        except (DataError, TrainingError, ApiError) as exc:
            self.say(f"job {short}: skipped ({exc})")
            return
        agreement = "" if trained.agreement is None else f"; integer model agrees with the float model on " \
                                                         f"{trained.agreement:.1%} of rows"
        self.say(f"job {short}: validation score {trained.validation_correct}/{trained.validation_rows} "
                 f"({trained.validation_accuracy:.1%}){agreement}")
        sealed = Sealed.make(trained.model, self.address)   # the commitment binds this worker's address
        try:
            self.files.save_model(sealed)
            answer = self.node.commit_job(self.key, job.id, sealed.commitment, stake=stake)
        except (ApiError, JobFileError) as exc:
            self.say(f"job {short}: commit refused ({exc})")
            return
        self.say(f"job {short}: committed {sealed.commitment[:12]}... with stake {stake} "
                 f"(block {answer.block_index})")

    def _reveal(self, job: Any, commitment: str) -> None:
        short = job.id[:12]
        try:
            sealed = self.files.load_model(commitment)
            answer = self.node.reveal_model(self.key, job.id, sealed)
        except (ApiError, JobFileError) as exc:
            self.say(f"job {short}: reveal refused ({exc})")
            return
        self.say(f"job {short}: revealed its {sealed.model['kind']} model (block {answer.block_index})")


__all__ = ["Worker"]

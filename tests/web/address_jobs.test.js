// The address page's training-job transactions (web/address.js jobTransactions) on the node's own
// vector chain "won" of tests/vectors/jobs-chains-v3.json: what each address sent (the bounty, the
// stakes, the reveals) and the JOB_SETTLE payouts it received, newest first. Run: node --test tests/web/
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { jobTransactions } from "../../web/address.js";

const vectors = JSON.parse(readFileSync(new URL("../vectors/jobs-chains-v3.json", import.meta.url), "utf8"));
const won = vectors.cases.find((c) => c.name === "won");
const [[jobId, settlement]] = Object.entries(won.jobs_after);
const where = (type, sender) => {
  for (const b of won.chain) for (const t of b.transactions) if (t.type === type && (sender === null || t.sender === sender)) return [b.index, t];
  throw new Error(`no ${type} of ${sender}`);
};
const row = (r) => [r.block_index, r.id, r.type, r.job_id, r.role, r.sent, r.received];

test("the requester's JOB and JOB_TEST, newest first, with the bounty it escrowed", () => {
  const [jh, job] = where("JOB", "req"), [th, reveal] = where("JOB_TEST", "req");
  assert.deepEqual(jobTransactions(won.chain, "req").map(row), [
    [th, reveal.id, "JOB_TEST", jobId, "requester", 0, 0],
    [jh, job.id, "JOB", jobId, "requester", job.amount, 0]]);
});

test("a paid worker's commitment, reveal and the payout of the JOB_SETTLE", () => {
  for (const [worker, paid] of settlement.payouts) {
    const [ch, commit] = where("JOB_COMMIT", worker), [mh, model] = where("JOB_MODEL", worker), [sh, settle] = where("JOB_SETTLE", null);
    assert.deepEqual(jobTransactions(won.chain, worker).map(row), [
      [sh, settle.id, "JOB_SETTLE", jobId, "paid", 0, paid],
      [mh, model.id, "JOB_MODEL", jobId, "worker", 0, 0],
      [ch, commit.id, "JOB_COMMIT", jobId, "worker", commit.amount, 0]]);
  }
});

test("a worker that never revealed is not paid: its commitment only; an outsider has none", () => {
  const [worker] = settlement.scores.find(([, score]) => score === null);
  const [ch, commit] = where("JOB_COMMIT", worker);
  assert.deepEqual(jobTransactions(won.chain, worker).map(row), [[ch, commit.id, "JOB_COMMIT", jobId, "worker", commit.amount, 0]]);
  assert.deepEqual(jobTransactions(won.chain, "nobody"), []);
  assert.deepEqual(jobTransactions(won.chain, "MODEL"), []); // the JOB_SETTLE's own sender is not a payee
});

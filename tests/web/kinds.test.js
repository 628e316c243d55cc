// web/kinds.js (training jobs: model kinds, test sets, commitments, windows, settlement) against
// tests/vectors/jobs-v3.json: the same file ml/kinds.py and blockchain/jobs.py are held to
// (tests/unit/test_job_vectors.py). Run: node --test tests/web/
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import * as k from "../../web/kinds.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const V = JSON.parse(readFileSync(path.join(here, "..", "vectors", "jobs-v3.json"), "utf8"));

test("models: predictions, scores, commitments and sizes of the vectors", async () => {
  assert.ok(V.models.length >= 9);
  for (const c of V.models) {
    const { model, test: t } = c;
    assert.equal(k.checkModel(model.kind, model, c.features, c.classes), null, c.name);
    assert.equal(k.checkTestSet(t, c.features, c.classes, t.rows.length), null, c.name);
    assert.deepEqual(t.rows.map((r) => k.predict(model, r)), c.predictions, c.name);
    assert.equal(k.score(model, t.rows, t.labels), c.score, c.name);
    assert.equal(await k.modelCommitment(model, c.model_salt, c.model_worker), c.model_commitment, c.name);
    assert.equal(await k.testCommitment(t.rows, t.labels, t.salt), c.test_commitment, c.name);
    assert.equal(k.canonBytes(model), c.model_canon_bytes, c.name);
  }
});

test("every model one past a bound is refused, every model at the bounds accepted", () => {
  assert.ok(V.refused_models.length >= 40);
  for (const c of V.refused_models) {
    assert.notEqual(k.checkModel(c.kind, c.model, c.features, c.classes), null, c.name);
  }
  for (const c of V.accepted_models) {
    assert.equal(k.checkModel(c.kind, c.model, c.features, c.classes), null, c.name);
    assert.equal(k.canonBytes(c.model), c.canon_bytes, c.name);
  }
});

test("test sets: valid ones commit as the vectors say, invalid ones are refused", async () => {
  for (const c of V.test_sets) {
    const problem = k.checkTestSet(c.test, c.features, c.classes, c.test_rows);
    assert.equal(problem === null, c.valid, `${c.name}: ${problem}`);
    if (c.valid) assert.equal(await k.testCommitment(c.test.rows, c.test.labels, c.test.salt), c.commitment);
  }
});

test("model reveals: valid and invalid as the vectors say", async () => {
  assert.ok(V.reveals.length >= 7);
  for (const c of V.reveals) {
    const problem = k.checkReveal(c.kind, c.data, c.features, c.classes);
    assert.equal(problem === null, c.valid, `${c.name}: ${problem}`);
    if (c.valid) assert.equal(await k.modelCommitment(c.data.model, c.data.salt, c.worker), c.model_commitment);
  }
});

test("a model commitment hashes the canonical {model, salt, worker}: one model and salt, two workers, two hashes", async () => {
  assert.equal(V.model_commitments.length, 2);
  for (const c of V.model_commitments) {
    assert.equal(k.canon({ model: c.model, salt: c.salt, worker: c.worker }), c.canon, c.name);
    assert.equal(await k.modelCommitment(c.model, c.salt, c.worker), c.model_commitment, c.name);
  }
  const [a, b] = V.model_commitments;
  assert.deepEqual([a.model, a.salt], [b.model, b.salt]);
  assert.notEqual(a.worker, b.worker);
  assert.notEqual(a.model_commitment, b.model_commitment);
});

test("settlements and windows", () => {
  for (const c of V.settlements) {
    assert.deepEqual(k.settle(c.requester, c.bounty, c.stake, c.test_revealed, c.commitments), c.settle_data, c.name);
  }
  for (const c of V.windows) {
    assert.deepEqual(k.windows(c.job_height, c.commit_blocks, c.test_blocks, c.model_blocks), { job: c.job_height, ...c.windows });
  }
  assert.throws(() => k.settle("r", 1, 1, true, [["a", 1, 1, 1], ["a", 1, 2, 1]]), /one commitment per worker/);
  assert.throws(() => k.settle("r", 1, 1, false, [["a", 1, 1, 1]]), /before the test set/);
});

test("JOB bodies: valid and invalid as the vectors say", () => {
  assert.ok(V.job_bodies.length >= 16);
  for (const c of V.job_bodies) {
    const problem = k.jobProblem(c.data, V.network_classes, c.height);
    assert.equal(problem === null, c.valid, `${c.name}: ${problem}`);
  }
});

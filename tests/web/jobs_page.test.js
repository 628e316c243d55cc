// What the job page says a user can check about a winner (web/jobs.js winnerChecks, PROTOCOL.md "What
// remains possible"): a requester competing in its own job under another address, with a knn whose
// rows are the test rows and coins sent from the requester, is shown as such. Run: node --test tests/web/
import { test } from "node:test";
import assert from "node:assert/strict";
import * as v from "../../web/verify.js";
import { jobView } from "../../web/jobs_rules.js";
import { winnerChecks } from "../../web/jobs.js";
import { Builder, base, jobData, reveal, salt, testSet, tx, user } from "./jobchain.mjs";

async function selfDealing({ fund }) {
  const chain = await Builder.start();
  for (let i = 0; i < 4; i++) await chain.mine("req");
  await chain.mine("honest");
  const rows = [[5, 5], [-5, -5], [9, 0]], labels = [1, 0, 0];
  const test = await testSet(rows, labels);
  // the requester's second address holds the test rows themselves, k = 1: every test row right
  const copy = await reveal({ kind: "knn", rows, labels, weights: [1, 1], k: 1 }, salt("5e1f"), "alias");
  const fair = await reveal({ kind: "knn", rows: [[0, 0]], labels: [0], weights: [1, 1], k: 1 }, salt("fa17"), "honest"); // always 0
  const pay = fund ? [await tx({ type: "TRANSFER", sender: "req", recipient: "alias", amount: 1, timestamp_ms: 7 })]
    : [await tx({ type: "TRANSFER", sender: "honest", recipient: "alias", amount: 1, timestamp_ms: 7 })];
  await chain.mine("m", pay);
  if (!fund) await chain.mine("honest");
  const job = await user("JOB", "req", 2, { data: jobData({ kind: "knn", test_commitment: test.commitment, stake: 1, test_rows: 3 }) });
  await chain.mine("m", [job]);
  const commit = (w, c) => user("JOB_COMMIT", w, 1, { job_id: job.id, model_commitment: c.commitment });
  await chain.mine("m", [await commit("honest", fair), await commit("alias", copy)]);
  await chain.mine("m");
  await chain.mine("m", [await user("JOB_TEST", "req", 0, { job_id: job.id, data: test.data })]);
  await chain.mine("m", [await user("JOB_MODEL", "honest", 0, { job_id: job.id, data: fair.data }),
    await user("JOB_MODEL", "alias", 0, { job_id: job.id, data: copy.data })]);
  await chain.to(chain.ledger.jobs.get(job.id).windows.settle, "m");
  const result = await v.verifyChain(chain.blocks, base, { nowMs: Date.now() });
  assert.deepEqual(result.issues, []);
  return { view: jobView(result.ledger.jobs.get(job.id), result.ledger.tip.index), blocks: chain.blocks };
}

test("a knn winner holding the test rows, funded by the requester, is shown as what it may be", async () => {
  const { view, blocks } = await selfDealing({ fund: true });
  assert.equal(view.state, "settled");
  assert.equal(view.settlement.winner, "alias");
  assert.deepEqual(view.settlement.scores, [["honest", 2], ["alias", 3]]);
  const checks = winnerChecks(view, blocks, base);
  assert.match(checks[0], /^3 of the 3 test rows are rows of the winning knn model \(3 with the test set's label\): a model that holds the test set/);
  assert.match(checks[1], /^the requester sent the winner coins 1 time\(s\)/);
  assert.equal(checks.length, 2); // an artifact job: no score on the network's own test rows
});

test("a winner the requester never paid is not said to be funded by it", async () => {
  const { view, blocks } = await selfDealing({ fund: false });
  const checks = winnerChecks(view, blocks, base);
  assert.match(checks[1], /^no TRANSFER from the requester to the winner is on the chain/);
});

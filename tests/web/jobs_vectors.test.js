// web/verify.js (its training-job rules, web/jobs_rules.js) against tests/vectors/jobs-chains-v3.json,
// the whole-chain vectors the Python node is held to (scripts/build_job_chain_vectors.py): every valid
// case accepted with its balances and each job's settlement, every invalid variant refused at its
// first bad block. Run: node --test tests/web/
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import * as v from "../../web/verify.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const file = path.join(here, "..", "vectors", "jobs-chains-v3.json");
const vectors = v.parseStrict(readFileSync(file, "utf8"));
const base = v.parseStrict(readFileSync(path.join(here, "..", "vectors", "iris-base.json"), "utf8"));
const nowMs = Date.now();

test("the job vectors hold every outcome and an invalid variant per rule", () => {
  const outcomes = new Set(vectors.cases.flatMap((c) => Object.values(c.jobs_after).map((s) => s.outcome)));
  assert.deepEqual([...outcomes].sort(), ["no_model", "withheld", "won"]);
  assert.ok(vectors.cases.reduce((n, c) => n + c.invalid.length, 0) >= 20);
});

for (const c of vectors.cases) {
  test(`jobs, valid: ${c.name}`, async () => {
    const result = await v.verifyChain(c.chain, base, { nowMs });
    assert.deepEqual(result.issues, []);
    const ledger = result.ledger;
    for (const [address, balance] of Object.entries(c.balances_after)) assert.equal(ledger.balance(address), balance, address);
    const everyone = new Set([...ledger.balances.keys()].filter((a) => ledger.balance(a) !== 0));
    assert.deepEqual([...everyone].sort(), Object.keys(c.balances_after).filter((a) => c.balances_after[a] !== 0).sort());
    for (const [id, settlement] of Object.entries(c.jobs_after)) {
      const job = ledger.jobs.get(id);
      assert.ok(job, `job ${id} on the chain`);
      assert.deepEqual(job.settlement, settlement, id);
    }
    const settled = [...ledger.jobs.values()].filter((j) => j.settlement).map((j) => j.id).sort();
    assert.deepEqual(settled, Object.keys(c.jobs_after).sort());
  });

  for (const bad of c.invalid) {
    test(`jobs, refused at its block (${c.name}): ${bad.name}`, async () => {
      const result = await v.verifyChain(bad.chain, base, { nowMs });
      assert.equal(result.valid, false, `accepted; the node refuses it: ${bad.problem}`);
      assert.equal(result.issues[0].block_index, bad.first_bad_block, result.issues[0].message);
    });
  }
}

// web/verify.js (with web/claims.js, the draft version 3's claim rule) against
// tests/vectors/protocol-v3.json: the same file the Python node is held to. Run: node --test tests/web/
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import * as v from "../../web/verify.js";
import { judge, votersOf } from "../../web/claims.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const vectors = v.parseStrict(readFileSync(path.join(here, "..", "vectors", "protocol-v3.json"), "utf8"));
const base = v.parseStrict(readFileSync(path.join(here, "..", "vectors", "iris-base.json"), "utf8"));

for (const c of vectors.cases) {
  test(`v3 valid chain: ${c.name}`, async () => {
    const result = await v.verifyChain(c.chain, base, { nowMs: Date.now() });
    assert.deepEqual(result.issues, []);
    const ledger = result.ledger;
    for (const [a, b] of Object.entries(c.balances_after)) assert.equal(ledger.balance(a), b, a);
    for (const [a, g] of Object.entries(c.good_after)) assert.equal(ledger.good.get(a) || 0, g, a);
    assert.equal(ledger.totalGood, c.total_good);
    for (const [name, expect] of Object.entries(c.flowers_after)) {
      const f = ledger.flowers.get(c.flower_ids[name]);
      assert.deepEqual({ left: f.left, refunded: f.refunded, settled: f.settled }, expect, name);
    }
  });

  test(`v3 judgements: ${c.name}`, async () => {
    for (const j of c.judgements) {
      const result = await v.verifyChain(c.chain.slice(0, j.judged_in_block), base, { nowMs: Date.now() });
      assert.equal(result.valid, true);
      const ledger = result.ledger;
      const f = ledger.flowers.get(j.flower_id);
      const out = judge(ledger.model, ledger.model.rows[f.row], ledger.model.labels[f.row], votersOf(ledger, j.judged_in_block), v.K);
      assert.deepEqual(out.panel.map((p) => p.row), j.panel_rows, j.name);
      assert.deepEqual([out.agree, out.refundAllowed, out.reportAllowed, out.good],
        [j.agree, j.refund_allowed, j.report_allowed, j.good], j.name);
    }
  });

  for (const variant of c.invalid) {
    test(`v3 refused at its first bad block: ${variant.reason}`, async () => {
      const result = await v.verifyChain(variant.chain, base, { nowMs: Date.now() });
      assert.equal(result.valid, false);
      assert.equal(result.issues[0].block_index, variant.first_bad_block, result.issues[0].message);
      assert.match(result.issues[0].message, /settled points/);
    });
  }
}

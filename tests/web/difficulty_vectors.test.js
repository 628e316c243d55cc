// web/verify.js (with web/difficulty.js) against the difficulty part of tests/vectors/protocol-v3.json
// (PROTOCOL.md "Version 3: difficulty"): the same file the Python node is held to. Run: node --test tests/web/
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import * as v from "../../web/verify.js";
import { betterChain } from "../../web/difficulty.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const all = v.parseStrict(readFileSync(path.join(here, "..", "vectors", "protocol-v3.json"), "utf8"));
const vectors = all.difficulty;
const base = v.parseStrict(readFileSync(path.join(here, "..", "vectors", "iris-base.json"), "utf8"));
const nowMs = vectors.now_ms;

for (const c of vectors.chains) {
  test(`v3 difficulty, valid: ${c.name}`, async () => {
    const result = await v.verifyChain(c.chain, base, { nowMs });
    assert.deepEqual(result.issues, []);
    assert.deepEqual(result.ledger.ancestors.map((a) => a[1]), c.difficulty);
    assert.equal(result.ledger.work.toString(), c.work);
  });
}

for (const f of vectors.forks) {
  test(`v3 fork choice: ${f.name}`, async () => {
    const ours = await v.verifyChain(f.ours, base, { nowMs });
    const theirs = await v.verifyChain(f.theirs, base, { nowMs });
    assert.ok(ours.valid && theirs.valid);
    assert.equal(ours.ledger.work.toString(), f.ours_work);
    assert.equal(theirs.ledger.work.toString(), f.theirs_work);
    assert.equal(betterChain(ours.ledger.work, theirs.ledger.work), f.winner === "theirs");
  });
}

for (const bad of vectors.invalid) {
  test(`v3 difficulty, refused at its block: ${bad.reason}`, async () => {
    const result = await v.verifyChain(bad.chain, base, { nowMs });
    assert.equal(result.valid, false);
    assert.equal(result.issues[0].block_index, bad.first_bad_block, result.issues[0].message);
    assert.ok(result.issues[0].message.includes(bad.message), result.issues[0].message);
  });
}

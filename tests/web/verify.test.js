// The JavaScript verifier (web/verify.js) against every value and invalid variant of the protocol
// vectors: the same file the Python implementation is held to. Run: node --test tests/web/
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import * as v from "../../web/verify.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const vectors = v.parseStrict(readFileSync(path.join(here, "..", "vectors", "protocol-v2.json"), "utf8"));
const base = v.parseStrict(readFileSync(path.join(here, "..", "vectors", "iris-base.json"), "utf8"));

test("canon of every valid value, and every invalid value refused", () => {
  for (const { value, canon } of vectors.canon.valid) assert.equal(v.canon(value), canon);
  for (const { value_json: text, why } of vectors.canon.invalid) {
    assert.throws(() => v.checkValue(v.parseStrict(text)), v.ProtocolError, why);
  }
});

test("measurements", () => {
  for (const [text, units] of Object.entries(vectors.measurements.valid)) assert.equal(v.measurementUnits(text), units);
  for (const text of vectors.measurements.invalid) assert.throws(() => v.measurementUnits(text), v.ProtocolError, text);
});

test("the Iris base: hash, weights, model hash and test_correct", async () => {
  const model = await v.Model.fromBase(base);
  const expect = vectors.iris_base;
  assert.equal(model.baseHash, expect.base_hash);
  assert.deepEqual(model.weights, expect.weights);
  assert.equal(model.hash, expect.model_hash);
  assert.equal(model.testCorrect, expect.test_correct);
  assert.equal(model.size, expect.train_rows);
  assert.equal(model.test.length, expect.test_rows);
});

test("every model step and prediction", async () => {
  const model = await v.Model.fromBase(base);
  for (const step of vectors.model_steps.blocks) {
    const rows = step.rows.map((r) => ["sepal_length", "sepal_width", "petal_length", "petal_width"].map((f) => r[f]));
    await model.addBlock(rows, step.rows.map((r) => r.flower_type));
    assert.deepEqual(model.summary(), step.after);
  }
  for (const p of vectors.model_steps.predictions_after) {
    const out = model.predict(p.query.map(v.measurementUnits));
    assert.equal(out.prediction, p.prediction);
    assert.deepEqual(out.neighbours.map(([, row]) => row), p.neighbours);
  }
});

test("the tie rules: (distance, row) neighbours, the first class wins a tie, leave-one-out", async () => {
  const t = vectors.tie_rules;
  const model = await v.Model.fromBase(t.base);
  assert.deepEqual(model.weights, t.weights);
  const q = t.query.map(v.measurementUnits);
  assert.deepEqual(model.rows.map((r) => model.distance(q, r)), t.distances);
  const out = model.predict(q);
  assert.deepEqual(out.neighbours.map(([, row]) => row), t.neighbours);
  assert.equal(out.prediction, t.prediction);
  assert.equal(model.looPredict(3), t.leave_one_out_row_3);
});

test("every transaction's id, and the signed one's signature", async () => {
  for (const [name, tx] of Object.entries(vectors.transactions)) {
    if (name === "signed") continue;
    await v.checkTransaction(tx);
  }
  const signed = vectors.transactions.signed;
  await v.checkTransaction(signed.transaction);
  assert.equal((await v.H(v.fromHex(signed.public_key))).slice(0, 40), signed.address);
  const forged = { ...signed.transaction, signature: signed.transaction.signature.replace(/^../, "00") };
  await assert.rejects(v.checkTransaction(forged), /signature/);
});

test("every Merkle root", async () => {
  for (const { ids, root } of vectors.merkle) assert.equal(await v.merkleRoot(ids), root);
});

test("every genesis is rebuilt exactly", async () => {
  const model = await v.Model.fromBase(base);
  for (const [difficulty, block] of Object.entries(vectors.genesis.iris)) {
    const params = block.transactions[0].params;
    assert.equal(params.difficulty, Number(difficulty));
    assert.deepEqual(await v.makeGenesis(params, model), block);
  }
  const staked = vectors.genesis.staked_iris_d2_min_deposit_1_refund_wait_2;
  assert.deepEqual(await v.makeGenesis(staked.transactions[0].params, model), staked);
});

test("the valid staked chain: balances, deposits, good counts", async () => {
  const expect = vectors.valid_chain_staked_d2;
  const result = await v.verifyChain(expect.chain, base, { nowMs: Date.now() });
  assert.deepEqual(result.issues, []);
  assert.equal(result.valid, true);
  const ledger = result.ledger;
  for (const [address, balance] of Object.entries(expect.balances_after)) assert.equal(ledger.balance(address), balance, address);
  for (const [id, flower] of Object.entries(expect.flowers_after)) {
    const mine = ledger.flowers.get(id);
    for (const [key, value] of Object.entries(flower)) {
      const have = mine[key] instanceof Set ? [...mine[key]].sort() : mine[key];
      assert.deepEqual(have, value, `${id} ${key}`);
    }
  }
  for (const [address, good] of Object.entries(expect.good_after)) assert.equal(ledger.good.get(address), good);
  assert.equal(ledger.totalGood, expect.total_good);
  const last = expect.chain[expect.chain.length - 1];
  const update = [...expect.chain].reverse().flatMap((b) => b.transactions).find((t) => t.type === "MODEL_UPDATE");
  assert.equal(result.model_hash, update.data.model_hash);
  assert.equal(result.length, last.index + 1);
});

for (const variant of vectors.invalid_chains_staked_d2) {
  test(`refused at its first bad block: ${variant.reason}`, async () => {
    const result = await v.verifyChain(variant.chain, base, { nowMs: Date.now() });
    assert.equal(result.valid, false);
    assert.equal(result.issues[0].block_index, variant.first_bad_block, result.issues[0].message);
  });
}

// PROTOCOL.md "Strict JSON" and the differential fuzzer's findings (tests/vectors/protocol-v2-strict.json,
// built by scripts/build_strict_vectors.py): the same verdict and first bad block as the Python verifier.
const strict = v.parseStrict(readFileSync(path.join(here, "..", "vectors", "protocol-v2-strict.json"), "utf8"));
for (const c of strict.cases) {
  test(`strict JSON: ${c.name}`, async () => {
    let blocks;
    try { blocks = v.parseStrict("[" + c.blocks_json.join(",") + "]"); } catch (e) {
      assert.ok(e instanceof v.ProtocolError, String(e));
      assert.equal(c.valid, false);
      assert.equal(c.first_bad_block, null, e.message);
      return;
    }
    assert.notEqual(c.first_bad_block === null && !c.valid, true, "the text should have been refused");
    const result = await v.verifyChain(blocks, base, { nowMs: Date.now() });
    assert.equal(result.valid, c.valid, JSON.stringify(result.issues[0]));
    if (!c.valid) assert.equal(result.issues[0].block_index, c.first_bad_block, result.issues[0].message);
  });
}

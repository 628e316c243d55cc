// web/verify.js's training-job rules (web/jobs_rules.js, PROTOCOL.md "Version 3: training jobs") on
// chains mined here (tests/web/jobchain.mjs): each outcome's payouts as the spec's arithmetic gives
// them, and one refused block per validity rule, each refused for its own reason. (The whole-chain
// vectors the node is held to are checked in tests/web/jobs_vectors.test.js.) Run: node --test tests/web/
import { test } from "node:test";
import assert from "node:assert/strict";
import * as v from "../../web/verify.js";
import { Builder, base, from, jobData, reveal, salt, testSet, tx, user } from "./jobchain.mjs";

const PERFECT = { kind: "linear", weights: [[1, 0], [0, 1]], bias: [0, 0] }; // [1,0] -> 0, [0,1] -> 1
const ALWAYS_0 = { kind: "linear", weights: [[0, 0], [0, 0]], bias: [1, 0] };

// Blocks 1-5 pay req 5 coins, 6-7 a, 8-9 b, 10-11 c 2 each; block 12 holds the JOB (bounty 5, stake 2,
// windows 2, 1, 2: commits in 13-14, the test in 15, models in 16-17, settlement in 18).
async function funded() {
  const chain = await Builder.start();
  for (const [who, n] of [["req", 5], ["a", 2], ["b", 2], ["c", 2]]) for (let i = 0; i < n; i++) await chain.mine(who);
  return chain;
}

async function scenario() {
  const chain = await funded();
  const test = await testSet([[1, 0], [0, 1]], [0, 1]);
  const models = { a: await reveal(PERFECT, salt("a1"), "a"), b: await reveal(ALWAYS_0, salt("b2"), "b"), c: await reveal(PERFECT, salt("c3"), "c") };
  const job = await user("JOB", "req", 5, { data: jobData({ test_commitment: test.commitment, stake: 2 }) });
  await chain.mine("m", [job]);
  const commit = (w) => user("JOB_COMMIT", w, 2, { job_id: job.id, model_commitment: models[w].commitment });
  return { chain, test, models, job, commit };
}

const reveals = (s, who) => Promise.all(who.map((w) => user("JOB_MODEL", w, 0, { job_id: s.job.id, data: s.models[w].data })));
const revealTest = (s) => user("JOB_TEST", "req", 0, { job_id: s.job.id, data: s.test.data });

/** The won job's chain up to its model window: b commits in 13, a then c in 14, the test in 15. */
async function toModels() {
  const s = await scenario();
  await s.chain.mine("m", [await s.commit("b")]);
  await s.chain.mine("m", [await s.commit("a"), await s.commit("c")]);
  await s.chain.mine("m", [await revealTest(s)]);
  return s;
}

async function replay(blocks) {
  return v.verifyChain(blocks, base, { nowMs: Date.now() });
}

test("won: the best score wins, a tie goes to the earliest commitment, revealed stakes come back", async () => {
  const s = await toModels();
  await s.chain.mine("m", await reveals(s, ["a", "b", "c"]));
  await s.chain.to(18, "m");
  const result = await replay(s.chain.blocks);
  assert.deepEqual(result.issues, []);
  const settle = s.chain.blocks[18].transactions[1];
  assert.equal(settle.type, "JOB_SETTLE");
  assert.deepEqual(settle.data, { outcome: "won", winner: "a", scores: [["b", 1], ["a", 2], ["c", 2]],
    payouts: [["a", 7], ["b", 2], ["c", 2]], burnt: 0 });
  const ledger = result.ledger;
  assert.deepEqual(["req", "a", "b", "c"].map((w) => ledger.balance(w)), [0, 7, 2, 2]);
  const job = ledger.jobs.get(s.job.id);
  assert.equal(job.settled_in, 18);
  assert.deepEqual(job.settlement, settle.data);
});

test("an unrevealed stake is burnt; with no model the bounty goes back to the requester", async () => {
  const s = await toModels();
  await s.chain.mine("m", await reveals(s, ["b"]));
  await s.chain.to(18, "m");
  let result = await replay(s.chain.blocks);
  assert.deepEqual(result.issues, []);
  assert.deepEqual(s.chain.blocks[18].transactions[1].data, { outcome: "won", winner: "b", scores: [["b", 1], ["a", null], ["c", null]],
    payouts: [["b", 7]], burnt: 4 });
  assert.deepEqual(["req", "a", "b", "c"].map((w) => result.ledger.balance(w)), [0, 0, 7, 0]);

  const quiet = await toModels();
  await quiet.chain.to(18, "m");
  result = await replay(quiet.chain.blocks);
  assert.deepEqual(result.issues, []);
  assert.deepEqual(quiet.chain.blocks[18].transactions[1].data, { outcome: "no_model", winner: null,
    scores: [["b", null], ["a", null], ["c", null]], payouts: [["req", 5]], burnt: 6 });
});

test("withheld: the bounty is split among the committed workers, the earliest get the remainder", async () => {
  const s = await scenario();
  await s.chain.mine("m", [await s.commit("b")]);
  await s.chain.mine("m", [await s.commit("a"), await s.commit("c")]);
  await s.chain.to(18, "m");
  const result = await replay(s.chain.blocks);
  assert.deepEqual(result.issues, []);
  // floor(5 / 3) = 1 each and 5 mod 3 = 2 more, to b and a (the first two commitments): stakes 2 back
  assert.deepEqual(s.chain.blocks[18].transactions[1].data, { outcome: "withheld", winner: null,
    scores: [["b", null], ["a", null], ["c", null]], payouts: [["a", 4], ["b", 4], ["c", 3]], burnt: 0 });
  assert.deepEqual(["req", "a", "b", "c"].map((w) => result.ledger.balance(w)), [0, 4, 4, 3]);
});

/** The chain ``blocks`` plus ``bad`` is refused at ``bad``'s index, for a reason matching ``why``. */
async function refused(blocks, bad, why) {
  const result = await replay([...blocks, bad]);
  assert.equal(result.valid, false, `accepted; expected ${why}`);
  assert.equal(result.issues[0].block_index, bad.index, result.issues[0].message);
  assert.match(result.issues[0].message, why);
}

test("JOB: refused on a protocol 2 network, when the requester cannot cover it, and as a third job settling in one block", async () => {
  const v2 = await Builder.start(2);
  for (let i = 0; i < 5; i++) await v2.mine("req");
  const job = await user("JOB", "req", 5, { data: jobData() });
  await refused(v2.blocks, await v2.mine("m", [job], { keep: false }), /only on a protocol 3 network/);

  const chain = await funded();
  await refused(chain.blocks, await chain.mine("m", [await user("JOB", "req", 6, { data: jobData() })], { keep: false }), /at least 6 to escrow/);
  const one = await user("JOB", "a", 1, { data: jobData() });
  const two = await user("JOB", "b", 1, { data: jobData() });
  const three = await user("JOB", "c", 1, { data: jobData() });
  await refused(chain.blocks, await chain.mine("m", [one, two, three], { keep: false }), /2 jobs already settle in block 18/);
  const late = await user("JOB", "c", 1, { data: jobData({ commit_blocks: 3, test_blocks: 1, model_blocks: 1 }) });
  await refused(chain.blocks, await chain.mine("m", [late], { keep: false }), /model_blocks must be 2 to 10000/);
  const flowers = await user("JOB", "c", 1, { data: jobData({ train: { flowers_to: 12 } }) });
  await refused(chain.blocks, await chain.mine("m", [flowers], { keep: false }), /flowers_to must be a height/);
});

test("JOB_COMMIT: its window, one per worker, max_commits, not the requester, the stake, covered", async () => {
  const s = await scenario();
  const at13 = s.chain.blocks;
  const again = await s.commit("a");
  await refused(at13, await s.chain.mine("m", [await s.commit("a"), again], { keep: false }), /a has already committed/);
  await refused(at13, await s.chain.mine("m", [await user("JOB_COMMIT", "req", 2, { job_id: s.job.id, model_commitment: salt("11") })], { keep: false }), /requester may not commit/);
  await refused(at13, await s.chain.mine("m", [await user("JOB_COMMIT", "a", 1, { job_id: s.job.id, model_commitment: salt("11") })], { keep: false }), /must lock the job's stake 2; got 1/);
  await refused(at13, await s.chain.mine("m", [await user("JOB_COMMIT", "nobody", 2, { job_id: s.job.id, model_commitment: salt("11") })], { keep: false }), /nobody must have at least 2 to stake/);
  await refused(at13, await s.chain.mine("m", [await user("JOB_COMMIT", "a", 2, { job_id: salt("ee"), model_commitment: salt("11") })], { keep: false }), /must name a JOB/);
  // max_commits: a job that takes 2
  const chain = await funded();
  const small = await user("JOB", "req", 1, { data: jobData({ max_commits: 2, stake: 1 }) });
  await chain.mine("m", [small]);
  const c = (w) => user("JOB_COMMIT", w, 1, { job_id: small.id, model_commitment: salt("22") });
  await refused(chain.blocks, await chain.mine("m", [await c("a"), await c("b"), await c("c")], { keep: false }), /at most 2 commitments/);
  // outside the window: block 15 is the test window
  await s.chain.to(14, "m");
  await refused(s.chain.blocks, await s.chain.mine("m", [await s.commit("a")], { keep: false }), /commitment of this job must be in blocks 13 to 14/);
});

test("JOB_TEST: only the requester, in its window, once, matching its commitment and the job's shape", async () => {
  const s = await scenario();
  await s.chain.mine("m", [await s.commit("a")]);
  await refused(s.chain.blocks, await s.chain.mine("m", [await revealTest(s)], { keep: false }), /test reveal of this job must be in blocks 15 to 15/);
  await s.chain.to(14, "m");
  const at15 = s.chain.blocks;
  await refused(at15, await s.chain.mine("m", [await user("JOB_TEST", "a", 0, { job_id: s.job.id, data: s.test.data })], { keep: false }), /only the job's requester/);
  const other = { ...s.test.data, labels: [1, 1] };
  await refused(at15, await s.chain.mine("m", [await user("JOB_TEST", "req", 0, { job_id: s.job.id, data: other })], { keep: false }), /not the job's test_commitment/);
  const short = { ...s.test.data, rows: [[1, 0]], labels: [0] };
  await refused(at15, await s.chain.mine("m", [await user("JOB_TEST", "req", 0, { job_id: s.job.id, data: short })], { keep: false }), /the job's 2 test rows/);
  await refused(at15, await s.chain.mine("m", [await revealTest(s), await user("JOB_TEST", "req", 0, { job_id: s.job.id, data: s.test.data })], { keep: false }), /already revealed/);
});

test("JOB_MODEL: after the test, by a committed worker, once, well formed, matching its commitment", async () => {
  const s = await scenario();
  await s.chain.mine("m", [await s.commit("a")]);
  await s.chain.mine("m", [await s.commit("b")]);
  await s.chain.mine("m"); // block 15: the test withheld
  await refused(s.chain.blocks, await s.chain.mine("m", await reveals(s, ["a"]), { keep: false }), /only after the job's test set/);
  const t = await toModels();
  const at16 = t.chain.blocks;
  const otherSalt = { model: PERFECT, salt: salt("ff") };
  await refused(at16, await t.chain.mine("m", [await user("JOB_MODEL", "a", 0, { job_id: t.job.id, data: otherSalt })], { keep: false }), /not its commitment/);
  await refused(at16, await t.chain.mine("m", [await user("JOB_MODEL", "a", 0, { job_id: t.job.id, data: t.models.b.data })], { keep: false }), /are b's .* a commitment binds its worker/);
  await refused(at16, await t.chain.mine("m", [await user("JOB_MODEL", "z", 0, { job_id: t.job.id, data: t.models.a.data })], { keep: false }), /z has no commitment/);
  const [a] = await reveals(t, ["a"]);
  await refused(at16, await t.chain.mine("m", [a, await user("JOB_MODEL", "a", 0, { job_id: t.job.id, data: t.models.a.data })], { keep: false }), /already revealed/);
  const tree = { data: { model: { kind: "tree", nodes: [[0]] }, salt: salt("a1") } };
  await refused(at16, await t.chain.mine("m", [await user("JOB_MODEL", "a", 0, { job_id: t.job.id, ...tree })], { keep: false }), /the model: a linear model has exactly the keys/);
  await t.chain.to(17, "m");
  await refused(t.chain.blocks, await t.chain.mine("m", [a], { keep: false }), /model reveal of this job must be in blocks 16 to 17/);
});

test("a copycat: c copies a's commitment and is ordered first; its replay of a's reveal is refused, its stake burnt", async () => {
  const s = await scenario();
  const copied = await user("JOB_COMMIT", "c", 2, { job_id: s.job.id, model_commitment: s.models.a.commitment });
  await s.chain.mine("m", [copied, await s.commit("a")]); // block 13: the copy at position 1, the original at 2
  await s.chain.mine("m");
  await s.chain.mine("m", [await revealTest(s)]);
  const replayed = await user("JOB_MODEL", "c", 0, { job_id: s.job.id, data: s.models.a.data });
  await refused(s.chain.blocks, await s.chain.mine("m", [replayed], { keep: false }),
    /the model and salt are a's \(they open its commitment\): a commitment binds its worker, so c cannot open a copy of it/);
  await refused(s.chain.blocks, await s.chain.mine("m", [...(await reveals(s, ["a"])), replayed], { keep: false }), /a commitment binds its worker/);
  await s.chain.mine("m", await reveals(s, ["a"]));
  await s.chain.to(18, "m");
  const result = await replay(s.chain.blocks);
  assert.deepEqual(result.issues, []);
  assert.deepEqual(s.chain.blocks[18].transactions[1].data, { outcome: "won", winner: "a", scores: [["c", null], ["a", 2]],
    payouts: [["a", 7]], burnt: 2 });
  assert.deepEqual(["a", "c"].map((w) => result.ledger.balance(w)), [7, 0]);
});

test("JOB_SETTLE: missing, wrong, in a block where no job settles, and after a user transaction are refused", async () => {
  const s = await toModels();
  await s.chain.mine("m", await reveals(s, ["a", "b", "c"]));
  await s.chain.to(17, "m");
  const at18 = s.chain.blocks;
  await refused(at18, await s.chain.mine("m", [], { settles: [], keep: false }), /block 18 must settle job/);
  const [honest] = await s.chain.dueSettles();
  const body = { ...honest, data: { ...honest.data, winner: "c", payouts: [["a", 2], ["b", 2], ["c", 7]] } };
  delete body.id;
  await refused(at18, await s.chain.mine("m", [], { settles: [await tx(body)], keep: false }), /must be this chain's settlement/);
  const spend = await tx({ type: "TRANSFER", sender: "m", recipient: "q", amount: 1, timestamp_ms: 5 });
  await refused(at18, await s.chain.mine("m", [spend, honest], { settles: [], keep: false }), /a JOB_SETTLE may not stand here/);
  const early = await from(at18.slice(0, 17));
  const stray = { ...honest, block_index: 17 };
  delete stray.id;
  await refused(early.blocks, await early.mine("m", [], { settles: [await tx(stray)], keep: false }), /no job settles in block 17/);
});

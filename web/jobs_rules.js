// Training jobs in the page's verifier (PROTOCOL.md "Version 3: training jobs"): the rules of the five
// transaction types, the job tables a replay keeps, and the settlement check that recomputes every
// JOB_SETTLE from the chain with web/kinds.js (the model kinds' exact integer scores).
//
// web/verify.js puts JOB_RULES into its RULES table (one entry per type, the same shape as the
// others: keys, user, check, problem, apply), calls jobEffects() when it starts a block's effects,
// settlementsProblem() once the block's JOB_SETTLEs are applied, and commitJobs() when the whole
// block is valid. This module does not import verify.js (no cycle); it follows the protocol text.

import { canon, checkReveal, checkTestSet, jobProblem, modelCommitment, score, settle, testCommitment, windows } from "./kinds.js";

export const MAX_SETTLE_PER_BLOCK = 2;
const MAX_AMOUNT = 10 ** 12;
const HEX64 = /^[0-9a-f]{64}$/;
const USER_KEYS = ["type", "sender", "recipient", "amount", "timestamp_ms"];
const NODE_KEYS = ["type", "sender", "recipient", "amount", "block_index"];
const SETTLE_KEYS = ["burnt", "outcome", "payouts", "scores", "winner"];

const isInt = (v) => typeof v === "number" && Number.isSafeInteger(v);
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const sameKeys = (obj, keys) => {
  const have = Object.keys(obj).sort();
  return have.length === keys.length && have.every((k, j) => k === keys[j]);
};

// -- what each body meets on its own ------------------------------------------------------------

function toModel(body, fail) {
  if (body.recipient !== "MODEL") fail(`a ${body.type} must have recipient "MODEL"`);
}

function namesJob(body, fail) {
  if (typeof body.job_id !== "string" || !HEX64.test(body.job_id)) fail("job_id must be 64 lowercase hex characters");
}

function revealBody(body, fail) {
  toModel(body, fail);
  if (body.amount !== 0) fail(`a ${body.type} must have amount 0`);
  namesJob(body, fail);
  if (!isObject(body.data)) fail(`a ${body.type}'s data must be an object`);
}

// -- against the chain ------------------------------------------------------------------------

const v3Only = (b) => (b.params.protocol === 3 ? null : "training jobs exist only on a protocol 3 network");

/** The job's F, C and T, and its windows (PROTOCOL.md "Windows"). */
export function jobShape(job) {
  const d = job.data;
  return { features: d.features.length, classes: d.classes.length, rows: d.test_rows, w: job.windows };
}

/** Why a block at ``b.index`` is outside [first, last] of a job's step ``what``, or null. */
function outside(b, first, last, what) {
  return b.index < first || b.index > last ? `a ${what} of this job must be in blocks ${first} to ${last}; this is block ${b.index}` : null;
}

/** The JOB_SETTLE data of a job as the chain up to its model window gives it (kinds.js scores, kinds.js settle). */
export function settlementOf(job) {
  const test = job.test;
  const commitments = job.commitments.map((c) => [c.worker, c.height, c.position,
    c.revealed && test ? score(c.model, test.rows, test.labels) : null]);
  return settle(job.requester, job.bounty, job.data.stake, test !== null, commitments);
}

export const JOB_RULES = {
  JOB: {
    keys: [...USER_KEYS, "data"], user: true,
    check(body, fail) {
      toModel(body, fail);
      if (body.amount < 1 || body.amount > MAX_AMOUNT) fail(`a JOB's bounty (amount) must be from 1 to ${MAX_AMOUNT}`);
      if (!isObject(body.data)) fail("a JOB's data must be an object");
    },
    problem(b, tx) {
      const why = v3Only(b) || jobProblem(tx.data, b.params.classes, b.index);
      if (why) return why;
      const w = windows(b.index, tx.data.commit_blocks, tx.data.test_blocks, tx.data.model_blocks);
      if (b.settlesAt(w.settle) >= MAX_SETTLE_PER_BLOCK) return `${MAX_SETTLE_PER_BLOCK} jobs already settle in block ${w.settle}`;
      if (b.balance(tx.sender) < tx.amount) return `${tx.sender} must have at least ${tx.amount} to escrow; has ${b.balance(tx.sender)}`;
      return null;
    },
    apply(b, tx) {
      const d = tx.data;
      b.credit(tx.sender, -tx.amount);
      b.putJob(tx.id, { id: tx.id, height: b.index, position: b.position, requester: tx.sender, bounty: tx.amount, data: d,
        windows: windows(b.index, d.commit_blocks, d.test_blocks, d.model_blocks), commitments: [], test: null,
        settlement: null, settled_in: null });
      b.newSettling.push(tx.id);
    },
  },
  JOB_COMMIT: {
    keys: [...USER_KEYS, "job_id", "model_commitment"], user: true,
    check(body, fail) {
      toModel(body, fail);
      if (body.amount < 1 || body.amount > MAX_AMOUNT) fail(`a JOB_COMMIT's stake (amount) must be from 1 to ${MAX_AMOUNT}`);
      namesJob(body, fail);
      if (typeof body.model_commitment !== "string" || !HEX64.test(body.model_commitment)) fail("model_commitment must be 64 lowercase hex characters");
    },
    problem(b, tx) {
      const job = b.job(tx.job_id);
      const why = v3Only(b) || (job ? null : "job_id must name a JOB on the chain");
      if (why) return why;
      const { w } = jobShape(job);
      const late = outside(b, w.commit_first, w.commit_last, "commitment");
      if (late) return late;
      if (tx.sender === job.requester) return "the requester may not commit to its own job (under this address)";
      if (job.commitments.some((c) => c.worker === tx.sender)) return `${tx.sender} has already committed to this job`;
      if (job.commitments.length >= job.data.max_commits) return `this job takes at most ${job.data.max_commits} commitments`;
      if (tx.amount !== job.data.stake) return `a commitment must lock the job's stake ${job.data.stake}; got ${tx.amount}`;
      if (b.balance(tx.sender) < tx.amount) return `${tx.sender} must have at least ${tx.amount} to stake; has ${b.balance(tx.sender)}`;
      return null;
    },
    apply(b, tx) {
      const job = b.job(tx.job_id);
      b.credit(tx.sender, -tx.amount);
      const commitment = { worker: tx.sender, model_commitment: tx.model_commitment, height: b.index, position: b.position,
        revealed: false, model: null };
      b.putJob(job.id, { ...job, commitments: [...job.commitments, commitment] });
    },
  },
  JOB_TEST: {
    keys: [...USER_KEYS, "job_id", "data"], user: true, check: revealBody,
    async problem(b, tx) {
      const job = b.job(tx.job_id);
      const why = v3Only(b) || (job ? null : "job_id must name a JOB on the chain");
      if (why) return why;
      const { features, classes, rows, w } = jobShape(job);
      const late = outside(b, w.test_first, w.test_last, "test reveal");
      if (late) return late;
      if (tx.sender !== job.requester) return "only the job's requester may reveal its test set";
      if (job.test !== null) return "this job's test set is already revealed";
      const bad = checkTestSet(tx.data, features, classes, rows);
      if (bad) return `the test set: ${bad}`;
      const hash = await testCommitment(tx.data.rows, tx.data.labels, tx.data.salt);
      if (hash !== job.data.test_commitment) return `the test set hashes to ${hash}, not the job's test_commitment ${job.data.test_commitment}`;
      return null;
    },
    apply(b, tx) {
      const job = b.job(tx.job_id);
      b.putJob(job.id, { ...job, test: tx.data });
    },
  },
  JOB_MODEL: {
    keys: [...USER_KEYS, "job_id", "data"], user: true, check: revealBody,
    async problem(b, tx) {
      const job = b.job(tx.job_id);
      const why = v3Only(b) || (job ? null : "job_id must name a JOB on the chain");
      if (why) return why;
      const { features, classes, w } = jobShape(job);
      const late = outside(b, w.model_first, w.model_last, "model reveal");
      if (late) return late;
      if (job.test === null) return "a model may be revealed only after the job's test set";
      const mine = job.commitments.find((c) => c.worker === tx.sender);
      if (!mine) return `${tx.sender} has no commitment in this job`;
      if (mine.revealed) return `${tx.sender} has already revealed its model`;
      const bad = checkReveal(job.data.kind, tx.data, features, classes);
      if (bad) return `the model: ${bad}`;
      // The commitment binds its worker: H(canon({model, salt, worker: the sender})).
      const hash = await modelCommitment(tx.data.model, tx.data.salt, tx.sender);
      if (hash === mine.model_commitment) return null;
      for (const c of job.commitments) {
        if (c.worker !== tx.sender && (await modelCommitment(tx.data.model, tx.data.salt, c.worker)) === c.model_commitment) {
          return `the model and salt are ${c.worker}'s (they open its commitment): a commitment binds its worker, so ${tx.sender} cannot open a copy of it`;
        }
      }
      return `the model hashes (with the sender ${tx.sender}) to ${hash}, not its commitment ${mine.model_commitment}`;
    },
    apply(b, tx) {
      const job = b.job(tx.job_id);
      const commitments = job.commitments.map((c) => (c.worker === tx.sender ? { ...c, revealed: true, model: tx.data.model } : c));
      b.putJob(job.id, { ...job, commitments });
    },
  },
  JOB_SETTLE: {
    keys: [...NODE_KEYS, "job_id", "data"], user: false,
    check(body, fail) {
      if (body.sender !== "MODEL" || body.recipient !== "MODEL" || body.amount !== 0) fail('a JOB_SETTLE must have sender and recipient "MODEL" and amount 0');
      if (!isInt(body.block_index) || body.block_index < 0) fail("block_index must be a non-negative integer");
      namesJob(body, fail);
      if (!isObject(body.data) || !sameKeys(body.data, SETTLE_KEYS)) fail(`a JOB_SETTLE's data must have exactly ${SETTLE_KEYS.join(", ")}`);
    },
    problem(b, tx) {
      const due = b.due, next = due[b.settledHere.length];
      if (next === undefined) return due.length ? `block ${b.index} settles ${due.length} job(s); this JOB_SETTLE is one too many` : `no job settles in block ${b.index}`;
      if (tx.job_id !== next) return `the next JOB_SETTLE of block ${b.index} must be job ${next}'s (in the order of their JOBs)`;
      if (tx.block_index !== b.index) return `the JOB_SETTLE's block_index must be ${b.index}`;
      const own = canon(settlementOf(b.job(next)));
      if (own !== canon(tx.data)) return `the JOB_SETTLE must be this chain's settlement ${own}; got ${canon(tx.data)}`;
      return null;
    },
    apply(b, tx) {
      for (const [address, amount] of tx.data.payouts) b.credit(address, amount);
      const job = b.job(tx.job_id);
      b.putJob(job.id, { ...job, settlement: tx.data, settled_in: b.index });
      b.settledHere.push(job.id);
    },
  },
};

// -- a block's job effects, on copies (nothing reaches the ledger unless the whole block is valid) --

/** Add the job tables to a block's effects ``b`` over ``ledger`` (ledger.jobs: id -> job;
 * ledger.settling: height -> the ids of the jobs that settle there, in the order of their JOBs). */
export function jobEffects(ledger, b) {
  const jobs = new Map();
  Object.assign(b, {
    position: 0,                                 // set by the block's loop: the transaction's place in the block
    newSettling: [], settledHere: [],
    due: ledger.settling.get(b.index) || [],    // the jobs whose settlement is this block's
    job: (id) => jobs.get(id) || ledger.jobs.get(id) || null,
    putJob: (id, job) => { jobs.set(id, job); },
    settlesAt: (h) => (ledger.settling.get(h) || []).length + b.newSettling.filter((id) => jobs.get(id).windows.settle === h).length,
    jobsChanged: jobs,
  });
}

/** Why the block's JOB_SETTLEs (all applied by now) are not every job due here, or null. */
export function settlementsProblem(b) {
  const missing = b.due.slice(b.settledHere.length);
  return missing.length ? `block ${b.index} must settle job ${missing[0]} with a JOB_SETTLE right after its REWARD` : null;
}

/** Write a valid block's job effects into the ledger. */
export function commitJobs(ledger, b) {
  for (const [id, job] of b.jobsChanged) ledger.jobs.set(id, job);
  for (const id of b.newSettling) {
    const h = ledger.jobs.get(id).windows.settle;
    ledger.settling.set(h, [...(ledger.settling.get(h) || []), id]);
  }
}

/** How many JOB_SETTLE transactions lead the block's list after its REWARD (they stand nowhere else). */
export function leadingSettles(txs) {
  let n = 0;
  while (1 + n < txs.length && txs[1 + n].type === "JOB_SETTLE") n++;
  return n;
}

/** A job as the node's GET /jobs/<id> shows it (docs/jobs.md), from a replayed ledger whose tip is
 * at ``tipHeight``: state from the next block's height n = tip + 1. */
export function jobView(job, tipHeight) {
  const w = job.windows, n = tipHeight + 1;
  const state = job.settlement ? "settled" : n <= w.commit_last ? "commit" : n <= w.test_last ? "test"
    : n <= w.model_last ? "model" : "settling";
  const models = {};
  for (const c of job.commitments) if (c.revealed) models[c.worker] = c.model;
  return { id: job.id, height: job.height, requester: job.requester, bounty: job.bounty, data: job.data,
    windows: { commit: [w.commit_first, w.commit_last], test: [w.test_first, w.test_last], model: [w.model_first, w.model_last],
      settle: w.settle },
    state,
    commitments: job.commitments.map((c) => ({ worker: c.worker, model_commitment: c.model_commitment, height: c.height,
      position: c.position, revealed: c.revealed })),
    test: job.test, models, settlement: job.settlement, settled_in: job.settled_in };
}

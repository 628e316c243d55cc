// The page verifier's chain replay (PROTOCOL.md "Blocks", "Genesis", "Balances", "Deposits and
// claims", and version 3's difficulty and training jobs): makeGenesis, the Ledger a chain implies,
// applyBlock (a block's header, proof of work, order and size rules, then its transactions' effects
// on copies, committed only when the whole block is valid) and verifyChain, which replays a chain
// from genesis and names the first invalid block. Part of web/verify.js, which re-exports it.

import { judge, votersOf } from "./claims.js"; // the draft version 3's claim rule
import { blockWork, headerProblem, meetsDifficulty as meetsTarget, paramsProblem } from "./difficulty.js"; // version 3's difficulty
import { MAX_SETTLE_PER_BLOCK, commitJobs, jobEffects, leadingSettles, settlementsProblem } from "./jobs_rules.js"; // version 3's training jobs
import { H, ProtocolError, blockHash, canon, checkValue, headerOf, meetsDifficulty, merkleRoot } from "./encoding.js";
import { K, Model } from "./model.js";
import { HEX64, RULES, checkTransaction, isInt, sameKeys } from "./transactions.js";

const encoder = new TextEncoder();

export const MAX_USER_TRANSACTIONS = 1000;
export const MAX_BLOCK_BYTES = 1_000_000;
export const MAX_FUTURE_MS = 2 * 60 * 60 * 1000;
const BLOCK_KEYS = ["difficulty", "hash", "index", "merkle_root", "nonce", "previous_hash", "timestamp_ms", "transactions"];

// -- genesis -----------------------------------------------------------------------------------

// ``lastNonce``: search no further (a verifier passes the nonce of the block 0 it was given, so a
// declared difficulty it cannot afford is refused instead of searched); null when none meets it.
export async function makeGenesis(params, model, onProgress, lastNonce = Infinity) {
  const genesisTx = { type: "GENESIS", sender: "0", recipient: "MODEL", amount: 0, params };
  genesisTx.id = await H(canon(genesisTx));
  const update = { type: "MODEL_UPDATE", sender: "MODEL", recipient: "MODEL", amount: 0, block_index: 0, data: model.summary() };
  update.id = await H(canon(update));
  const transactions = [genesisTx, update];
  const block = { index: 0, timestamp_ms: 0, previous_hash: "0".repeat(64), difficulty: params.difficulty,
    merkle_root: await merkleRoot(transactions.map((t) => t.id)), transactions, nonce: 0, hash: "" };
  const prefix = canon(headerOf(block)) + ":";
  const meets = params.protocol === 3 ? (h) => meetsTarget(h, params.difficulty) : (h) => meetsDifficulty(h, params.difficulty);
  for (let nonce = 0; nonce <= lastNonce; nonce++) { // the smallest nonce that meets the difficulty
    const hash = await H(prefix + String(nonce));
    if (meets(hash)) { block.nonce = nonce; block.hash = hash; return block; }
    if (onProgress && nonce % 4096 === 0) onProgress({ phase: "genesis", nonce });
  }
  return null;
}

// -- the chain ---------------------------------------------------------------------------------

/** What a chain implies: balances, deposits, good counts, the model, and every id on it. */
export class Ledger {
  constructor(params, model) {
    this.params = params;
    this.model = model;
    this.balances = new Map();
    this.flowers = new Map();
    this.good = new Map();
    this.totalGood = 0;
    this.ids = new Set();
    this.tip = null;
    this.updates = [];
    this.ancestors = []; // [timestamp_ms, difficulty] by height (version 3's retarget reads them)
    this.work = 0n; // the chain's cumulative work: v3 the sum of the difficulties, v2 16^difficulty a block
    this.jobs = new Map(); // v3 training jobs: JOB id -> the job (web/jobs_rules.js)
    this.settling = new Map(); // height -> the ids of the jobs that settle there, in JOB order
  }

  balance(a) { return this.balances.get(a) || 0; }
}

function issueOf(index, e) {
  return { block_index: index, tx_id: e.txId || null, message: e.message };
}

/** The effects of one block's transactions so far, over a ledger that stays unchanged: what the
 * rules (RULES) read and change. */
function blockEffects(ledger, index) {
  const balances = new Map(), flowers = new Map(), good = new Map(), loo = new Map(), verdicts = new Map();
  let voters = null; // v3: the same for every claim of the block
  const b = {
    index, params: ledger.params, balances, flowers, good, totalGood: ledger.totalGood, rows: ledger.model.size,
    newRows: [], newLabels: [],
    balance: (a) => (balances.has(a) ? balances.get(a) : ledger.balance(a)),
    credit: (a, amount) => { balances.set(a, b.balance(a) + amount); },
    flower: (id) => flowers.get(id) || ledger.flowers.get(id),
    putFlower: (id, f) => { flowers.set(id, f); },
    goodOf: (a) => (good.has(a) ? good.get(a) : ledger.good.get(a) || 0),
    addGood: (a) => { good.set(a, b.goodOf(a) + 1); b.totalGood += 1; },
    addRow: (features, label) => { b.newRows.push(features); b.newLabels.push(label); b.rows += 1; return b.rows - 1; },
    predict: (row) => { if (!loo.has(row)) loo.set(row, ledger.model.looPredict(row)); return loo.get(row); },
    /** v3: the panel that judges ``flower`` in this block; null in protocol 2 (the leave-one-out vote). */
    verdict: (flower) => {
      if (ledger.params.protocol < 3) return null;
      if (!verdicts.has(flower.row)) {
        voters = voters || votersOf(ledger, index);
        verdicts.set(flower.row, judge(ledger.model, ledger.model.rows[flower.row], ledger.model.labels[flower.row], voters, K));
      }
      return verdicts.get(flower.row);
    },
  };
  jobEffects(ledger, b);
  return b;
}

/** Check ``block`` on top of ``ledger``'s tip and apply it; throws ProtocolError when invalid. */
export async function applyBlock(ledger, block, nowMs) {
  if (block === null || typeof block !== "object" || Array.isArray(block)) throw new ProtocolError("a block must be an object");
  if (!sameKeys(block, BLOCK_KEYS)) throw new ProtocolError(`a block must have exactly the fields ${BLOCK_KEYS.join(", ")}`);
  const header = { ...block };
  delete header.transactions;
  checkValue(header, "block");
  for (const name of ["index", "difficulty", "timestamp_ms", "nonce"]) {
    if (!isInt(block[name]) || block[name] < 0) throw new ProtocolError(`${name} must be a non-negative integer; got ${JSON.stringify(block[name])}`);
  }
  for (const name of ["previous_hash", "merkle_root", "hash"]) {
    if (typeof block[name] !== "string" || !HEX64.test(block[name])) throw new ProtocolError(`${name} must be 64 lowercase hex characters`);
  }
  if (!Array.isArray(block.transactions)) throw new ProtocolError("transactions must be a list");
  const most = MAX_USER_TRANSACTIONS + 2 + MAX_SETTLE_PER_BLOCK; // the REWARD, the JOB_SETTLEs, the MODEL_UPDATE
  if (block.transactions.length > most) throw new ProtocolError(`a block holds at most ${most} transactions`);
  for (const tx of block.transactions) await checkTransaction(tx);
  const parent = ledger.tip;
  const D = ledger.params.difficulty;
  if (block.index !== parent.index + 1) throw new ProtocolError(`index must be ${parent.index + 1}; got ${block.index}`);
  if (block.previous_hash !== parent.hash) throw new ProtocolError(`previous_hash must be the parent's hash ${parent.hash}`);
  const v3 = ledger.params.protocol === 3;
  if (!v3 && block.difficulty !== D) throw new ProtocolError(`difficulty must be the network's ${D}; got ${block.difficulty}`);
  const real = await blockHash(block);
  if (real !== block.hash) throw new ProtocolError(`hash must be ${real} (recomputed from the header and nonce); got ${block.hash}`);
  if (v3) { // PROTOCOL.md "Version 3: difficulty": required difficulty, hash at most its target, median time past, the future
    const problem = headerProblem(block, block.hash, ledger.ancestors, ledger.params, nowMs == null ? Number.MAX_SAFE_INTEGER : nowMs);
    if (problem !== null) throw new ProtocolError(problem);
  } else {
    if (!meetsDifficulty(block.hash, D)) throw new ProtocolError(`hash must start with ${D} hex zeros`);
    if (block.timestamp_ms < parent.timestamp_ms) throw new ProtocolError(`timestamp_ms must be >= the parent's ${parent.timestamp_ms}`);
    if (nowMs != null && block.timestamp_ms > nowMs + MAX_FUTURE_MS) throw new ProtocolError("timestamp_ms must be at most 2 hours ahead of this clock");
  }
  const root = await merkleRoot(block.transactions.map((t) => t.id));
  if (root !== block.merkle_root) throw new ProtocolError(`merkle_root must be ${root}; got ${block.merkle_root}`);
  const txs = block.transactions;
  const types = txs.map((t) => t.type);
  if (types[0] !== "REWARD") throw new ProtocolError("the first transaction must be the block's one REWARD");
  if (txs[0].block_index !== block.index) throw new ProtocolError(`the REWARD's block_index must be ${block.index}`, txs[0].id);
  const hasFlower = types.includes("FLOWER_DATA");
  const endsWithUpdate = types[types.length - 1] === "MODEL_UPDATE" && txs.length > 1;
  if (hasFlower && !endsWithUpdate) throw new ProtocolError("a block with FLOWER_DATA must end with one MODEL_UPDATE");
  if (!hasFlower && types.includes("MODEL_UPDATE")) throw new ProtocolError("a block without FLOWER_DATA must not hold a MODEL_UPDATE");
  const first = 1 + leadingSettles(txs); // the JOB_SETTLEs stand right after the REWARD
  const middle = txs.slice(first, endsWithUpdate ? -1 : undefined);
  for (const tx of middle) if (!RULES[tx.type]?.user) throw new ProtocolError(`a ${tx.type} may not stand here`, tx.id);
  if (nowMs != null) {
    for (const tx of middle) {
      if (tx.timestamp_ms > nowMs + MAX_FUTURE_MS) throw new ProtocolError("a user transaction's timestamp_ms must be at most 2 hours ahead of this clock", tx.id);
    }
  }
  if (middle.length > MAX_USER_TRANSACTIONS) throw new ProtocolError("a block holds at most 1000 user transactions");
  if (encoder.encode(canon(block)).length > MAX_BLOCK_BYTES) throw new ProtocolError("canon(block) must be at most 1,000,000 bytes");
  const seen = new Set();
  for (const tx of txs) {
    if (ledger.ids.has(tx.id) || seen.has(tx.id)) throw new ProtocolError("this transaction is already on the chain", tx.id);
    seen.add(tx.id);
  }
  // Effects, in block order, on copies: nothing changes unless the whole block is valid.
  const b = blockEffects(ledger, block.index);
  for (let position = 0; position < first + middle.length; position++) {
    const tx = txs[position];
    const rule = RULES[tx.type];
    b.position = position;
    const why = await rule.problem(b, tx);
    if (why) throw new ProtocolError(why, tx.id);
    rule.apply(b, tx);
    if (position === first - 1) {
      const missing = settlementsProblem(b);
      if (missing) throw new ProtocolError(missing);
    }
  }
  if (hasFlower) {
    const update = txs[txs.length - 1];
    if (update.block_index !== block.index) throw new ProtocolError(`the MODEL_UPDATE's block_index must be ${block.index}`, update.id);
    const before = { rows: ledger.model.rows.length, labels: ledger.model.labels.length, hash: ledger.model.hash,
      neighbours: ledger.model.neighbours.map((l) => l.map((x) => [...x])) };
    await ledger.model.addBlock(b.newRows, b.newLabels);
    const own = ledger.model.summary();
    if (canon(own) !== canon(update.data)) {
      Object.assign(ledger.model, { hash: before.hash, neighbours: before.neighbours });
      ledger.model.rows.length = before.rows;
      ledger.model.labels.length = before.labels;
      throw new ProtocolError(`the MODEL_UPDATE must be this chain's model ${canon(own)}; got ${canon(update.data)}`, update.id);
    }
    ledger.updates.push({ block_index: block.index, ...own });
  }
  for (const [a, v] of b.balances) ledger.balances.set(a, v);
  for (const [id, f] of b.flowers) ledger.flowers.set(id, f);
  for (const [a, v] of b.good) ledger.good.set(a, v);
  ledger.totalGood = b.totalGood;
  commitJobs(ledger, b);
  for (const tx of txs) ledger.ids.add(tx.id);
  ledger.tip = { index: block.index, hash: block.hash, timestamp_ms: block.timestamp_ms };
  addWork(ledger, block);
}

function addWork(ledger, block) {
  ledger.ancestors.push([block.timestamp_ms, block.difficulty]);
  ledger.work += ledger.params.protocol === 3 ? blockWork(block.difficulty) : 1n << BigInt(4 * block.difficulty);
}

/** Replay ``blocks`` (parsed with parseStrict) from genesis against the network's ``base`` data.
 * Returns {valid, length, model_hash, issues: [{block_index, tx_id, message}], ledger}. */
export async function verifyChain(blocks, base, { nowMs = Date.now(), onProgress = null } = {}) {
  const result = { valid: false, length: blocks.length, model_hash: null, issues: [], ledger: null };
  const bad = (index, e) => { result.issues.push(issueOf(index, e)); return result; };
  if (!blocks.length) return bad(null, new ProtocolError("a chain must hold at least the genesis block"));
  let model;
  try { checkValue(base, "base"); model = await Model.fromBase(base); } catch (e) { return bad(0, new ProtocolError(`the base data cannot be used: ${e.message}`)); }
  const first = blocks[0];
  const declared = first && Array.isArray(first.transactions) && first.transactions[0] && first.transactions[0].params;
  if (!declared || typeof declared !== "object") return bad(0, new ProtocolError("block 0 must be a genesis block with a GENESIS transaction and its params"));
  if (declared.base_hash !== model.baseHash) return bad(0, new ProtocolError(`block 0 declares base data ${String(declared.base_hash).slice(0, 16)}..., not ${model.baseHash.slice(0, 16)}...`));
  if (declared.protocol !== 2 && declared.protocol !== 3) return bad(0, new ProtocolError(`block 0 declares protocol ${declared.protocol}; this verifier checks 2 and the draft 3`));
  const params = { protocol: declared.protocol, difficulty: declared.difficulty, base_hash: model.baseHash, classes: base.classes, k: K,
    weights: model.weights, min_deposit: declared.min_deposit, refund_wait: declared.refund_wait };
  const v3 = declared.protocol === 3;
  if (v3) { // the retarget's params (PROTOCOL.md "Version 3: difficulty"); difficulty in hashes a block
    for (const key of ["target_block_ms", "retarget_every", "min_difficulty"]) params[key] = declared[key];
  }
  if (!isInt(params.difficulty) || params.difficulty < 1 || params.difficulty > (v3 ? Number.MAX_SAFE_INTEGER : 32) || !isInt(params.min_deposit) || params.min_deposit < 0
      || !isInt(params.refund_wait) || params.refund_wait < 1 || (v3 && paramsProblem(params) !== null)) {
    return bad(0, new ProtocolError("block 0 declares params that cannot be used"));
  }
  const genesis = await makeGenesis(params, model, onProgress, isInt(first.nonce) ? first.nonce : -1);
  if (genesis === null) return bad(0, new ProtocolError("block 0 must be this network's genesis (no nonce up to its own meets the difficulty)"));
  if (canon(genesis) !== (() => { try { checkValue(first); return canon(first); } catch (e) { return null; } })()) {
    return bad(0, new ProtocolError(`block 0 must be this network's genesis (hash ${genesis.hash}); got hash ${first.hash}`));
  }
  const ledger = new Ledger(params, model);
  ledger.tip = { index: 0, hash: genesis.hash, timestamp_ms: 0 };
  addWork(ledger, genesis);
  for (const tx of genesis.transactions) ledger.ids.add(tx.id);
  ledger.updates.push({ block_index: 0, ...model.summary() });
  result.ledger = ledger;
  for (let position = 1; position < blocks.length; position++) {
    const block = blocks[position];
    try {
      await applyBlock(ledger, block, nowMs);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      const index = block && isInt(block.index) ? block.index : position;
      return bad(index, e);
    }
    if (onProgress && position % 100 === 0) onProgress({ phase: "blocks", done: position, total: blocks.length });
  }
  result.valid = true;
  result.model_hash = model.hash;
  return result;
}

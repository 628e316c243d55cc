// PROTOCOL.md version 2, a second implementation, in JavaScript, for the browser and Node.js.
//
// It shares no code with the Python node: it follows the protocol text alone, and is held to the
// same vectors (tests/web/verify.test.js runs it under `node --test` against every value and
// invalid variant of tests/vectors/protocol-v2.json). SHA-256 and Ed25519 come from WebCrypto.
//
// verifyChain(blocks, base) replays a chain from genesis: every value rule, id, signature, Merkle
// root, header, proof of work, the order and size rules, balances, deposits and claims, and the
// integer KNN with test_correct and the model hash chain. It stops at the first invalid block and
// names it (and the transaction, when one is to blame).

import { judge, votersOf } from "./claims.js"; // the draft version 3's claim rule
import { blockWork, headerProblem, meetsDifficulty as meetsTarget, paramsProblem } from "./difficulty.js"; // version 3's difficulty
import { JOB_RULES, MAX_SETTLE_PER_BLOCK, commitJobs, jobEffects, leadingSettles, settlementsProblem } from "./jobs_rules.js"; // version 3's training jobs

const subtle = globalThis.crypto.subtle;
const encoder = new TextEncoder();

export const MAX_SAFE = 2 ** 53 - 1;
export const MAX_AMOUNT = 10 ** 12;
export const MAX_USER_TRANSACTIONS = 1000;
export const MAX_BLOCK_BYTES = 1_000_000;
export const MAX_FUTURE_MS = 2 * 60 * 60 * 1000;
export const K = 3;
export const MAX_JSON_DEPTH = 32; // as the Python parser (blockchain/strictjson.py)
const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;
const MEASUREMENT = /^(0|[1-9][0-9]{0,2})\.[0-9]{2}$/;
const CLASS_NAME = /^[a-z0-9_-]{1,32}$/;
const ADDRESS = /^[\x21-\x7e]{1,128}$/;
const FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"];
const BLOCK_KEYS = ["difficulty", "hash", "index", "merkle_root", "nonce", "previous_hash", "timestamp_ms", "transactions"];
const UPDATE_KEYS = ["data_points_trained", "model_hash", "test_correct", "test_rows"];

export class ProtocolError extends Error {
  constructor(message, txId = null) {
    super(message);
    this.txId = txId;
  }
}

// -- JSON that keeps what JSON.parse loses -----------------------------------------------------

/** A number written with a fraction or an exponent (5.0, 1e2), or an integer beyond 2^53. */
export class NotInteger {
  constructor(text) { this.text = text; }
}

/** Define ``key`` as an own, enumerable property: ``out[key] = v`` would set the prototype when
 * ``key`` is "__proto__" and the key would vanish (PROTOCOL.md "Strict JSON": keys match exactly). */
function setOwn(out, key, v) {
  Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
}

/** JSON.parse, except that numbers that are not integers within the protocol's range come back
 * as NotInteger (so "5.0" is not silently 5), a duplicate key is an error, every key (even
 * "__proto__") is an own property, and nesting deeper than MAX_JSON_DEPTH is refused. */
export function parseStrict(text) {
  let i = 0;
  const fail = (why) => { throw new ProtocolError(`not valid JSON at character ${i}: ${why}`); };
  const ws = () => { while (i < text.length && " \t\n\r".includes(text[i])) i++; };
  function value(depth) {
    ws();
    const c = text[i];
    if ((c === "{" || c === "[") && depth >= MAX_JSON_DEPTH) fail(`nested more than ${MAX_JSON_DEPTH} levels deep`);
    if (c === "{") {
      i++; const out = {}; ws();
      if (text[i] === "}") { i++; return out; }
      for (;;) {
        ws(); if (text[i] !== '"') fail("a key must be a string");
        const key = string();
        if (Object.hasOwn(out, key)) fail(`duplicate key ${JSON.stringify(key)}`);
        ws(); if (text[i] !== ":") fail("':' expected"); i++;
        setOwn(out, key, value(depth + 1)); ws();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "}") { i++; return out; }
        fail("',' or '}' expected");
      }
    }
    if (c === "[") {
      i++; const out = []; ws();
      if (text[i] === "]") { i++; return out; }
      for (;;) {
        out.push(value(depth + 1)); ws();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "]") { i++; return out; }
        fail("',' or ']' expected");
      }
    }
    if (c === '"') return string();
    if (text.startsWith("true", i)) { i += 4; return true; }
    if (text.startsWith("false", i)) { i += 5; return false; }
    if (text.startsWith("null", i)) { i += 4; return null; }
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m) fail("a value expected");
    i += m[0].length;
    if (m[2] || m[3]) return new NotInteger(m[0]);
    const n = Number(m[0]);
    return Number.isSafeInteger(n) ? (n === 0 ? 0 : n) : new NotInteger(m[0]);
  }
  function string() {
    const start = i;
    i++;
    for (;;) {
      const c = text[i];
      if (c === undefined) fail("unterminated string");
      if (c === "\\") { i += 2; continue; }
      if (c === '"') { i++; break; }
      i++;
    }
    return JSON.parse(text.slice(start, i));
  }
  const out = value(0);
  ws();
  if (i !== text.length) fail("text after the value");
  return out;
}

// -- encoding and hashing ----------------------------------------------------------------------

/** The value rules: objects, arrays, printable-ASCII strings, integers with |v| < 2^53, booleans, null. */
export function checkValue(v, path = "value") {
  if (v === null || v === true || v === false) return;
  if (typeof v === "string") {
    if (!/^[\x20-\x7e]*$/.test(v)) throw new ProtocolError(`${path} must be printable ASCII (0x20-0x7E); got ${JSON.stringify(v).slice(0, 60)}`);
    return;
  }
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new ProtocolError(`${path} must be an integer with -2^53 < v < 2^53; got ${v}`);
    return;
  }
  if (v instanceof NotInteger) throw new ProtocolError(`${path} must be an integer (consensus holds integers only); got ${v.text}`);
  if (Array.isArray(v)) { v.forEach((x, j) => checkValue(x, `${path}[${j}]`)); return; }
  if (typeof v === "object") {
    for (const [key, x] of Object.entries(v)) {
      if (!/^[\x20-\x7e]*$/.test(key)) throw new ProtocolError(`${path} must have printable ASCII keys`);
      checkValue(x, `${path}.${key}`);
    }
    return;
  }
  throw new ProtocolError(`${path} must be a JSON value`);
}

/** canon(x): keys sorted, no whitespace (the value must already follow the value rules). */
export function canon(v) {
  if (v === null || typeof v === "boolean" || typeof v === "number") return JSON.stringify(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return "[" + v.map(canon).join(",") + "]";
  const keys = Object.keys(v).sort();
  return "{" + keys.map((k) => JSON.stringify(k) + ":" + canon(v[k])).join(",") + "}";
}

export function toHex(buffer) {
  const bytes = new Uint8Array(buffer);
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

export function fromHex(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let j = 0; j < out.length; j++) out[j] = parseInt(hex.slice(2 * j, 2 * j + 2), 16);
  return out;
}

/** H(b): SHA-256 as 64 lowercase hex characters, of a string (UTF-8) or bytes. */
export async function H(data) {
  return toHex(await subtle.digest("SHA-256", typeof data === "string" ? encoder.encode(data) : data));
}

export async function merkleRoot(ids) {
  if (ids.length === 0) return H(new Uint8Array(0));
  let level = ids.map(fromHex);
  while (level.length > 1) {
    if (level.length % 2) level.push(level[level.length - 1]);
    const next = [];
    for (let j = 0; j < level.length; j += 2) {
      const pair = new Uint8Array(64);
      pair.set(level[j], 0);
      pair.set(level[j + 1], 32);
      next.push(new Uint8Array(await subtle.digest("SHA-256", pair)));
    }
    level = next;
  }
  return toHex(level[0]);
}

export function headerOf(block) {
  return { index: block.index, timestamp_ms: block.timestamp_ms, previous_hash: block.previous_hash,
    difficulty: block.difficulty, merkle_root: block.merkle_root };
}

export async function blockHash(block) {
  return H(canon(headerOf(block)) + ":" + String(block.nonce));
}

export function meetsDifficulty(hash, difficulty) {
  return hash.startsWith("0".repeat(difficulty));
}

// -- measurements and the model ----------------------------------------------------------------

export function measurementUnits(text) {
  if (typeof text !== "string" || !MEASUREMENT.test(text)) {
    throw new ProtocolError(`a measurement must be centimetres with two decimals ("5.10"); got ${JSON.stringify(text)}`);
  }
  const units = Number(text.replace(".", ""));
  if (units < 1 || units > 10000) throw new ProtocolError(`a measurement must be 0.01 to 100.00; got ${text}`);
  return units;
}

function isqrt(n) { // floor(sqrt(n)) of a BigInt
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  while (x * x > n) x -= 1n;
  while ((x + 1n) * (x + 1n) <= n) x += 1n;
  return x;
}

export function weightsOf(base) {
  const rows = base.train.map((r) => r.map(measurementUnits));
  const n = BigInt(rows.length);
  return [0, 1, 2, 3].map((j) => {
    let s = 0n, s2 = 0n;
    for (const r of rows) { const x = BigInt(r[j]); s += x; s2 += x * x; }
    const Q = n * s2 - s * s;
    if (Q === 0n) return 1;
    const w = isqrt((2n ** 34n) * n * n / Q);
    return Number(w < 1n ? 1n : w > 4096n ? 4096n : w);
  });
}

/** The integer KNN of PROTOCOL.md "The model", kept incrementally: each test row's 3 neighbours. */
export class Model {
  static async fromBase(base) {
    const model = new Model();
    model.base = base;
    model.classes = base.classes;
    model.baseHash = await H(canon(base));
    model.weights = weightsOf(base);
    model.rows = [];
    model.labels = [];
    model.test = base.test.map((r) => r.map(measurementUnits));
    model.testLabels = base.test_labels.map((l) => base.classes.indexOf(l));
    model.neighbours = model.test.map(() => []);
    for (let j = 0; j < base.train.length; j++) model._add(base.train[j].map(measurementUnits), base.classes.indexOf(base.train_labels[j]));
    model.hash = await H(canon({ base: model.baseHash, k: K }));
    return model;
  }

  distance(a, b) {
    let d = 0;
    for (let j = 0; j < 4; j++) { const t = this.weights[j] * (a[j] - b[j]); d += t * t; }
    return d;
  }

  _add(units, label) {
    const index = this.rows.length;
    this.rows.push(units);
    this.labels.push(label);
    this.test.forEach((t, j) => {
      const list = this.neighbours[j];
      const d = this.distance(t, units);
      if (list.length < K || d < list[list.length - 1][0]) { // a later row wins only on a smaller distance
        list.push([d, index]);
        list.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
        if (list.length > K) list.pop();
      }
    });
  }

  vote(neighbours) {
    const votes = new Array(this.classes.length).fill(0);
    for (const [, index] of neighbours) votes[this.labels[index]]++;
    let best = 0;
    for (let c = 1; c < votes.length; c++) if (votes[c] > votes[best]) best = c; // a tie: the class listed first
    return best;
  }

  get testCorrect() {
    return this.neighbours.reduce((n, list, j) => n + (this.vote(list) === this.testLabels[j] ? 1 : 0), 0);
  }

  get size() { return this.rows.length; }

  /** The 3 nearest rows of a query (units), by (distance, row index), excluding ``skip``. */
  nearest(query, skip = -1) {
    const best = [];
    for (let index = 0; index < this.rows.length; index++) {
      if (index === skip) continue;
      const d = this.distance(query, this.rows[index]);
      if (best.length < K || d < best[best.length - 1][0]) {
        best.push([d, index]);
        best.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
        if (best.length > K) best.pop();
      }
    }
    return best;
  }

  predict(queryUnits) {
    const neighbours = this.nearest(queryUnits);
    return { prediction: this.classes[this.vote(neighbours)], neighbours };
  }

  looPredict(row) {
    return this.classes[this.vote(this.nearest(this.rows[row], row))];
  }

  /** Add a block's FLOWER_DATA rows (measurement strings) and labels; the hash chain moves on. */
  async addBlock(rows, labels) {
    rows.forEach((r, j) => this._add(r.map(measurementUnits), this.classes.indexOf(labels[j])));
    this.hash = await H(canon({ previous: this.hash, rows, labels }));
  }

  summary() {
    return { data_points_trained: this.size, model_hash: this.hash, test_correct: this.testCorrect,
      test_rows: this.test.length };
  }
}

// -- transactions ------------------------------------------------------------------------------

const isInt = (v) => typeof v === "number" && Number.isSafeInteger(v);
const sameKeys = (obj, keys) => {
  const have = Object.keys(obj).sort();
  const want = [...keys].sort();
  return have.length === want.length && have.every((k, j) => k === want[j]);
};

export function bodyOf(tx) {
  const body = {};
  for (const [k, v] of Object.entries(tx)) if (k !== "id" && k !== "signature") setOwn(body, k, v);
  return body;
}

function checkAddress(name, v) {
  if (typeof v !== "string" || !ADDRESS.test(v) || v === "0" || v === "MODEL") {
    throw new ProtocolError(`${name} must be an address of 1 to 128 printable characters (not "0" or "MODEL"); got ${JSON.stringify(v)?.slice(0, 60)}`);
  }
}

// -- the rules, one per transaction type (the node's blockchain/rules/) ------------------------
//
// keys: the body's fields (a user type may add public_key); user: a client signs and submits it;
// check(body, fail): what the body meets on its own, after what every body meets (checkTransaction);
// problem(b, tx): why it cannot stand next in its block, or null; apply(b, tx): its effect. ``b`` is
// the block's effects so far (blockEffects): nothing reaches the ledger unless the whole block is valid.

const USER_KEYS = ["type", "sender", "recipient", "amount", "timestamp_ms"];
const NODE_KEYS = ["type", "sender", "recipient", "amount", "block_index"];
const none = () => null;
const nothing = () => {};

function toModel(body, fail) {
  if (body.recipient !== "MODEL") fail(`a ${body.type} must have recipient "MODEL"`);
}

function blockIndexOf(body, fail) {
  if (!isInt(body.block_index) || body.block_index < 0) fail("block_index must be a non-negative integer");
}

function checkClaim(body, fail) {
  toModel(body, fail);
  if (body.amount !== 0) fail(`a ${body.type} must have amount 0`);
  if (typeof body.flower_id !== "string" || !HEX64.test(body.flower_id)) fail("flower_id must be 64 lowercase hex characters");
}

/** What a REFUND and a REPORT share: the flower they claim, due and with something left. */
function claimDue(b, tx) {
  const flower = b.flower(tx.flower_id);
  if (!flower) return "flower_id must name a FLOWER_DATA on the chain";
  if (b.index < flower.block + b.params.refund_wait) return `this flower can be claimed from block ${flower.block + b.params.refund_wait}`;
  if (flower.left <= 0) return "nothing is left of this deposit";
  return null;
}

export const RULES = {
  TRANSFER: {
    keys: USER_KEYS, user: true,
    check(body, fail) {
      checkAddress("recipient", body.recipient);
      if (body.amount < 1 || body.amount > MAX_AMOUNT) fail(`amount must be from 1 to ${MAX_AMOUNT}; got ${body.amount}`);
      if (body.recipient === body.sender) fail("recipient must differ from sender");
    },
    problem(b, tx) {
      return b.balance(tx.sender) < tx.amount ? `${tx.sender} must have at least ${tx.amount} to send; has ${b.balance(tx.sender)}` : null;
    },
    apply(b, tx) {
      b.credit(tx.sender, -tx.amount);
      b.credit(tx.recipient, tx.amount);
    },
  },
  FLOWER_DATA: {
    keys: [...USER_KEYS, "data"], user: true,
    check(body, fail) {
      toModel(body, fail);
      if (body.amount < 0 || body.amount > MAX_AMOUNT) fail(`a deposit must be from 0 to ${MAX_AMOUNT}`);
      const data = body.data;
      if (data === null || typeof data !== "object" || Array.isArray(data) || !sameKeys(data, [...FEATURES, "flower_type"])) {
        fail(`data must have exactly ${FEATURES.join(", ")} and flower_type`);
      }
      for (const f of FEATURES) { try { measurementUnits(data[f]); } catch (e) { fail(`data.${f}: ${e.message}`); } }
      if (typeof data.flower_type !== "string" || !CLASS_NAME.test(data.flower_type)) fail("data.flower_type must be a class name");
    },
    problem(b, tx) {
      const { classes, min_deposit: minDeposit } = b.params;
      if (!classes.includes(tx.data.flower_type)) return `data.flower_type must be one of ${classes.join(", ")}`;
      if (tx.amount < minDeposit) return `the deposit must be at least min_deposit ${minDeposit}`;
      if (b.balance(tx.sender) < tx.amount) return `${tx.sender} must have at least ${tx.amount} to deposit`;
      return null;
    },
    apply(b, tx) {
      b.credit(tx.sender, -tx.amount);
      const row = b.addRow(FEATURES.map((f) => tx.data[f]), tx.data.flower_type);
      b.putFlower(tx.id, { block: b.index, row, sender: tx.sender, deposit: tx.amount, left: tx.amount,
        label: tx.data.flower_type, reporters: new Set(), refunded: false, settled: 0 });
    },
  },
  REFUND: {
    keys: [...USER_KEYS, "flower_id"], user: true, check: checkClaim,
    problem(b, tx) {
      const due = claimDue(b, tx);
      if (due) return due;
      const flower = b.flower(tx.flower_id);
      if (tx.sender !== flower.sender) return "only the contributor may claim a refund";
      const v3 = b.verdict(flower);
      if (v3 && !v3.refundAllowed) return `none of the ${v3.panel.length} nearest settled points is ${flower.label}`;
      const predicted = v3 ? null : b.predict(flower.row);
      if (!v3 && predicted !== flower.label) return `the model predicts ${predicted} for this flower, not ${flower.label}`;
      return null;
    },
    apply(b, tx) {
      const flower = b.flower(tx.flower_id);
      const v3 = b.verdict(flower);
      b.credit(tx.sender, flower.left);
      const isGood = !v3 || v3.good;
      b.putFlower(tx.flower_id, { ...flower, left: 0, refunded: true, settled: v3 && isGood ? b.index : 0 });
      if (isGood) b.addGood(tx.sender);
    },
  },
  REPORT: {
    keys: [...USER_KEYS, "flower_id"], user: true, check: checkClaim,
    problem(b, tx) {
      const due = claimDue(b, tx);
      if (due) return due;
      const flower = b.flower(tx.flower_id);
      if (tx.sender === flower.sender) return "a contributor may not report their own flower";
      if (b.goodOf(tx.sender) < 1) return "only contributors with a refunded contribution may report";
      if (flower.reporters.has(tx.sender)) return "this sender has already reported this flower";
      const v3 = b.verdict(flower);
      if (v3 && !v3.reportAllowed) return `${v3.agree} of the ${v3.panel.length} nearest settled points are ${flower.label}`;
      if (!v3 && b.predict(flower.row) === flower.label) return "the model agrees with this flower's label";
      return null;
    },
    apply(b, tx) {
      const flower = b.flower(tx.flower_id);
      // Exact integer division (BigInt): deposit * good can pass 2^53 although each is below it.
      const share = Number(BigInt(flower.deposit) * BigInt(b.goodOf(tx.sender)) / BigInt(b.totalGood));
      const take = Math.min(flower.left, Math.max(1, share));
      b.credit(tx.sender, take);
      b.putFlower(tx.flower_id, { ...flower, left: flower.left - take, reporters: new Set([...flower.reporters, tx.sender]) });
    },
  },
  REWARD: {
    keys: NODE_KEYS, user: false,
    check(body, fail) {
      blockIndexOf(body, fail);
      if (body.sender !== "0" || body.amount !== 1) fail('a REWARD must have sender "0" and amount 1');
      checkAddress("recipient", body.recipient);
    },
    problem: none,
    apply(b, tx) { b.credit(tx.recipient, tx.amount); },
  },
  MODEL_UPDATE: {
    keys: [...NODE_KEYS, "data"], user: false,
    check(body, fail) {
      blockIndexOf(body, fail);
      if (body.sender !== "MODEL" || body.recipient !== "MODEL" || body.amount !== 0) fail('a MODEL_UPDATE must have sender and recipient "MODEL" and amount 0');
      const d = body.data;
      if (d === null || typeof d !== "object" || Array.isArray(d) || !sameKeys(d, UPDATE_KEYS)) fail("MODEL_UPDATE data must have exactly " + UPDATE_KEYS.join(", "));
      if (!isInt(d.data_points_trained) || !isInt(d.test_correct) || !isInt(d.test_rows) || typeof d.model_hash !== "string" || !HEX64.test(d.model_hash)) fail("MODEL_UPDATE data has a field of the wrong type");
    },
    problem: none, apply: nothing, // checked against the replayed model by applyBlock, last in its block
  },
  GENESIS: {
    keys: ["type", "sender", "recipient", "amount", "params"], user: false,
    check(body, fail) {
      if (body.sender !== "0" || body.recipient !== "MODEL" || body.amount !== 0) fail('a GENESIS must have sender "0", recipient "MODEL" and amount 0');
    },
    problem: none, apply: nothing, // block 0 is compared whole with the network's own genesis
  },
  ...JOB_RULES, // JOB, JOB_COMMIT, JOB_TEST, JOB_MODEL, JOB_SETTLE: web/jobs_rules.js
};

/** Every rule a transaction meets on its own (PROTOCOL.md "Transactions"); its id and signature too. */
export async function checkTransaction(tx) {
  if (tx === null || typeof tx !== "object" || Array.isArray(tx)) throw new ProtocolError("a transaction must be an object");
  const id = typeof tx.id === "string" ? tx.id : null;
  const fail = (why) => { throw new ProtocolError(why, id); };
  try { checkValue(tx, "transaction"); } catch (e) { fail(e.message); }
  const body = bodyOf(tx);
  const type = body.type;
  if (typeof type !== "string" || !Object.hasOwn(RULES, type)) fail(`type must be one of ${Object.keys(RULES).join(", ")}; got ${JSON.stringify(type)}`);
  const { user, keys, check } = RULES[type];
  if (!(sameKeys(body, keys) || (user && sameKeys(body, [...keys, "public_key"])))) {
    fail(`a ${type} transaction must have exactly the fields ${keys.join(", ")}${user ? " (and public_key when signed)" : ""}`);
  }
  if (!isInt(body.amount)) fail("amount must be an integer");
  if (user) {
    checkAddress("sender", body.sender);
    if (!isInt(body.timestamp_ms) || body.timestamp_ms < 0) fail("timestamp_ms must be a non-negative integer");
  }
  check(body, fail);
  const text = canon(body);
  const real = await H(text);
  if (id !== real) fail(`transaction id must be H(canon(body)) = ${real}; got ${id}`);
  const signed = Object.hasOwn(body, "public_key");
  if (signed !== Object.hasOwn(tx, "signature")) fail("a signed transaction has both public_key and signature; this one has one of them");
  if (signed) {
    if (typeof body.public_key !== "string" || !HEX64.test(body.public_key)) fail("public_key must be 64 lowercase hex characters");
    if (typeof tx.signature !== "string" || !HEX128.test(tx.signature)) fail("signature must be 128 lowercase hex characters");
    const address = (await H(fromHex(body.public_key))).slice(0, 40);
    if (body.sender !== address) fail(`sender must be the address of public_key (${address})`);
    let ok = false;
    try {
      const key = await subtle.importKey("raw", fromHex(body.public_key), { name: "Ed25519" }, false, ["verify"]);
      ok = await subtle.verify({ name: "Ed25519" }, key, fromHex(tx.signature), encoder.encode(text));
    } catch (e) { ok = false; }
    if (!ok) fail("the signature does not verify against public_key");
  }
  return tx;
}

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

/** Check ``block`` on top of ``ledger``'s tip and apply it; throws ProtocolError when invalid. */
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

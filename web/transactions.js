// The page verifier's transactions (PROTOCOL.md "Transactions"): the RULES table, one entry per
// type as the node's blockchain/rules/ (the five training-job types come from web/jobs_rules.js),
// and checkTransaction: every rule a transaction meets on its own, its id and its Ed25519 signature
// (WebCrypto). Part of web/verify.js, which re-exports it.

import { H, ProtocolError, canon, checkValue, fromHex, setOwn } from "./encoding.js";
import { measurementUnits } from "./model.js";
import { JOB_RULES } from "./jobs_rules.js"; // version 3's training jobs

const subtle = globalThis.crypto.subtle;
const encoder = new TextEncoder();

export const MAX_AMOUNT = 10 ** 12;
export const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;
const CLASS_NAME = /^[a-z0-9_-]{1,32}$/;
const ADDRESS = /^[\x21-\x7e]{1,128}$/;
const FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"];
const UPDATE_KEYS = ["data_points_trained", "model_hash", "test_correct", "test_rows"];

export const isInt = (v) => typeof v === "number" && Number.isSafeInteger(v);
export const sameKeys = (obj, keys) => {
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

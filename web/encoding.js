// The page verifier's value rules, strict JSON and hashing (PROTOCOL.md "Strict JSON", "Values",
// "Canonical JSON", "Ids", "Merkle root", "Block hash"): ProtocolError, parseStrict (JSON that keeps
// what JSON.parse loses), checkValue, canon, hex, H (SHA-256 from WebCrypto), merkleRoot, headerOf,
// blockHash and version 2's proof-of-work test. Part of web/verify.js, which re-exports it.

const subtle = globalThis.crypto.subtle;
const encoder = new TextEncoder();

export const MAX_SAFE = 2 ** 53 - 1;
export const MAX_JSON_DEPTH = 32; // as the Python parser (blockchain/strictjson.py)

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
export function setOwn(out, key, v) {
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

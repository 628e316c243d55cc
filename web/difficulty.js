// Protocol version 3's difficulty (PROTOCOL.md "Version 3: difficulty"): leading zero bits, work
// 2^bits as BigInt, the retarget with its +/-2 clamp and minimum, median time past. Pure functions;
// the same rules as blockchain/difficulty.py, held to the same worked examples.

export const MAX_BITS = 64; // a header's difficulty field is 1 to 64
export const MAX_STEP = 2;
export const MTP_SPAN = 11;
export const FUTURE_LIMIT_MS = 2 * 60 * 60 * 1000;

export function leadingZeroBits(hash) {
  if (typeof hash !== "string" || !/^[0-9a-f]{64}$/.test(hash)) throw new Error("a block hash has 64 hex digits");
  let bits = 0;
  for (const ch of hash) {
    const v = parseInt(ch, 16);
    if (v === 0) { bits += 4; continue; }
    return bits + (Math.clz32(v) - 28);
  }
  return bits;
}

export function meetsBits(hash, bits) {
  return leadingZeroBits(hash) >= bits;
}

export const HASH_BITS = 256; // a block's work is 2^bits, 0 <= bits <= 256 (v2's hex digits count 4 bits each)

// Why these genesis params are not a valid v3 network's difficulty, or null.
export function paramsProblem(params) {
  for (const key of ["difficulty", "target_block_ms", "retarget_every", "min_difficulty"]) {
    if (!Number.isInteger(params[key])) return `${key} must be an integer`;
  }
  if (params.target_block_ms < 1) return "target_block_ms must be at least 1";
  if (params.retarget_every < 2) return "retarget_every must be at least 2";
  if (!(params.min_difficulty >= 1 && params.min_difficulty <= params.difficulty && params.difficulty <= MAX_BITS)) {
    return `need 1 <= min_difficulty <= difficulty <= ${MAX_BITS}`;
  }
  return null;
}

export function blockWork(bits) {
  if (!Number.isInteger(bits) || bits < 0 || bits > HASH_BITS) throw new Error(`bits must be 0 to ${HASH_BITS}`);
  return 1n << BigInt(bits);
}

export function chainWork(bitsByHeight) {
  let w = 0n;
  for (const b of bitsByHeight) w += blockWork(b);
  return w;
}

// log2(expected/actual) rounded to the nearest integer, clamped to +/-2 (exact, in BigInt).
export function retargetStep(expectedMs, actualMs) {
  if (!Number.isInteger(expectedMs) || expectedMs < 1) throw new Error("expectedMs must be at least 1");
  const a = BigInt(Math.max(actualMs, 1));
  const e = BigInt(expectedMs);
  for (let d = MAX_STEP; d >= -MAX_STEP; d--) {
    const left = 2n * e * e * (4n ** BigInt(Math.max(0, -d)));
    const right = a * a * (4n ** BigInt(Math.max(0, d)));
    if (left >= right) return d;
  }
  return -MAX_STEP;
}

export function isRetargetHeight(height, params) {
  const n = params.retarget_every;
  return height >= 2 * n && height % n === 0;
}

// ancestors[i] = [timestamp_ms, bits] of height i, for i < height.
export function requiredBits(height, ancestors, params) {
  if (height === 0) return params.difficulty;
  if (ancestors.length < height) throw new Error(`need the ${height} ancestors of height ${height}`);
  const parentBits = ancestors[height - 1][1];
  if (!isRetargetHeight(height, params)) return parentBits;
  const n = params.retarget_every;
  const actual = ancestors[height - 1][0] - ancestors[height - n][0];
  const expected = (n - 1) * params.target_block_ms;
  const bits = parentBits + retargetStep(expected, actual);
  return Math.max(params.min_difficulty, Math.min(MAX_BITS, bits));
}

export function medianTimePast(timestamps) {
  if (timestamps.length === 0) throw new Error("median time past needs at least one timestamp");
  const w = timestamps.slice(-MTP_SPAN).sort((x, y) => x - y);
  return w[Math.floor(w.length / 2)];
}

// The v3 difficulty and time rules for one non-genesis header: an error string, or null.
export function headerProblem(header, hash, ancestors, params, nowMs) {
  const { index, timestamp_ms: ts, difficulty: bits } = header;
  if (!Number.isInteger(index) || index < 1) return "index must be an integer >= 1";
  if (!Number.isInteger(ts) || !Number.isInteger(bits)) return "timestamp_ms and difficulty must be integers";
  if (ancestors.length < index) return `need ${index} ancestors to check block ${index}`;
  const want = requiredBits(index, ancestors, params);
  if (bits !== want) return `difficulty must be ${want} bits at height ${index}; got ${bits}`;
  if (!meetsBits(hash, bits)) return `hash does not start with ${bits} zero bits`;
  if (ts < ancestors[index - 1][0]) return "timestamp_ms is before the parent's";
  const mtp = medianTimePast(ancestors.slice(Math.max(0, index - MTP_SPAN), index).map((a) => a[0]));
  if (ts <= mtp) return `timestamp_ms ${ts} is not after the median time past ${mtp}`;
  if (ts > nowMs + FUTURE_LIMIT_MS) return "timestamp_ms is more than 2 hours ahead of this node's clock";
  return null;
}

// Most-work fork choice: theirs wins only with strictly more work (BigInt); ties keep ours.
export function betterChain(oursWork, theirsWork) {
  return BigInt(theirsWork) > BigInt(oursWork);
}

// Protocol version 3's difficulty (PROTOCOL.md "Version 3: difficulty"): a difficulty W is the
// hashes a block takes on average; a hash meets it when, as a 256-bit integer, it is at most
// (2^256 - 1) / W (integer division). The work of a block is W (BigInt sums); the retarget scales W
// by the target over the window's median block time, clamped to a factor of 4 and the minimum;
// median time past. Pure functions; the same rules as blockchain/difficulty.py, held to the same
// worked examples.

export const MAX_DIFFICULTY = Number.MAX_SAFE_INTEGER; // 2^53 - 1: a v3 difficulty is a JSON-safe integer
export const MAX_FACTOR = 4n;
export const MTP_SPAN = 11;
export const FUTURE_LIMIT_MS = 2 * 60 * 60 * 1000;
const HASH_MAX = (1n << 256n) - 1n;

function checkDifficulty(difficulty) {
  if (!Number.isInteger(difficulty) || difficulty < 1 || difficulty > MAX_DIFFICULTY) {
    throw new Error("a v3 difficulty is an integer 1 to 2^53 - 1");
  }
}

// Why these genesis params are not a valid v3 network's difficulty, or null.
export function paramsProblem(params) {
  for (const key of ["difficulty", "target_block_ms", "retarget_every", "min_difficulty"]) {
    if (!Number.isInteger(params[key])) return `${key} must be an integer`;
  }
  if (params.target_block_ms < 1 || params.target_block_ms > MAX_DIFFICULTY) return "target_block_ms must be 1 to 2^53 - 1";
  if (params.retarget_every < 2 || params.retarget_every > MAX_DIFFICULTY) return "retarget_every must be 2 to 2^53 - 1";
  if (!(params.min_difficulty >= 1 && params.min_difficulty <= params.difficulty && params.difficulty <= MAX_DIFFICULTY)) {
    return "need 1 <= min_difficulty <= difficulty <= 2^53 - 1";
  }
  return null;
}

// The largest hash (a BigInt) that meets ``difficulty``.
export function target(difficulty) {
  checkDifficulty(difficulty);
  return HASH_MAX / BigInt(difficulty);
}

export function meetsDifficulty(hash, difficulty) {
  if (typeof hash !== "string" || !/^[0-9a-f]{64}$/.test(hash)) throw new Error("a block hash has 64 hex digits");
  return BigInt("0x" + hash) <= target(difficulty);
}

// Work of one v3 block: its difficulty, as a BigInt.
export function blockWork(difficulty) {
  checkDifficulty(difficulty);
  return BigInt(difficulty);
}

export function chainWork(difficulties) {
  let w = 0n;
  for (const d of difficulties) w += blockWork(d);
  return w;
}

export function isRetargetHeight(height, params) {
  const n = params.retarget_every;
  return height >= 2 * n && height % n === 0;
}

// The lower median of the gaps between consecutive ``times`` (at least 1).
export function windowMedianMs(times) {
  if (times.length < 2) throw new Error("a window needs at least two timestamps");
  const gaps = [];
  for (let i = 1; i < times.length; i++) gaps.push(times[i] - times[i - 1]);
  gaps.sort((x, y) => x - y);
  return Math.max(gaps[Math.floor((gaps.length - 1) / 2)], 1);
}

// parent * T / median (integer division), clamped to parent / 4 .. parent * 4, then to min .. 2^53 - 1.
export function retarget(parent, medianMs, params) {
  const p = BigInt(parent);
  let scaled = (p * BigInt(params.target_block_ms)) / BigInt(Math.max(medianMs, 1));
  const lo = p / MAX_FACTOR;
  const hi = p * MAX_FACTOR;
  if (scaled < lo) scaled = lo;
  if (scaled > hi) scaled = hi;
  if (scaled < BigInt(params.min_difficulty)) scaled = BigInt(params.min_difficulty);
  if (scaled > BigInt(MAX_DIFFICULTY)) scaled = BigInt(MAX_DIFFICULTY);
  return Number(scaled);
}

// ancestors[i] = [timestamp_ms, difficulty] of height i, for i < height.
export function requiredDifficulty(height, ancestors, params) {
  if (height === 0) return params.difficulty;
  if (ancestors.length < height) throw new Error(`need the ${height} ancestors of height ${height}`);
  const parent = ancestors[height - 1][1];
  if (!isRetargetHeight(height, params)) return parent;
  const n = params.retarget_every;
  const times = [];
  for (let i = height - n - 1; i < height; i++) times.push(ancestors[i][0]);
  return retarget(parent, windowMedianMs(times), params);
}

export function medianTimePast(timestamps) {
  if (timestamps.length === 0) throw new Error("median time past needs at least one timestamp");
  const w = timestamps.slice(-MTP_SPAN).sort((x, y) => x - y);
  return w[Math.floor(w.length / 2)];
}

// The v3 difficulty and time rules for one non-genesis header: an error string, or null.
export function headerProblem(header, hash, ancestors, params, nowMs) {
  const { index, timestamp_ms: ts, difficulty } = header;
  if (!Number.isInteger(index) || index < 1) return "index must be an integer >= 1";
  if (!Number.isInteger(ts) || !Number.isInteger(difficulty)) return "timestamp_ms and difficulty must be integers";
  if (ancestors.length < index) return `need ${index} ancestors to check block ${index}`;
  const want = requiredDifficulty(index, ancestors, params);
  if (difficulty !== want) return `difficulty must be ${want} at height ${index}; got ${difficulty}`;
  if (!meetsDifficulty(hash, difficulty)) return `hash is above the target of difficulty ${difficulty}`;
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

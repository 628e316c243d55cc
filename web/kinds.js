// Training jobs (PROTOCOL.md "Version 3: training jobs"): the model kinds' exact integer inference
// (linear, tree, knn), their bounds, the test set's check, the commitments, the windows and the
// settlement, and the JOB body's rule. Pure functions; the same rules as ml/kinds.py and blockchain/jobs.py, held to the same
// vectors (tests/vectors/jobs-v3.json) and to random models (tests/web/test_kinds_agreement.py).
// Every value stays below 2^53 under the bounds, so plain numbers are exact.

export const KINDS = ["linear", "tree", "knn"];
export const MIN_FEATURES = 1, MAX_FEATURES = 256, MIN_CLASSES = 2, MAX_CLASSES = 16;
export const MAX_ABS_FEATURE = 10000;
export const MAX_TEST_ROWS = 256, MAX_TEST_CELLS = 16384;
export const MAX_ABS_WEIGHT = 1e9, MAX_ABS_BIAS = 1e15;
export const MAX_NODES = 4096, MAX_DEPTH = 32, MAX_ABS_THRESHOLD = MAX_ABS_FEATURE;
export const MAX_KNN_ROWS = 128, MAX_KNN_CELLS = 1024, MAX_K = 32, MAX_KNN_WEIGHT_SQUARES = 2e7;

const KEYS = { linear: ["bias", "kind", "weights"], tree: ["kind", "nodes"], knn: ["k", "kind", "labels", "rows", "weights"] };
const SALT = /^[0-9a-f]{64}$/;

const isInt = (v, lo, hi) => typeof v === "number" && Number.isInteger(v) && v >= lo && v <= hi;
const intList = (v, n, lo, hi) => Array.isArray(v) && v.length === n && v.every((x) => isInt(x, lo, hi));
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const hasKeys = (v, keys) => {
  const own = Object.keys(v).sort();
  return own.length === keys.length && own.every((k, j) => k === keys[j]);
};

function matrixProblem(name, rows, width, lo, hi, most) {
  if (!Array.isArray(rows) || rows.length < 1 || rows.length > most) return `${name} must be a list of 1 to ${most} rows`;
  for (let i = 0; i < rows.length; i++) {
    if (!intList(rows[i], width, lo, hi)) return `${name}[${i}] must be a list of ${width} integers from ${lo} to ${hi}`;
  }
  return null;
}

function linearProblem(m, f, c) {
  if (!Array.isArray(m.weights) || m.weights.length !== c) return `weights must have one row per class (${c})`;
  const p = matrixProblem("weights", m.weights, f, -MAX_ABS_WEIGHT, MAX_ABS_WEIGHT, c);
  if (p) return p;
  if (!intList(m.bias, c, -MAX_ABS_BIAS, MAX_ABS_BIAS)) return `bias must be a list of ${c} integers from ${-MAX_ABS_BIAS} to ${MAX_ABS_BIAS}`;
  return null;
}

/** The most internal nodes on a path from node 0 to a leaf (a well-formed node list). */
export function treeDepth(nodes) {
  const depth = new Array(nodes.length).fill(0);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (n.length === 4) depth[i] = 1 + Math.max(depth[n[2]], depth[n[3]]);
  }
  return depth[0];
}

function treeProblem(m, f, c) {
  const nodes = m.nodes;
  if (!Array.isArray(nodes) || nodes.length < 1 || nodes.length > MAX_NODES) return `nodes must be a list of 1 to ${MAX_NODES} nodes`;
  const n = nodes.length;
  for (let i = 0; i < n; i++) {
    const node = nodes[i];
    if (!Array.isArray(node) || (node.length !== 1 && node.length !== 4)) return `nodes[${i}] must be [class] or [feature, threshold, left, right]`;
    if (node.length === 1) {
      if (!isInt(node[0], 0, c - 1)) return `nodes[${i}]: a leaf's class must be 0 to ${c - 1}`;
      continue;
    }
    const [feature, threshold, left, right] = node;
    if (!isInt(feature, 0, f - 1)) return `nodes[${i}]: feature must be 0 to ${f - 1}`;
    if (!isInt(threshold, -MAX_ABS_THRESHOLD, MAX_ABS_THRESHOLD)) return `nodes[${i}]: threshold must be ${-MAX_ABS_THRESHOLD} to ${MAX_ABS_THRESHOLD}`;
    if (!isInt(left, i + 1, n - 1) || !isInt(right, i + 1, n - 1)) return `nodes[${i}]: children must be nodes ${i + 1} to ${n - 1} (after their parent)`;
  }
  if (treeDepth(nodes) > MAX_DEPTH) return `the tree is deeper than ${MAX_DEPTH}`;
  return null;
}

function knnProblem(m, f, c) {
  const most = Math.min(MAX_KNN_ROWS, Math.floor(MAX_KNN_CELLS / f));
  const p = matrixProblem("rows", m.rows, f, -MAX_ABS_FEATURE, MAX_ABS_FEATURE, most);
  if (p) return p;
  const r = m.rows.length;
  if (!intList(m.labels, r, 0, c - 1)) return `labels must be a list of ${r} class indices (0 to ${c - 1})`;
  if (!intList(m.weights, f, 0, MAX_KNN_WEIGHT_SQUARES)) return `weights must be a list of ${f} integers >= 0`;
  if (m.weights.reduce((s, w) => s + w * w, 0) > MAX_KNN_WEIGHT_SQUARES) return `the weights' squares must sum to at most ${MAX_KNN_WEIGHT_SQUARES}`;
  if (!isInt(m.k, 1, Math.min(MAX_K, r))) return `k must be 1 to ${Math.min(MAX_K, r)}`;
  return null;
}

const CHECKS = { linear: linearProblem, tree: treeProblem, knn: knnProblem };

/** The first problem of `model` as a model of `kind` on `features` and `classes` (counts), or null. */
export function checkModel(kind, model, features, classes) {
  if (!Object.hasOwn(CHECKS, kind)) return `kind must be one of ${KINDS.join(", ")}`;
  if (!isInt(features, MIN_FEATURES, MAX_FEATURES) || !isInt(classes, MIN_CLASSES, MAX_CLASSES)) {
    return `a job has ${MIN_FEATURES} to ${MAX_FEATURES} features and ${MIN_CLASSES} to ${MAX_CLASSES} classes`;
  }
  if (!isObject(model) || !hasKeys(model, KEYS[kind]) || model.kind !== kind) {
    return `a ${kind} model has exactly the keys ${KEYS[kind].join(", ")} and kind '${kind}'`;
  }
  return CHECKS[kind](model, features, classes);
}

/** The first problem of a JOB_MODEL's data {model, salt}, or null (the commitment, which binds the
 * sender, is checked apart: modelCommitment(data.model, data.salt, tx.sender)). */
export function checkReveal(kind, data, features, classes) {
  if (!isObject(data) || !hasKeys(data, ["model", "salt"])) return "a model reveal has exactly the keys model, salt";
  if (typeof data.salt !== "string" || !SALT.test(data.salt)) return "salt must be 64 lowercase hex characters";
  return checkModel(kind, data.model, features, classes);
}

/** The first problem of a revealed test set {rows, labels, salt} of a job, or null. */
export function checkTestSet(test, features, classes, rows) {
  if (!isObject(test) || !hasKeys(test, ["labels", "rows", "salt"])) return "a test set has exactly the keys labels, rows, salt";
  if (!isInt(rows, 1, Math.min(MAX_TEST_ROWS, Math.floor(MAX_TEST_CELLS / Math.max(features, 1))))) {
    return `a test set has 1 to ${MAX_TEST_ROWS} rows and at most ${MAX_TEST_CELLS} values`;
  }
  if (!Array.isArray(test.rows) || test.rows.length !== rows) return `rows must be a list of the job's ${rows} test rows`;
  const p = matrixProblem("rows", test.rows, features, -MAX_ABS_FEATURE, MAX_ABS_FEATURE, rows);
  if (p) return p;
  if (!intList(test.labels, rows, 0, classes - 1)) return `labels must be a list of ${rows} class indices (0 to ${classes - 1})`;
  if (typeof test.salt !== "string" || !SALT.test(test.salt)) return "salt must be 64 lowercase hex characters";
  return null;
}

function argmaxFirst(values) {
  let best = 0;
  for (let c = 1; c < values.length; c++) if (values[c] > values[best]) best = c;
  return best;
}

/** The class index a well-formed model gives one row. */
export function predict(model, row) {
  if (model.kind === "linear") {
    return argmaxFirst(model.weights.map((ws, c) => ws.reduce((s, w, j) => s + w * row[j], model.bias[c])));
  }
  if (model.kind === "tree") {
    const nodes = model.nodes;
    let i = 0;
    while (nodes[i].length === 4) {
      const [feature, threshold, left, right] = nodes[i];
      i = row[feature] <= threshold ? left : right;
    }
    return nodes[i][0];
  }
  if (model.kind === "knn") {
    // the k rows of smallest (distance, index), kept sorted in k slots: one pass over the rows
    const { weights: w, rows, labels, k } = model;
    const bestD = new Array(k), bestI = new Array(k);
    let n = 0;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      let d = 0;
      for (let j = 0; j < w.length; j++) { const t = w[j] * (r[j] - row[j]); d += t * t; }
      if (n === k && d >= bestD[k - 1]) continue;   // rows come in index order: a tie keeps the earlier row
      let at = n < k ? n++ : k - 1;
      while (at > 0 && bestD[at - 1] > d) { bestD[at] = bestD[at - 1]; bestI[at] = bestI[at - 1]; at--; }
      bestD[at] = d; bestI[at] = i;
    }
    const counts = new Array(MAX_CLASSES).fill(0);
    for (let s = 0; s < n; s++) counts[labels[bestI[s]]]++;
    return argmaxFirst(counts);
  }
  throw new Error(`unknown kind ${model.kind}`);
}

/** How many rows a well-formed model predicts as their labels: a job's score. */
export function score(model, rows, labels) {
  let right = 0;
  for (let t = 0; t < rows.length; t++) if (predict(model, rows[t]) === labels[t]) right++;
  return right;
}

// canon of integers, strings, lists and objects (PROTOCOL.md "Encoding and hashing").
export function canon(v) {
  if (Array.isArray(v)) return "[" + v.map(canon).join(",") + "]";
  if (isObject(v)) return "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + canon(v[k])).join(",") + "}";
  return JSON.stringify(v);
}

async function H(text) {
  const digest = await globalThis.crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export const canonBytes = (v) => new TextEncoder().encode(canon(v)).length;
/** H(canon({model, salt, worker})): the model_commitment of `worker`, the address that sends the
 * JOB_COMMIT and must send the JOB_MODEL (so a copied commitment cannot be opened by its copier). */
export const modelCommitment = (model, salt, worker) => H(canon({ model, salt, worker }));
export const testCommitment = (rows, labels, salt) => H(canon({ rows, labels, salt }));

/** The inclusive heights of each step of a job whose JOB is in block `job`. */
export function windows(job, commitBlocks, testBlocks, modelBlocks) {
  const c = job + commitBlocks, t = c + testBlocks, m = t + modelBlocks;
  return { job, commit_first: job + 1, commit_last: c, test_first: c + 1, test_last: t, model_first: t + 1,
    model_last: m, settle: m + 1 };
}

/** The JOB_SETTLE data of a job: commitments are [worker, height, position, score or null]. */
export function settle(requester, bounty, stake, testRevealed, commitments) {
  const order = [...commitments].sort((a, b) => (a[1] - b[1]) || (a[2] - b[2]));
  if (new Set(order.map((c) => c[0])).size !== order.length) throw new Error("one commitment per worker");
  if (new Set(order.map((c) => `${c[1]}:${c[2]}`)).size !== order.length) throw new Error("two commitments at one position");
  if (!testRevealed && order.some((c) => c[3] !== null)) throw new Error("no model is revealed before the test set");
  const pay = new Map();
  const give = (a, n) => { if (n) pay.set(a, (pay.get(a) || 0) + n); };
  let outcome, winner = null, burnt = 0;
  if (!testRevealed) {
    outcome = "withheld";
    if (order.length === 0) give(requester, bounty);
    const n = order.length || 1, share = Math.floor(bounty / n), extra = bounty % n;
    order.forEach((c, i) => give(c[0], stake + share + (i < extra ? 1 : 0)));
  } else {
    const revealed = order.filter((c) => c[3] !== null);
    burnt = stake * (order.length - revealed.length);
    for (const c of revealed) give(c[0], stake);
    if (revealed.length) {
      outcome = "won";
      const best = Math.max(...revealed.map((c) => c[3]));
      winner = revealed.find((c) => c[3] === best)[0];
      give(winner, bounty);
    } else {
      outcome = "no_model";
      give(requester, bounty);
    }
  }
  const payouts = [...pay].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { outcome, winner, scores: order.map((c) => [c[0], c[3]]), payouts, burnt };
}

// The JOB body's rule (blockchain/jobs.py job_problem): the first problem of a JOB's data in a block
// at `height` of a network with `networkClasses`, or null.
export const FLOWER_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"];
const JOB_KEYS = ["classes", "commit_blocks", "features", "kind", "max_commits", "model_blocks", "stake", "test_blocks",
  "test_commitment", "test_rows", "train"];
const MIN_WINDOW = { commit_blocks: 1, test_blocks: 1, model_blocks: 2 };
const NAME = /^[a-z0-9_-]{1,32}$/, HEX64 = /^[0-9a-f]{64}$/;
const names = (v, lo, hi) => Array.isArray(v) && v.length >= lo && v.length <= hi
  && v.every((x) => typeof x === "string" && NAME.test(x)) && new Set(v).size === v.length;
const sameList = (a, b) => Array.isArray(a) && a.length === b.length && a.every((x, j) => x === b[j]);

export function jobProblem(data, networkClasses, height) {
  if (!isObject(data) || !hasKeys(data, JOB_KEYS)) return `a job's data has exactly the keys ${JOB_KEYS.join(", ")}`;
  if (!KINDS.includes(data.kind)) return `kind must be one of ${KINDS.join(", ")}`;
  if (!names(data.features, MIN_FEATURES, MAX_FEATURES)) return `features must be ${MIN_FEATURES} to ${MAX_FEATURES} distinct names`;
  if (!names(data.classes, MIN_CLASSES, MAX_CLASSES)) return `classes must be ${MIN_CLASSES} to ${MAX_CLASSES} distinct names`;
  const train = data.train;
  const trainKeys = isObject(train) ? Object.keys(train) : [];
  if (trainKeys.length !== 1 || !["flowers_to", "artifact"].includes(trainKeys[0])) {
    return 'train must be {"flowers_to": height} or {"artifact": sha256}';
  }
  if (trainKeys[0] === "flowers_to") {
    if (!isInt(train.flowers_to, 0, height - 1)) return `flowers_to must be a height of the chain before this block (0 to ${height - 1})`;
    if (!sameList(data.features, FLOWER_FEATURES) || !sameList(data.classes, networkClasses)) {
      return "a job on the network's flowers has its four measurements as features and its classes";
    }
  } else if (typeof train.artifact !== "string" || !HEX64.test(train.artifact)) {
    return "artifact must be a SHA-256 of 64 lowercase hex characters";
  }
  if (typeof data.test_commitment !== "string" || !HEX64.test(data.test_commitment)) return "test_commitment must be 64 lowercase hex characters";
  const mostRows = Math.min(MAX_TEST_ROWS, Math.floor(MAX_TEST_CELLS / data.features.length));
  if (!isInt(data.test_rows, 1, mostRows)) return `test_rows must be 1 to ${mostRows}`;
  if (!isInt(data.stake, 1, 1e12)) return "stake must be 1 to 1000000000000";
  if (!isInt(data.max_commits, 1, 16)) return "max_commits must be 1 to 16";
  for (const [key, least] of Object.entries(MIN_WINDOW)) {
    if (!isInt(data[key], least, 10000)) return `${key} must be ${least} to 10000`;
  }
  return null;
}

// The page verifier's model (PROTOCOL.md "The model"): measurements in hundredths of a cm, the
// integer feature weights of the base data, and the integer KNN (k = 3) kept incrementally, with
// test_correct, leave-one-out predictions and the model hash chain. Part of web/verify.js.

import { H, ProtocolError, canon } from "./encoding.js";

export const K = 3;
const MEASUREMENT = /^(0|[1-9][0-9]{0,2})\.[0-9]{2}$/;

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

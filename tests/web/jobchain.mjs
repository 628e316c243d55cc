// A small chain builder for the job tests (tests/web/jobs_rules.test.js): a genesis of minimal
// difficulty, blocks mined for real (proof of work, Merkle root, required difficulty), unsigned user
// transactions, and each due JOB_SETTLE written from the chain so far. The verifier under test checks
// every block from scratch; the builder only saves writing blocks by hand.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import * as v from "../../web/verify.js";
import { requiredDifficulty, meetsDifficulty } from "../../web/difficulty.js";
import { settlementOf } from "../../web/jobs_rules.js";
import { modelCommitment, testCommitment } from "../../web/kinds.js";

const here = path.dirname(fileURLToPath(import.meta.url));
export const base = v.parseStrict(readFileSync(path.join(here, "..", "vectors", "iris-base.json"), "utf8"));

export const salt = (c) => c.repeat(64 / c.length);

export async function tx(body) {
  return { ...body, id: await v.H(v.canon(body)) };
}

let clock = 1_000;
export const user = (type, sender, amount, extra) => tx({ type, sender, recipient: "MODEL", amount, timestamp_ms: clock++, ...extra });

/** A test set and its commitment. */
export async function testSet(rows, labels, s = salt("5a17")) {
  const data = { rows, labels, salt: s };
  return { data, commitment: await testCommitment(rows, labels, s) };
}

/** A model reveal's data and its commitment for `worker` (the commitment binds its worker). */
export async function reveal(model, s, worker) {
  return { data: { model, salt: s }, commitment: await modelCommitment(model, s, worker) };
}

export function jobData(over = {}) {
  return { kind: "linear", train: { artifact: salt("ab") }, features: ["x", "y"], classes: ["no", "yes"],
    test_commitment: salt("00"), test_rows: 2, stake: 7, max_commits: 4, commit_blocks: 2, test_blocks: 1,
    model_blocks: 2, ...over };
}

export class Builder {
  static async start(protocol = 3) {
    const model = await v.Model.fromBase(base);
    const params = { protocol, difficulty: 1, base_hash: model.baseHash, classes: base.classes, k: 3, weights: model.weights,
      min_deposit: 0, refund_wait: 10 };
    if (protocol === 3) Object.assign(params, { target_block_ms: 1000, retarget_every: 10000, min_difficulty: 1 });
    const genesis = await v.makeGenesis(params, model);
    const out = new Builder();
    out.blocks = [genesis];
    out.ledger = (await v.verifyChain([genesis], base)).ledger;
    return out;
  }

  get height() { return this.blocks.length - 1; }

  /** The JOB_SETTLEs due in the next block, as an honest miner writes them. */
  async dueSettles() {
    const h = this.height + 1;
    const ids = this.ledger.settling.get(h) || [];
    return Promise.all(ids.map((id) => tx({ type: "JOB_SETTLE", sender: "MODEL", recipient: "MODEL", amount: 0, block_index: h,
      job_id: id, data: settlementOf(this.ledger.jobs.get(id)) })));
  }

  /** Mine the next block with ``txs`` (after the REWARD and the due JOB_SETTLEs, which ``settles``
   * may replace). With ``keep`` false the block is returned but not added (an invalid last block). */
  async mine(miner, txs = [], { settles = null, keep = true, edit = null } = {}) {
    const index = this.height + 1;
    const parent = this.blocks[this.height];
    const reward = await tx({ type: "REWARD", sender: "0", recipient: miner, amount: 1, block_index: index });
    let all = [reward, ...(settles || await this.dueSettles()), ...txs];
    if (edit) all = await edit(all);
    const v3 = this.ledger.params.protocol === 3;
    const difficulty = v3 ? requiredDifficulty(index, this.ledger.ancestors, this.ledger.params) : this.ledger.params.difficulty;
    const block = { index, timestamp_ms: parent.timestamp_ms + 1000, previous_hash: parent.hash,
      difficulty, merkle_root: await v.merkleRoot(all.map((t) => t.id)), nonce: 0,
      hash: "", transactions: all };
    const prefix = v.canon(v.headerOf(block)) + ":";
    for (;; block.nonce++) {
      block.hash = await v.H(prefix + String(block.nonce));
      if (v3 ? meetsDifficulty(block.hash, difficulty) : v.meetsDifficulty(block.hash, difficulty)) break;
    }
    if (keep) {
      await v.applyBlock(this.ledger, block, null);
      this.blocks.push(block);
    }
    return block;
  }

  /** Mine empty blocks up to height ``h``. */
  async to(h, miner = "miner") {
    while (this.height < h) await this.mine(miner);
  }
}

/** A builder at the tip of ``blocks`` (a valid chain from genesis), replayed by the verifier. */
export async function from(blocks) {
  const out = new Builder();
  const result = await v.verifyChain(blocks, base, { nowMs: null });
  if (!result.valid) throw new Error(`not a valid chain: ${result.issues[0].message}`);
  out.blocks = [...blocks];
  out.ledger = result.ledger;
  return out;
}

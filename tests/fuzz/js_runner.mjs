// The differential fuzzer's JavaScript side: one verdict of web/verify.js per input line.
// Input, one JSON object a line: {"n": any, "text": chain JSON text, "now_ms": clock}.
// Output, one JSON object a line: {"n", "valid", "first_bad", "model_hash", "state"} or {"n", "crash"}.
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as v from "../../web/verify.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const base = v.parseStrict(readFileSync(path.join(here, "..", "vectors", "iris-base.json"), "utf8"));

function stateOf(ledger) {
  const balances = {}, flowers = {}, good = {};
  for (const [a, x] of [...ledger.balances].sort()) if (x !== 0) balances[a] = x;
  for (const [id, f] of [...ledger.flowers].sort()) {
    flowers[id] = [f.block, f.row, f.sender, f.deposit, f.left, f.label, [...f.reporters].sort(), f.refunded,
      f.settled];
  }
  for (const [a, x] of [...ledger.good].sort()) if (x !== 0) good[a] = x;
  return { balances, flowers, good, total_good: ledger.totalGood, ...jobsOf(ledger) };
}

// The job tables in oracles.py's form (jobs_of): records by id, reveals by content; the settlement index.
function jobsOf(ledger) {
  const jobs = {}, settling = {};
  for (const [id, j] of [...ledger.jobs].sort()) {
    const commits = j.commitments.map((c) => [c.worker, c.model_commitment, c.height, c.position,
      c.revealed ? c.model : null]);
    jobs[id] = [j.height, j.position, j.requester, j.bounty, j.data, commits, j.test, j.settlement, j.settled_in];
  }
  for (const [h, ids] of [...ledger.settling].sort((a, b) => a[0] - b[0])) if (ids.length) settling[String(h)] = [...ids];
  return { jobs, settling };
}

export async function verdict(text, nowMs) {
  let data;
  try { data = v.parseStrict(text); } catch (e) {
    if (e instanceof v.ProtocolError) return { valid: false, first_bad: null, why: e.message };
    throw e;
  }
  if (data !== null && typeof data === "object" && !Array.isArray(data) && Array.isArray(data.chain)) data = data.chain;
  if (!Array.isArray(data)) return { valid: false, first_bad: null, why: "not a list of blocks" };
  const result = await v.verifyChain(data, base, { nowMs });
  if (!result.valid) return { valid: false, first_bad: result.issues[0].block_index, why: result.issues[0].message };
  return { valid: true, first_bad: null, model_hash: result.model_hash, state: stateOf(result.ledger) };
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  const job = JSON.parse(line);
  let out;
  try { out = await verdict(job.text, job.now_ms); } catch (e) { out = { crash: String(e && e.stack || e).slice(0, 500) }; }
  process.stdout.write(JSON.stringify({ n: job.n, ...out }) + "\n");
}

// The dashboard's Jobs pages (PROTOCOL.md "Version 3: training jobs"): the list of jobs, and one job
// with its timeline, commitments, test set, leaderboard, payouts, the winner's model and what a user
// can check about it. Everything shown is replayed in this page from GET /chain with web/verify.js
// (the job tables and every settlement are recomputed, never taken from the node).
import { ProtocolError, applyBlock, parseStrict, verifyChain } from "./verify.js";
import { jobView } from "./jobs_rules.js";
import { predict, score } from "./kinds.js";
import { addrLink, blockLink, esc, link, loading, short } from "./ui.js";
import { jobLink } from "./jobs_view.js";

async function fetchStrict(path) {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path} answered ${r.status}`);
  return parseStrict(await r.text());
}

let cached = null; // the last replay: {base, blocks, result, height}; a new tip extends it when it can

async function download(from, progress) {
  const blocks = [];
  for (let next = from; next !== null && next !== undefined;) {
    const page = await fetchStrict(`/chain?from=${next}&limit=1000`);
    blocks.push(...page.chain);
    progress(`downloaded ${from + blocks.length} of ${page.length} blocks`);
    next = page.next;
  }
  return blocks;
}

const invalid = (issue) => new Error(`the node's chain is INVALID at block ${issue.block_index}: ${issue.message} (nothing of it is shown)`);

let running = null; // the replay under way, if any: {promise, listeners}
/** The chain replayed in this page: {base, blocks, result, height}; throws if the chain is invalid.
 * When the node's chain grew on the last replay's tip, only the new blocks are checked. A call
 * while a replay is under way (another page opened meanwhile: the address page's Jobs link, or
 * back to it) waits for that replay and hears its progress, instead of downloading and checking
 * the chain a second time beside it. */
export function replayChain(progress = () => {}) {
  if (!running) {
    const listeners = new Set();
    const promise = replay((what) => { for (const hear of listeners) hear(what); });
    running = { promise, listeners };
    promise.then(() => { running = null; }, () => { running = null; });
  }
  running.listeners.add(progress);
  return running.promise;
}

async function replay(progress) {
  const tip = await fetchStrict("/tip");
  if (cached && cached.blocks[cached.blocks.length - 1].hash === tip.hash) return cached;
  if (cached && tip.height > cached.height) {
    const more = await download(cached.blocks.length, progress);
    if (more.length && more[0].previous_hash === cached.blocks[cached.blocks.length - 1].hash) {
      const ledger = cached.result.ledger;
      for (const block of more) {
        try { await applyBlock(ledger, block, Date.now()); } catch (e) {
          cached = null;
          if (e instanceof ProtocolError) throw invalid({ block_index: block.index, message: e.message });
          throw e;
        }
        cached.blocks.push(block);
      }
      cached.height = ledger.tip.index;
      return cached;
    }
  }
  cached = null; // a new chain, or a reorganisation: replay it all
  const base = await fetchStrict("/model/base");
  const blocks = await download(0, progress);
  const result = await verifyChain(blocks, base, { onProgress: (p) => p.phase === "blocks" && progress(`replayed ${p.done} of ${p.total} blocks`) });
  if (!result.valid) throw invalid(result.issues[0]);
  cached = { base, blocks, result, height: result.ledger.tip.index };
  return cached;
}

const replayed = (r) => `<p class="ok" data-testid="jobs-replayed">Replayed in this page: ${r.blocks.length} blocks checked
  with <code>verify.js</code>, every settlement recomputed from the revealed models and test set.</p>`;

/** The roles of ``address`` in a job: requester, worker, paid. */
export function rolesOf(j, address) {
  const roles = [];
  if (j.requester === address) roles.push("requester");
  if (j.commitments.some((c) => c.worker === address)) roles.push("worker");
  if (j.settlement && j.settlement.payouts.some(([a]) => a === address)) roles.push("paid");
  return roles;
}

export async function jobsPage(render, params = new URLSearchParams()) {
  if (!cached) render(loading("Replaying the chain"));
  const r = await replayChain();
  const who = params.get("address");
  const jobs = [...r.result.ledger.jobs.values()].map((j) => jobView(j, r.height)).reverse()
    .filter((j) => !who || rolesOf(j, who).length);
  render(`<h1>Training jobs${who ? ` of ${addrLink(who)}` : ""}</h1>${replayed(r)}
    <p>A requester escrows a bounty for a model; workers train off the chain and commit to their models by hash; the
    requester reveals its hidden test set, the workers reveal their models, and the chain pays the best score
    (${link("/docs", "API")}, docs/jobs.md).${who ? ` ${link("#/jobs", "All jobs")}.` : ""}</p>
    ${jobs.length ? `<table data-testid="job-list"><tr><th>job</th><th>block</th><th>state</th><th>kind</th><th>requester</th><th>bounty</th>
      <th>commitments</th><th>outcome</th>${who ? "<th>role</th>" : ""}</tr>${jobs.map((j) => `
      <tr><td>${jobLink(j.id)}</td><td>${blockLink(j.height, String(j.height))}</td><td>${esc(j.state)}</td><td>${esc(j.data.kind)}</td>
      <td>${addrLink(j.requester)}</td><td>${j.bounty}</td><td>${j.commitments.length} of ${j.data.max_commits}</td>
      <td>${j.settlement ? `${esc(j.settlement.outcome)}${j.settlement.winner ? `: ${addrLink(j.settlement.winner)}` : ""}` : "—"}</td>
      ${who ? `<td>${rolesOf(j, who).join(", ")}</td>` : ""}</tr>`).join("")}</table>`
    : `<p data-testid="job-list-empty">No job${who ? " of this address" : ""} on this chain yet.</p>`}`);
}

function timeline(j, height) {
  const steps = [["the JOB", [j.height, j.height]], ["commitments", j.windows.commit], ["test set reveal", j.windows.test],
    ["model reveals", j.windows.model], ["settlement", [j.windows.settle, j.windows.settle]]];
  const now = height + 1;
  return `<table data-testid="job-timeline"><tr><th>step</th><th>blocks</th><th></th></tr>${steps.map(([name, [a, b]]) => `
    <tr class="${a <= now && now <= b ? "now" : ""}"><td>${name}</td><td>${a === b ? a : `${a} to ${b}`}</td>
    <td>${b < now ? "closed" : a <= now ? "open for the next block" : `opens in ${a - now} block(s)`}</td></tr>`).join("")}</table>`;
}

/** What a user can check about a winner on the chain (PROTOCOL.md: "What remains possible"). */
export function winnerChecks(j, blocks, base) {
  const out = [];
  const s = j.settlement, test = j.test;
  if (!s || !s.winner || !test) return out;
  const model = j.models[s.winner];
  const key = (row) => row.join(",");
  if (model.kind === "knn") {
    const own = new Map(model.rows.map((row, i) => [key(row), model.labels[i]]));
    const held = test.rows.filter((row) => own.has(key(row)));
    const same = test.rows.filter((row, i) => own.get(key(row)) === test.labels[i]);
    out.push(`${held.length} of the ${test.rows.length} test rows are rows of the winning knn model (${same.length} with the test set's label)${
      same.length ? ": a model that holds the test set predicts it for free, and only someone who knew the test set before it was revealed"
          + " (the requester, or whoever it told) could have built it." : "."}`);
  }
  const funded = blocks.flatMap((b) => b.transactions).filter((t) => t.type === "TRANSFER" && t.sender === j.requester && t.recipient === s.winner);
  out.push(funded.length ? `the requester sent the winner coins ${funded.length} time(s) (${funded.map((t) => link(`#/tx/${t.id}`, short(t.id, 10))).join(", ")}): perhaps one person under two addresses.`
    : "no TRANSFER from the requester to the winner is on the chain (that proves nothing: the requester may fund it another way).");
  if (j.data.train && Object.hasOwn(j.data.train, "flowers_to")) {
    const units = (m) => Number(m.replace(".", ""));
    const rows = base.test.map((row) => row.map(units));
    const labels = base.test_labels.map((l) => base.classes.indexOf(l));
    out.push(`on the network's own ${rows.length} public test rows the winner scores ${score(model, rows, labels)} (on the job's hidden test set ${
      s.scores.find(([w]) => w === s.winner)[1]} of ${test.rows.length}): a model fitted to the hidden test set alone would do worse here.`);
  }
  return out;
}

function leaderboard(j) {
  const s = j.settlement;
  const order = s.scores.map(([w, sc], i) => ({ w, sc, i })).sort((a, b) => (b.sc ?? -1) - (a.sc ?? -1) || a.i - b.i);
  const paid = new Map(s.payouts);
  return `<p data-testid="job-outcome">outcome <b>${esc(s.outcome)}</b>${s.winner ? `, winner ${addrLink(s.winner)}` : ""}${s.burnt ? `; ${s.burnt} burnt (stakes never revealed)` : ""}</p>
    <table data-testid="job-leaderboard"><tr><th>rank</th><th>worker</th><th>score</th><th>paid</th></tr>${order.map((e, n) => `
    <tr><td>${n + 1}</td><td>${addrLink(e.w)}</td><td>${e.sc === null ? "not revealed" : `${e.sc} of ${j.data.test_rows}`}</td><td>${paid.get(e.w) || 0}</td></tr>`).join("")}</table>
    <h3>Payouts</h3><table data-testid="job-payouts"><tr><th>address</th><th>amount</th></tr>${s.payouts.map(([a, n]) => `
    <tr><td>${addrLink(a)}</td><td>${n}</td></tr>`).join("")}</table>`;
}

export async function jobPage(render, id) {
  if (!cached) render(loading("Replaying the chain"));
  const r = await replayChain();
  const job = r.result.ledger.jobs.get(id);
  if (!job) { render(`<h1>Job</h1><p class="error">No job ${esc(short(id, 16))} on this chain.</p>`); return true; }
  const j = jobView(job, r.height), d = j.data;
  const train = Object.hasOwn(d.train, "flowers_to") ? `the network's flowers up to block ${blockLink(d.train.flowers_to, String(d.train.flowers_to))}`
    : `dataset ${link(`/artifacts/${d.train.artifact}`, short(d.train.artifact, 16))} (SHA-256; the node's artifact store)`;
  const s = j.settlement;
  const winner = s && s.winner ? j.models[s.winner] : null;
  const unit = Object.hasOwn(d.train, "flowers_to") ? " (hundredths of a cm)" : "";
  render(`<h1>Job ${esc(short(j.id, 16))}</h1>${replayed(r)}
    <dl class="grid"><dt>state</dt><dd data-testid="job-state">${esc(j.state)}</dd>
      <dt>requester</dt><dd>${addrLink(j.requester)}</dd><dt>bounty</dt><dd>${j.bounty}</dd>
      <dt>model kind</dt><dd>${esc(d.kind)}</dd><dt>training data</dt><dd>${train}</dd>
      <dt>features</dt><dd>${d.features.map(esc).join(", ")}</dd><dt>classes</dt><dd>${d.classes.map(esc).join(", ")}</dd>
      <dt>stake</dt><dd>${d.stake} per commitment, at most ${d.max_commits}</dd>
      <dt>test set</dt><dd>${j.test ? `revealed: ${j.test.rows.length} rows` : `hidden: ${d.test_rows} rows committed as <code>${esc(short(d.test_commitment, 20))}</code>`}</dd></dl>
    <h2>Timeline</h2>${timeline(j, r.height)}
    <h2>Commitments (${j.commitments.length})</h2>${j.commitments.length ? `<table data-testid="job-commitments"><tr><th>worker</th><th>block</th>
      <th>position</th><th>model commitment</th><th>revealed</th></tr>${j.commitments.map((c) => `
      <tr><td>${addrLink(c.worker)}</td><td>${blockLink(c.height, String(c.height))}</td><td>${c.position}</td>
      <td><code title="${esc(c.model_commitment)}">${esc(short(c.model_commitment, 16))}</code></td><td>${c.revealed ? "yes" : "no"}</td></tr>`).join("")}</table>` : "<p>none yet</p>"}
    ${s ? `<h2>Settlement (block ${blockLink(j.settled_in, String(j.settled_in))})</h2>${leaderboard(j)}` : ""}
    ${winner ? `<h2>The winner's model</h2>
      <details><summary>${esc(winner.kind)} model of ${addrLink(s.winner)} (JSON)</summary><pre data-testid="job-winner-model">${esc(JSON.stringify(winner))}</pre></details>
      <form data-testid="job-predict-form">${d.features.map((f) => `<label>${esc(f)}${unit} <input name="${esc(f)}" required inputmode="numeric"></label>`).join("")}
        <button>Predict in this page</button></form><div data-testid="job-predict-result"></div>
      <h2>What you can check about the winner</h2>
      <p>Nothing on a chain can tell two addresses of one person apart: a requester may compete in its own job under
      another address, knowing its own test set. What is on the chain can be looked at:</p>
      <ul data-testid="job-checks">${winnerChecks(j, r.blocks, r.base).map((c) => `<li>${c}</li>`).join("")}</ul>` : ""}`);
  const form = document.querySelector('[data-testid="job-predict-form"]');
  if (form) {
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const row = d.features.map((f) => Number(ev.target.elements[f].value));
      const out = document.querySelector('[data-testid="job-predict-result"]');
      const ok = row.every((x) => Number.isInteger(x) && Math.abs(x) <= 10000);
      out.innerHTML = ok ? `<p>prediction: <b data-testid="job-prediction">${esc(d.classes[predict(winner, row)])}</b></p>`
        : '<p class="error">features are integers from -10000 to 10000</p>';
    });
  }
  return !s; // a settled job no longer changes: the page need not follow new blocks
}

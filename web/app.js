// The dashboard: one page, hash routes, only the node's public JSON endpoints.
import { H, blockHash, fromHex, measurementUnits, parseStrict, toHex, verifyChain } from "./verify.js";
import { createWallet, forgetWallet, loadWallet, signBody } from "./wallet.js";
import { addrLink, allPages, api, blockLink, esc, link, loading, post, problem, short, txLink, when } from "./ui.js";
import { CONTRIBUTION_COLUMNS, HISTORY_COLUMNS, TRANSFER_COLUMNS, download, toCsv } from "./csv.js";
import { markReplayed, replayMark } from "./replayed.js";
import { overview as overviewPage, peerTable } from "./overview.js";
import { JOB_DETAILS } from "./jobs_view.js";
import { jobPage, jobsPage } from "./jobs.js";

const view = document.getElementById("view");
const FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"];
let wallet = null;
let lastTip = null;
let onTip = null;  // what the current page refreshes when a new block or transaction arrives

function render(html) { view.innerHTML = html; }

function txRows(txs) {
  return `<table><tr><th>id</th><th>type</th><th>from</th><th>to</th><th>amount</th><th>details</th></tr>${txs.map((t) => `
    <tr><td>${txLink(t.id)}</td><td>${esc(t.type)}</td><td>${addrLink(t.sender)}</td><td>${addrLink(t.recipient)}</td>
    <td>${esc(t.amount)}</td><td>${details(t)}</td></tr>`).join("")}</table>`;
}

// What the "details" column shows of each transaction type; a type without an entry shows nothing.
const claimed = (t) => "flower " + txLink(t.flower_id);
const DETAILS = {
  FLOWER_DATA: (t) => esc(`${t.data.flower_type}: ${FEATURES.map((f) => t.data[f]).join(" / ")} cm`),
  MODEL_UPDATE: (t) => esc(`model ${short(t.data.model_hash, 12)}, ${t.data.test_correct} of ${t.data.test_rows} test rows right`),
  REFUND: claimed,
  REPORT: claimed,
  ...JOB_DETAILS, // JOB, JOB_COMMIT, JOB_TEST, JOB_MODEL, JOB_SETTLE: requester, bounty, job, commitment, scores, payouts
};

function details(t) {
  try {
    return Object.hasOwn(DETAILS, t.type) ? DETAILS[t.type](t) : "";
  } catch (e) { // a transaction without the fields its type has: shown raw on its own page, not here
    return "(malformed)";
  }
}

// -- live status
let refreshing = null, again = false, stale = false;
// Re-renders the current page for a new tip or pool, never two at once (changes meanwhile: once more).
// A refresh that fails (a busy or unreachable node) leaves the page stale: the next poll tries again,
// even if the tip has not moved since, so a page never stays behind a block it was told about.
function refresh() {
  if (refreshing) { again = true; return refreshing; }
  refreshing = (async () => {
    do {
      again = false;
      stale = false;
      if (onTip) await onTip().catch(() => { stale = true; });
    } while (again);
    refreshing = null;
  })();
  return refreshing;
}

async function pollTip() {
  try {
    const [tip, health] = await Promise.all([api("/tip"), api("/health")]);
    document.querySelector('[data-testid="height"]').textContent = tip.height;
    const tipEl = document.querySelector('[data-testid="tip"]');
    tipEl.textContent = short(tip.hash, 20);
    tipEl.title = tip.hash;
    document.querySelector('[data-testid="pending"]').textContent = health.pending;
    document.getElementById("live").className = "on";
    const key = `${tip.hash}/${health.pending}`;
    if (key !== lastTip || stale) {
      const first = lastTip === null;
      lastTip = key;
      if (!first) refresh();
    }
  } catch (e) {
    document.getElementById("live").className = "off";
  }
}

// -- pages -------------------------------------------------------------------------------------
async function overview() {
  await overviewPage(render, replayMark);
  onTip = overview;
}

async function blocks(params) {
  const per = 20;
  const tip = await api("/tip");
  const top = params.get("top") !== null ? Math.min(Number(params.get("top")), tip.height) : tip.height;
  const from = Math.max(0, top - per + 1);
  const page = await api(`/chain?from=${from}&limit=${top - from + 1}`);
  const rows = page.chain.slice().reverse();
  render(`<h1>Blocks</h1>
    <table data-testid="block-list"><tr><th>height</th><th>hash</th><th>time</th><th>transactions</th><th>flowers</th></tr>${rows.map((b) => `
      <tr data-height="${b.index}"><td>${blockLink(b.index, String(b.index))}</td><td>${blockLink(b.hash)} ${replayMark(b)}</td><td>${when(b.timestamp_ms)}</td>
      <td>${b.transactions.length}</td><td>${b.transactions.filter((t) => t.type === "FLOWER_DATA").length}</td></tr>`).join("")}</table>
    <p class="pager">${top < tip.height ? link(`#/blocks?top=${Math.min(tip.height, top + per)}`, "newer") : ""}
      ${from > 0 ? link(`#/blocks?top=${from - 1}`, "older") : ""}</p>
    <h2>Pending</h2><div id="pending-list">${loading("Loading the pending pool")}</div>`);
  const pending = await api("/transactions/pending?limit=50");
  document.getElementById("pending-list").innerHTML = pending.transactions.length ? txRows(pending.transactions) : "<p>none</p>";
  onTip = params.get("top") === null ? () => blocks(params) : null;
}

async function block(key) {
  const b = await api(`/block/${encodeURIComponent(key)}`);
  const side = b.main_chain === false;  // a block of a side branch this node holds, not of its chain
  render(`<h1>${side ? "Side-branch block" : "Block"} ${b.index}</h1>
    ${side ? `<p class="error" id="side-branch">Not on this node's main chain: a block of a side branch it has
      seen. Its header's proof of work and its body's Merkle root were checked; its transactions never took effect.</p>` : ""}
    <dl class="grid">
      <dt>chain</dt><dd>${side ? "side branch (not part of the chain)" : "main chain"}</dd>
      <dt>hash</dt><dd><code>${esc(b.hash)}</code> ${side ? "" : replayMark(b)}</dd>
      <dt>previous</dt><dd>${b.index > 0 ? blockLink(b.previous_hash) : "—"}</dd>
      <dt>time</dt><dd>${when(b.timestamp_ms)}</dd>
      <dt>difficulty</dt><dd>${b.difficulty}</dd><dt>nonce</dt><dd>${b.nonce}</dd>
      <dt>merkle root</dt><dd><code>${esc(b.merkle_root)}</code></dd>
    </dl><h2>Transactions</h2>${txRows(b.transactions)}`);
  onTip = null;
}

async function transaction(id) {
  const proof = await api(`/proof/${encodeURIComponent(id)}`);
  let tx = null;
  if (proof.status === "confirmed") {
    const b = await api(`/block/${proof.block_index}`);
    tx = b.transactions.find((t) => t.id === id);
  } else {
    tx = proof.transaction || null;
  }
  let check = "pending: not in a block yet, so there is no proof";
  if (proof.status === "confirmed") {
    let node = fromHex(id);
    for (const step of proof.path) {
      const pair = new Uint8Array(64);
      const other = fromHex(step.hash);
      if (step.side === "left") { pair.set(other, 0); pair.set(node, 32); } else { pair.set(node, 0); pair.set(other, 32); }
      node = fromHex(await H(pair));
    }
    const root = toHex(node);
    const headerHash = await blockHash(proof.header);
    const ok = root === proof.header.merkle_root && headerHash === proof.block_hash;
    check = ok ? `checked in this page: the path leads to the block's Merkle root, and the header hashes to ${short(proof.block_hash, 20)}`
      : "the proof does NOT check out";
  }
  render(`<h1>Transaction</h1><p><code>${esc(id)}</code></p>
    <p>${proof.status === "confirmed" ? `in block ${blockLink(proof.block_index, String(proof.block_index))}` : "pending"}</p>
    <p data-testid="proof-result" class="${check.includes("NOT") ? "error" : "ok"}">${esc(check)}</p>
    ${tx ? `<pre>${esc(JSON.stringify(tx, null, 2))}</pre>` : ""}`);
  onTip = null;
}

async function address(addr, params) {
  const from = Number(params.get("from") || 0);
  const [bal, contrib, moves] = await Promise.all([api(`/balance/${encodeURIComponent(addr)}`),
    allPages(`/contributions?sender=${encodeURIComponent(addr)}`, "contributions"),
    api(`/transfers?address=${encodeURIComponent(addr)}&from=${from}&limit=50`)]);
  const here = `#/address/${encodeURIComponent(addr)}`;
  render(`<h1>Address</h1><p><code>${esc(addr)}</code></p>
    <dl class="grid"><dt>balance</dt><dd>${bal.balance}</dd><dt>available</dt><dd>${bal.available}</dd>
    <dt>refunded contributions (good)</dt><dd>${contrib.good}</dd>
    <dt>training jobs</dt><dd>${link(`#/jobs?address=${encodeURIComponent(addr)}`, "as requester, worker or payee")} (replayed in this page)</dd></dl>
    <p><button type="button" data-testid="csv-transfers">Download the history (CSV)</button>
      <button type="button" data-testid="csv-contributions">Download the contributions (CSV)</button></p>
    <h2>Contributions (${contrib.count})</h2>${contrib.contributions.length ? `<table data-testid="contribution-list"><tr><th>flower</th><th>block</th><th>label</th><th>deposit</th><th>left</th><th>claimable from block</th><th>model agrees</th><th>refund / report now</th></tr>${contrib.contributions.map((c) => `
      <tr><td>${txLink(c.flower_id)}</td><td>${blockLink(c.block_index, String(c.block_index))}</td><td>${esc(c.data.flower_type)}</td>
      <td>${c.deposit}</td><td>${c.left}${c.refunded ? " (refunded)" : ""}</td><td>${c.claimable_from_block}</td><td>${c.model_agrees ? "yes" : "no"}</td>
      <td>${c.refund_allowed ? "refund" : "-"} / ${c.report_allowed ? "report" : "-"} (${link(`#/judgement/${c.flower_id}`, "why")})</td></tr>`).join("")}</table>` : "<p>none</p>"}
    <h2>Transfers (${moves.count}, newest first)</h2>${moves.transfers.length ? `<table data-testid="transfer-list"><tr><th>block</th><th>id</th><th>from</th><th>to</th><th>amount</th></tr>${moves.transfers.map((t) => `
      <tr><td>${blockLink(t.block_index, String(t.block_index))}</td><td>${txLink(t.id)}</td><td>${addrLink(t.sender)}</td><td>${addrLink(t.recipient)}</td><td>${t.amount}</td></tr>`).join("")}</table>` : "<p>none</p>"}
    <p class="pager">${from > 0 ? link(`${here}?from=${Math.max(0, from - 50)}`, "newer") : ""} ${moves.next != null ? link(`${here}?from=${moves.next}`, "older") : ""}</p>`);
  const name = addr.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 40);
  document.querySelector('[data-testid="csv-transfers"]').onclick = async () => {
    const all = await allPages(`/transfers?address=${encodeURIComponent(addr)}`, "transfers");
    download(`transfers-${name}.csv`, toCsv(TRANSFER_COLUMNS, all.transfers));
  };
  document.querySelector('[data-testid="csv-contributions"]').onclick = () =>
    download(`contributions-${name}.csv`, toCsv(CONTRIBUTION_COLUMNS, contrib.contributions));
  onTip = null;
}

async function judgement(id) {
  const j = await api(`/flower/${encodeURIComponent(id)}/judgement`);
  render(`<h1>Judgement</h1><p>flower ${txLink(j.flower_id)}, labelled <b>${esc(j.label)}</b>; a claim in block ${j.judged_in_block}
    (claimable from block ${j.claimable_from_block}) is judged by protocol ${j.protocol}: ${esc(j.rule)}.</p>
    <p data-testid="judgement-verdict">${j.agree} of ${j.k} agree: refund ${j.refund_allowed ? "allowed" : "refused"}${j.refund_allowed && j.good ? " (good)" : ""}, report ${j.report_allowed ? "allowed" : "refused"}${(j.blocked_by || []).map((r) => `; not now: ${esc(r)}`).join("")}</p>
    <table data-testid="judgement-neighbours"><tr><th>row</th><th>label</th><th>distance</th><th>from</th><th>counts</th><th>why</th></tr>${j.neighbours.map((n) => `
      <tr><td>${n.row}</td><td>${esc(n.label)}</td><td>${n.distance}</td><td>${n.flower_id ? txLink(n.flower_id) : "base data"}</td>
      <td>${n.counted ? "yes" : "no"}</td><td>${esc(n.why)}</td></tr>`).join("")}</table>`);
  onTip = null;
}

let chart = null;
async function model() {
  const [history, evaluation] = await Promise.all([allPages("/model/history", "history", { limit: 100000 }), api("/model/evaluate")]);
  render(`<h1>Model</h1>
    <p>${evaluation.data_points_trained} training rows; accuracy ${(100 * evaluation.accuracy).toFixed(1)}% on ${evaluation.test_rows} held-out test rows.</p>
    <div class="chart"><canvas data-testid="accuracy-chart" data-points="${history.history.length}" aria-label="accuracy over blocks"></canvas></div>
    <p><button type="button" data-testid="csv-history">Download the model history (CSV)</button></p>
    <h2>Confusion matrix</h2>${confusion(evaluation)}
    <h2>Predict</h2>
    <form data-testid="predict-form">${FEATURES.map((f) => `<label>${f.replace("_", " ")} <input name="${f}" required inputmode="decimal" placeholder="5.10"></label>`).join("")}
      <button>Predict</button></form>
    <div data-testid="predict-result"></div>`);
  const rows = history.history;
  if (chart) chart.destroy();
  chart = new Chart(document.querySelector('[data-testid="accuracy-chart"]'), {
    type: "line",
    // A numeric x axis: blocks 0, 1 and 3 sit at their heights, not evenly spaced as categories would.
    data: { datasets: [{ label: "accuracy on the test rows", data: rows.map((r) => ({ x: r.block_index, y: r.accuracy })),
      stepped: true, pointRadius: 3, clip: false }] },
    options: { animation: false, layout: { padding: 8 }, parsing: false,
      scales: { x: { type: "linear", title: { display: true, text: "block" }, ticks: { precision: 0 } },
        y: { min: 0, max: 1, title: { display: true, text: "accuracy" } } } },
  });
  document.querySelector('[data-testid="csv-history"]').onclick = async () => {
    const all = await allPages("/model/history", "history", { limit: 100000 });
    download("model-history.csv", toCsv(HISTORY_COLUMNS, all.history));
  };
  document.querySelector('[data-testid="predict-form"]').addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const out = document.querySelector('[data-testid="predict-result"]');
    const body = Object.fromEntries(FEATURES.map((f) => [f, Number(ev.target.elements[f].value)]));
    try {
      const p = await post("/flower/predict", body);
      out.innerHTML = `<p>prediction: <b data-testid="prediction">${esc(p.prediction)}</b></p>
        <table><tr><th>row</th><th>distance</th><th>label</th><th>from</th></tr>${p.neighbours.map((n) => `
        <tr class="neighbour"><td>${n.row}</td><td>${n.distance}</td><td>${esc(n.label)}</td>
        <td>${n.block_index == null ? "base data" : blockLink(n.block_index, "block " + n.block_index)}</td></tr>`).join("")}</table>`;
    } catch (e) { out.innerHTML = problem(e); }
  });
  onTip = null;
}

function confusion(ev) {
  const classes = ev.confusion_matrix.labels;
  const m = ev.confusion_matrix.matrix;
  return `<table class="confusion"><tr><th>true \\ predicted</th>${classes.map((c) => `<th>${esc(c)}</th>`).join("")}</tr>${m.map((row, i) => `
    <tr><th>${esc(classes[i] || i)}</th>${row.map((v, j) => `<td class="${i === j ? "diag" : ""}">${v}</td>`).join("")}</tr>`).join("")}</table>`;
}

function walletBox() {
  return wallet
    ? `<p>Demo wallet in this browser: <code data-testid="wallet-address">${esc(wallet.address)}</code>
       (${link(`#/address/${wallet.address}`, "its page")}). <label><input type="checkbox" id="sign" checked> sign what I send</label>
       <button type="button" id="forget-wallet">forget this key</button></p>`
    : `<p>No wallet. <button type="button" id="new-wallet" data-testid="new-wallet">Create a demo wallet</button>
       (an Ed25519 key made by your browser and kept in its storage: a demo, not a safe place for value).</p>`;
}

async function signed(body) {
  const sign = wallet && document.getElementById("sign") && document.getElementById("sign").checked;
  if (!sign) return body;
  const full = { ...body, sender: wallet.address, timestamp_ms: Date.now(), public_key: wallet.public_key };
  return full;
}

async function contribute() {
  render(`<h1>Contribute</h1><div id="wallet">${walletBox()}</div>
    <h2>A flower</h2>
    <form data-testid="flower-form">
      <label>sender <input name="sender" required value="${esc(wallet ? wallet.address : "")}"></label>
      ${FEATURES.map((f) => `<label>${f.replace("_", " ")} (cm) <input name="${f}" required placeholder="5.10"></label>`).join("")}
      <label>flower type <select name="flower_type"></select></label>
      <label>deposit <input name="deposit" type="number" min="0" value="0"></label>
      <button>Send the flower</button>
    </form>
    <h2>Claim or report a deposit</h2>
    <form data-testid="claim-form"><label>sender <input name="sender" required value="${esc(wallet ? wallet.address : "")}"></label>
      <label>flower id <input name="flower_id" required size="66"></label>
      <button name="kind" value="refund" data-testid="refund-button">Refund</button>
      <button name="kind" value="report" data-testid="report-button">Report</button></form>
    <h2>Transfer</h2>
    <form data-testid="transfer-form"><label>sender <input name="sender" required value="${esc(wallet ? wallet.address : "")}"></label>
      <label>recipient <input name="recipient" required></label><label>amount <input name="amount" type="number" min="1" value="1"></label>
      <button>Send</button></form>
    <h2>Mine</h2><p><button type="button" id="mine" data-testid="mine-button">Mine a block on this node</button></p>
    <div id="result" data-testid="contribute-result"></div>`);
  const info = await api("/model/info");
  document.querySelector('select[name="flower_type"]').innerHTML = info.classes.map((c) => `<option>${esc(c)}</option>`).join("");
  const result = document.getElementById("result");
  const show = (html) => { result.innerHTML = html; };
  const bind = () => {
    const make = document.getElementById("new-wallet");
    if (make) make.onclick = async () => { wallet = await createWallet(); contribute(); };
    const forget = document.getElementById("forget-wallet");
    if (forget) forget.onclick = () => {
      if (!confirm(`Forget the key of ${wallet.address}? It exists only in this browser: its coins cannot be spent after.`)) return;
      forgetWallet(); wallet = null; contribute();
    };
  };
  bind();
  document.querySelector('[data-testid="flower-form"]').addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = ev.target.elements;
    try {
      const measurements = Object.fromEntries(FEATURES.map((k) => [k, toMeasurement(f[k].value)]));
      let body = { sender: f.sender.value, ...measurements, flower_type: f.flower_type.value, deposit: Number(f.deposit.value || 0) };
      body = await signed(body);
      if (body.public_key) {
        const protocolBody = { type: "FLOWER_DATA", sender: body.sender, recipient: "MODEL", amount: body.deposit,
          timestamp_ms: body.timestamp_ms, data: { ...measurements, flower_type: body.flower_type }, public_key: body.public_key };
        body.signature = await signBody(wallet, protocolBody);
      }
      const r = await post("/flower/add", body);
      show(`<p class="ok">pending: ${txLink(r.transaction_id)}, for block ${r.block_index}</p>`);
    } catch (e) { show(problem(e)); }
  });
  document.querySelector('[data-testid="claim-form"]').addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const kind = ev.submitter ? ev.submitter.value : "refund";
    const f = ev.target.elements;
    try {
      let body = await signed({ sender: f.sender.value, flower_id: f.flower_id.value.trim() });
      if (body.public_key) {
        body.signature = await signBody(wallet, { type: kind.toUpperCase(), sender: body.sender, recipient: "MODEL", amount: 0,
          timestamp_ms: body.timestamp_ms, flower_id: body.flower_id, public_key: body.public_key });
      }
      const r = await post(`/flower/${kind}`, body);
      show(`<p class="ok">${kind} pending: ${txLink(r.transaction_id)}</p>`);
    } catch (e) { show(problem(e)); }
  });
  document.querySelector('[data-testid="transfer-form"]').addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = ev.target.elements;
    try {
      let body = await signed({ sender: f.sender.value, recipient: f.recipient.value, amount: Number(f.amount.value) });
      if (body.public_key) {
        body.signature = await signBody(wallet, { type: "TRANSFER", sender: body.sender, recipient: body.recipient,
          amount: body.amount, timestamp_ms: body.timestamp_ms, public_key: body.public_key });
      }
      const r = await post("/transactions/new", body);
      show(`<p class="ok">transfer pending: ${txLink(r.transaction_id)}</p>`);
    } catch (e) { show(problem(e)); }
  });
  document.getElementById("mine").onclick = async () => {
    try {
      const b = await post("/mine", {});
      show(`<p class="ok">mined ${blockLink(b.index, "block " + b.index)}</p>`);
    } catch (e) { show(problem(e)); }
  };
  onTip = null;
}

function toMeasurement(value) {
  const text = Number(value).toFixed(2);
  measurementUnits(text); // the protocol's own check: 0.01 to 100.00
  if (Math.abs(Number(text) - Number(value)) > 1e-9) throw new Error(`a measurement must be a whole number of hundredths of a cm; got ${value}`);
  return text;
}

async function network() {
  const nodes = await api("/nodes");
  render(`<h1>Network</h1>${peerTable(nodes.nodes)}
    <h2>Register a peer</h2>
    <form data-testid="register-form"><label>peer URL <input name="nodes" placeholder="http://127.0.0.1:5001" required></label><button>Register</button></form>
    <div id="result"></div>`);
  document.querySelector('[data-testid="register-form"]').addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const r = await post("/nodes/register", { nodes: [ev.target.elements.nodes.value.trim()] });
      document.getElementById("result").innerHTML = `<p class="ok">${esc(r.message)}</p>`;
      setTimeout(network, 1500);
    } catch (e) { document.getElementById("result").innerHTML = problem(e); }
  });
  onTip = network;
}

async function verify() {
  render(`<h1>Verify the chain in this browser</h1>
    <p>The page downloads the chain in pages and replays it with <code>verify.js</code>, a second implementation of
    PROTOCOL.md v2: ids, signatures, Merkle roots, proof of work, balances, deposits and claims, and the integer
    KNN with its hash chain; on a version 3 chain also the difficulty, the claims' panels and the training jobs,
    every settlement rescored. It trusts nothing the node says, and compares its own model hash with the node's.</p>
    <p><button data-testid="verify-button">Verify</button></p>
    <progress id="verify-progress" value="0" max="1"></progress> <span id="verify-phase"></span>
    <p data-testid="verify-result"></p>`);
  document.querySelector('[data-testid="verify-button"]').onclick = runVerify;
  onTip = null;
}

async function fetchStrict(path) {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path} answered ${r.status}`);
  return parseStrict(await r.text());
}

async function runVerify() {
  const out = document.querySelector('[data-testid="verify-result"]');
  const bar = document.getElementById("verify-progress");
  const phase = document.getElementById("verify-phase");
  out.className = "";
  out.textContent = "working…";
  const started = performance.now();
  try {
    const base = await fetchStrict("/model/base");
    const blocks = [];
    let from = 0;
    while (from !== null) {
      const page = await fetchStrict(`/chain?from=${from}&limit=1000`);
      blocks.push(...page.chain);
      bar.max = page.length;
      bar.value = blocks.length / 2;
      phase.textContent = `downloaded ${blocks.length} of ${page.length} blocks`;
      from = page.next;
    }
    const result = await verifyChain(blocks, base, {
      onProgress: (p) => {
        if (p.phase === "blocks") { bar.value = blocks.length / 2 + p.done / 2; phase.textContent = `checked ${p.done} of ${p.total} blocks`; }
        else phase.textContent = `rebuilding genesis (nonce ${p.nonce})`;
      },
    });
    bar.value = bar.max;
    phase.textContent = `checked ${blocks.length} blocks`;
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    if (!result.valid) {
      const issue = result.issues[0];
      out.className = "error";
      out.textContent = `INVALID at block ${issue.block_index}${issue.tx_id ? `, transaction ${issue.tx_id}` : ""}: ${issue.message}`;
      out.dataset.badBlock = issue.block_index;
      return;
    }
    markReplayed(blocks);
    const health = await api("/health");
    const same = health.model_hash === result.model_hash;
    out.className = same ? "ok" : "error";
    out.textContent = same
      ? `valid: ${result.length} blocks, model hash ${short(result.model_hash, 16)} matches the node (${seconds} s)`
      : `the chain is valid (${result.length} blocks), but the node's model hash ${short(health.model_hash, 16)} is not the replayed ${short(result.model_hash, 16)}`;
  } catch (e) {
    out.className = "error";
    out.textContent = `could not verify: ${e.message}`;
  }
}

// A job's page follows new blocks until the job is settled (then it no longer changes).
async function job(id) {
  const open = await jobPage(render, id);
  onTip = open ? () => job(id) : null;
}

async function search(q) {
  q = q.trim();
  if (!q) return;
  if (/^[0-9]+$/.test(q)) { location.hash = `#/block/${q}`; return; }
  if (/^[0-9a-f]{64}$/.test(q)) {
    try { await api(`/block/${q}`); location.hash = `#/block/${q}`; return; } catch (e) { /* not a block */ }
    try { await api(`/proof/${q}`); location.hash = `#/tx/${q}`; return; } catch (e) { /* not a transaction */ }
  }
  location.hash = `#/address/${encodeURIComponent(q)}`;
}

// -- routing -----------------------------------------------------------------------------------
async function route() {
  const [path, query] = location.hash.slice(1).split("?");
  const parts = (path || "/").split("/").filter(Boolean);
  const params = new URLSearchParams(query || "");
  onTip = null;
  if (refreshing) await refreshing;  // the old page's refresh must not paint over this one
  render(loading());
  try {
    if (!parts.length) await overview();
    else if (parts[0] === "blocks") await blocks(params);
    else if (parts[0] === "block") await block(decodeURIComponent(parts[1]));
    else if (parts[0] === "tx") await transaction(parts[1]);
    else if (parts[0] === "address") await address(decodeURIComponent(parts.slice(1).join("/")), params);
    else if (parts[0] === "judgement") await judgement(parts[1]);
    else if (parts[0] === "model") await model();
    else if (parts[0] === "contribute") await contribute();
    else if (parts[0] === "network") await network();
    else if (parts[0] === "verify") await verify();
    else if (parts[0] === "jobs") { await jobsPage(render, params); onTip = () => jobsPage(render, params); }
    else if (parts[0] === "job") await job(parts[1]);
    else render("<h1>Not found</h1>");
  } catch (e) {
    render(problem(e));
  }
}

document.getElementById("search-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  search(ev.target.elements.q.value);
});
window.addEventListener("hashchange", route);
wallet = await loadWallet().catch(() => null);
await pollTip();
setInterval(pollTip, 1000);
route();

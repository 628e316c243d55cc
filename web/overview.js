// The overview: the network at a glance. The latest blocks as a strip, the pending pool, the peers,
// the difficulty and block time (from the block headers the page keeps), accuracy and difficulty
// over height. Only the node's public JSON endpoints.
import { addrLink, allPages, api, blockLink, esc, short, txLink } from "./ui.js";

const STRIP = 8;        // blocks in the strip
const WINDOW = 2000;    // the newest headers kept, for the difficulty chart and the block time
const TIME_SPAN = 20;   // block intervals in the median block time
const POOL = 10;        // pending transactions listed

let headers = [];       // main-chain headers, contiguous heights, oldest first
let genesis = null;     // the genesis block (its params say what difficulty means)
let history = { tip: null, rows: [] };
const charts = {};

const headerOf = (b) => ({ index: b.index, timestamp_ms: b.timestamp_ms, previous_hash: b.previous_hash,
  difficulty: b.difficulty, merkle_root: b.merkle_root, nonce: b.nonce, hash: b.hash });

// Newest first: the last ten known hashes, then exponentially older ones (as headers-first sync does).
function locator() {
  const out = [];
  let step = 1;
  for (let i = headers.length - 1; i >= 0 && out.length < 64; i -= step) {
    out.push(headers[i].hash);
    if (out.length >= 10) step *= 2;
  }
  if (headers.length && out[out.length - 1] !== headers[0].hash && out.length < 64) out.push(headers[0].hash);
  return out;
}

// Brings `headers` up to the tip: only the headers after the newest one still on the main chain.
export async function syncHeaders(tip) {
  if (!genesis || genesis.hash !== tip.genesis) {
    genesis = (await api("/chain?from=0&limit=1")).chain[0];
    headers = [];
  }
  if (!headers.length) {
    const start = Math.max(0, tip.height - WINDOW + 1);
    headers = [headerOf(start === 0 ? genesis : await api(`/block/${start}`))];
  }
  for (let round = 0; round < 1000; round++) {
    const last = headers[headers.length - 1];
    if (last.hash === tip.hash) break;
    const page = (await api(`/headers?locator=${locator().join(",")}&limit=2000`)).headers;
    if (!page.length) { headers = headers.filter((h) => h.index <= tip.height); break; }
    const first = page[0].index;
    headers = headers.filter((h) => h.index < first).concat(page);
    if (headers.length > WINDOW) headers = headers.slice(headers.length - WINDOW);
    if (page[page.length - 1].index >= tip.height) break;
  }
  if (headers.length > WINDOW) headers = headers.slice(headers.length - WINDOW);
  return headers;
}

// What a header's `difficulty` counts: v3 (its genesis has a target block time) the hashes a block
// takes on average, v2 leading hex zeros. Returns the unit and log2 of the expected hashes per
// block (one decimal for v3, whose difficulty need not be a power of two).
export function difficultyMeaning(params, difficulty) {
  const v3 = params && params.target_block_ms !== undefined;
  return v3 ? { unit: "hashes", log2: Math.round(10 * Math.log2(difficulty)) / 10 } : { unit: "hex zeros", log2: 4 * difficulty };
}

export function medianBlockTime(hs, span = TIME_SPAN) {
  const times = hs.filter((h) => h.index > 0).map((h) => h.timestamp_ms).slice(-(span + 1));
  const gaps = [];
  for (let i = 1; i < times.length; i++) gaps.push(times[i] - times[i - 1]);
  if (!gaps.length) return null;
  gaps.sort((a, b) => a - b);
  const mid = Math.floor(gaps.length / 2);
  return { ms: gaps.length % 2 ? gaps[mid] : (gaps[mid - 1] + gaps[mid]) / 2, intervals: gaps.length };
}

const seconds = (ms) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`);
const ago = (ms) => {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 60 ? `${s} s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
};

export function peerTable(nodes) {
  if (!nodes.length) return `<p data-testid="peer-list">No peers yet. Register one on the <a href="#/network">Network</a> page.</p>`;
  return `<div class="scroll"><table data-testid="peer-list"><tr><th>peer</th><th>state</th><th>height</th><th>last seen</th><th>problem</th></tr>${nodes.map((n) => `
    <tr><td>${esc(n.url)}</td><td class="state-${esc(n.state)}">${esc(n.state)}</td><td>${n.height ?? "—"}</td>
    <td>${n.last_seen ? new Date(n.last_seen * 1000).toLocaleTimeString() : "—"}</td><td>${esc(n.problem || "")}</td></tr>`).join("")}</table></div>`;
}

function card(testid, label, value, note = "") {
  return `<div class="card" data-testid="${testid}"><div class="label">${esc(label)}</div><div class="value">${value}</div>${note ? `<div class="note">${note}</div>` : ""}</div>`;
}

function strip(blocks, marks) {
  return blocks.map((b) => {
    const flowers = b.transactions.filter((t) => t.type === "FLOWER_DATA").length;
    const mark = marks(b);
    return `<a class="block-card${mark ? " replayed" : ""}" href="#/block/${esc(b.hash)}" data-height="${b.index}" title="${esc(b.hash)}">
      <span class="h">${b.index}</span><span>${b.transactions.length} tx · ${flowers} flower${flowers === 1 ? "" : "s"}</span>
      <span class="muted">${b.index === 0 ? "genesis" : ago(b.timestamp_ms)}</span>${mark}</a>`;
  }).join("");
}

function pool(pending) {
  if (!pending.count) return `<p data-testid="pending-pool" data-count="0">Empty: nothing waits for a block.</p>`;
  const byType = {};
  for (const t of pending.transactions) byType[t.type] = (byType[t.type] || 0) + 1;
  return `<div data-testid="pending-pool" data-count="${pending.count}"><p><b>${pending.count}</b> waiting for the next block${pending.count > POOL ? ` (the first ${POOL}: ${Object.entries(byType).map(([k, v]) => `${v} ${esc(k)}`).join(", ")})` : ""}.</p>
    <div class="scroll"><table><tr><th>id</th><th>type</th><th>from</th><th>amount</th></tr>${pending.transactions.map((t) => `
    <tr><td>${txLink(t.id)}</td><td>${esc(t.type)}</td><td>${addrLink(t.sender)}</td><td>${esc(t.amount)}</td></tr>`).join("")}</table></div></div>`;
}

// ``y``: the y axis's type and range (Chart.js scale options), linear unless said otherwise.
function lineChart(canvas, label, points, yTitle, y = {}) {
  if (charts[label]) charts[label].destroy();
  /* global Chart */
  charts[label] = new Chart(canvas, {
    type: "line",
    data: { datasets: [{ label, data: points, stepped: true, pointRadius: points.length > 60 ? 0 : 3, clip: false }] },
    options: { animation: false, maintainAspectRatio: false, layout: { padding: 8 }, parsing: false,
      plugins: { legend: { display: false } },
      scales: { x: { type: "linear", title: { display: true, text: "height" }, ticks: { precision: 0 } },
        y: { type: "linear", ...y, title: { display: true, text: yTitle }, ticks: y.type === "logarithmic" ? {} : { precision: y.max === 1 ? 2 : 0 } } } },
  });
}

// `marks(block)`: the HTML of a block's "replayed in your browser" mark, or "".
export async function overview(render, marks = () => "") {
  const tip = await api("/tip");
  const [health, info, nodes, pending, latest, hs] = await Promise.all([api("/health"), api("/model/info"), api("/nodes"),
    api(`/transactions/pending?limit=${POOL}`), api(`/chain?from=${Math.max(0, tip.height - STRIP + 1)}&limit=${STRIP}`),
    syncHeaders(tip)]);
  if (history.tip !== tip.hash) history = { tip: tip.hash, rows: (await allPages("/model/history", "history", { limit: 100000 })).history };
  const params = genesis.transactions[0].params || {};
  const top = hs[hs.length - 1];
  const meaning = difficultyMeaning(params, top.difficulty);
  const time = medianBlockTime(hs);
  const ok = nodes.nodes.filter((n) => n.state === "ok").length;
  render(`<h1>Overview</h1>
    <section class="cards" data-testid="at-a-glance">
      ${card("glance-height", "height", `${blockLink(tip.hash, String(tip.height))}`)}
      ${card("glance-difficulty", "difficulty", `<span data-value="${top.difficulty}">${top.difficulty} ${meaning.unit}</span>`, `about 2<sup>${meaning.log2}</sup> hashes a block`)}
      ${card("glance-block-time", "block time", time ? `<span data-ms="${time.ms}">${seconds(time.ms)}</span>` : "—",
        time ? `median of the last ${time.intervals} interval${time.intervals === 1 ? "" : "s"}${params.target_block_ms ? `; target ${seconds(params.target_block_ms)}` : ""}` : "no interval yet")}
      ${card("glance-pending", "pending", String(pending.count), "transactions")}
      ${card("glance-accuracy", "accuracy", `${(100 * info.accuracy).toFixed(1)}%`, `${info.test_correct} of ${info.test_rows} test rows`)}
      ${card("glance-peers", "peers", `${ok} of ${nodes.nodes.length}`, "in state ok")}
    </section>
    <h2>Latest blocks</h2><div class="strip" data-testid="block-strip">${strip(latest.chain.slice().reverse(), marks)}</div>
    <div class="columns">
      <section><h2>Pending pool</h2>${pool(pending)}</section>
      <section><h2>Peers</h2>${peerTable(nodes.nodes)}</section>
    </div>
    <div class="columns">
      <section><h2>Accuracy over height</h2><div class="chart small"><canvas data-testid="overview-accuracy-chart" aria-label="accuracy over height"></canvas></div></section>
      <section><h2>Difficulty over height</h2><div class="chart small"><canvas data-testid="difficulty-chart" aria-label="difficulty over height"></canvas></div>
        <p class="muted">the newest ${hs.length} block header${hs.length === 1 ? "" : "s"}, in ${meaning.unit}</p></section>
    </div>
    <h2>This node</h2>
    <dl class="grid">
      <dt>protocol</dt><dd>${health.protocol}</dd>
      <dt>tip</dt><dd>${blockLink(tip.hash)}</dd>
      <dt>model hash</dt><dd><code>${short(info.model_hash, 24)}</code></dd>
      <dt>training rows</dt><dd>${info.data_count}</dd>
      <dt>genesis</dt><dd>${blockLink(0, tip.genesis)}</dd>
      <dt>this node's address</dt><dd>${addrLink(health.address)}</dd>
    </dl>`);
  lineChart(document.querySelector('[data-testid="overview-accuracy-chart"]'), "accuracy on the test rows",
    history.rows.map((r) => ({ x: r.block_index, y: r.accuracy })), "accuracy", { min: 0, max: 1 });
  lineChart(document.querySelector('[data-testid="difficulty-chart"]'), "difficulty",
    hs.map((h) => ({ x: h.index, y: h.difficulty })), `difficulty (${meaning.unit})`,
    // v3 counts hashes a block, which span orders of magnitude: a log scale; v2's hex zeros are a log already
    meaning.unit === "hashes" ? { type: "logarithmic" } : { beginAtZero: true });
}

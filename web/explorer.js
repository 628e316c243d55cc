// The dashboard's chain explorer pages: the block list with the pending pool, a block, a transaction
// with its Merkle proof checked in the page, and a flower's judgement; and how a transaction list
// shows each type's details (also the address page's). Only the node's public JSON endpoints.
import { H, blockHash, fromHex, toHex } from "./verify.js";
import { addrLink, api, blockLink, esc, link, loading, short, txLink, when } from "./ui.js";
import { replayMark } from "./replayed.js";
import { JOB_DETAILS } from "./jobs_view.js";
import { FEATURES, render, shell } from "./shell.js";

export function txRows(txs) {
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

export function details(t) {
  try {
    return Object.hasOwn(DETAILS, t.type) ? DETAILS[t.type](t) : "";
  } catch (e) { // a transaction without the fields its type has: shown raw on its own page, not here
    return "(malformed)";
  }
}

export async function blocks(params) {
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
  shell.onTip = params.get("top") === null ? () => blocks(params) : null;
}

export async function block(key) {
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
  shell.onTip = null;
}

export async function transaction(id) {
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
  shell.onTip = null;
}

export async function judgement(id) {
  const j = await api(`/flower/${encodeURIComponent(id)}/judgement`);
  render(`<h1>Judgement</h1><p>flower ${txLink(j.flower_id)}, labelled <b>${esc(j.label)}</b>; a claim in block ${j.judged_in_block}
    (claimable from block ${j.claimable_from_block}) is judged by protocol ${j.protocol}: ${esc(j.rule)}.</p>
    <p data-testid="judgement-verdict">${j.agree} of ${j.k} agree: refund ${j.refund_allowed ? "allowed" : "refused"}${j.refund_allowed && j.good ? " (good)" : ""}, report ${j.report_allowed ? "allowed" : "refused"}${(j.blocked_by || []).map((r) => `; not now: ${esc(r)}`).join("")}</p>
    <table data-testid="judgement-neighbours"><tr><th>row</th><th>label</th><th>distance</th><th>from</th><th>counts</th><th>why</th></tr>${j.neighbours.map((n) => `
      <tr><td>${n.row}</td><td>${esc(n.label)}</td><td>${n.distance}</td><td>${n.flower_id ? txLink(n.flower_id) : "base data"}</td>
      <td>${n.counted ? "yes" : "no"}</td><td>${esc(n.why)}</td></tr>`).join("")}</table>`);
  shell.onTip = null;
}

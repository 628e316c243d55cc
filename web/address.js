// The dashboard's address page: balance, contributions with what can be claimed, the transfers
// (paged), the training-job transactions (protocol 3), and CSV downloads of each. Only the node's
// public JSON endpoints. The node has no index of an address's job transactions (GET /transfers
// holds TRANSFERs only, GET /jobs no transaction ids), so they come from the chain as the Jobs
// pages replay it in this page (web/jobs.js replayChain, GET /chain), filled in after the rest.
import { addrLink, allPages, api, blockLink, esc, link, loading, problem, txLink } from "./ui.js";
import { CONTRIBUTION_COLUMNS, JOB_TX_COLUMNS, TRANSFER_COLUMNS, download, toCsv } from "./csv.js";
import { replayChain } from "./jobs.js";
import { jobLink } from "./jobs_view.js";
import { details } from "./explorer.js";
import { render, shell } from "./shell.js";

const SENT_BY = { JOB: "requester", JOB_COMMIT: "worker", JOB_TEST: "requester", JOB_MODEL: "worker" };

/** The training-job transactions of ``address`` in ``blocks``, newest first: the JOBs, JOB_COMMITs,
 * JOB_TESTs and JOB_MODELs it sent (``sent``: the bounty or stake escrowed), and the JOB_SETTLEs that
 * paid it (``received``: its payout). Each with block_index, job_id and role. */
export function jobTransactions(blocks, address) {
  const out = [];
  for (const b of blocks) {
    for (const t of b.transactions) {
      const row = { ...t, block_index: b.index, job_id: t.type === "JOB" ? t.id : t.job_id };
      if (Object.hasOwn(SENT_BY, t.type) && t.sender === address) {
        out.push({ ...row, role: SENT_BY[t.type], sent: t.amount, received: 0 });
      } else if (t.type === "JOB_SETTLE") {
        const paid = t.data.payouts.filter(([a]) => a === address).reduce((n, [, amount]) => n + amount, 0);
        if (t.data.payouts.some(([a]) => a === address)) out.push({ ...row, role: "paid", sent: 0, received: paid });
      }
    }
  }
  return out.reverse();
}

function jobTable(rows) {
  if (!rows.length) return `<p data-testid="job-tx-empty">none</p>`;
  return `<div class="scroll"><table data-testid="job-tx-list"><tr><th>block</th><th>id</th><th>type</th><th>job</th><th>role</th><th>sent</th><th>received</th><th>details</th></tr>${rows.map((t) => `
    <tr><td>${blockLink(t.block_index, String(t.block_index))}</td><td>${txLink(t.id)}</td><td>${esc(t.type)}</td><td>${jobLink(t.job_id)}</td>
    <td>${esc(t.role)}</td><td>${esc(t.sent)}</td><td>${esc(t.received)}</td><td>${details(t)}</td></tr>`).join("")}</table></div>`;
}

/** Fills the page's job section from the replayed chain; leaves a page the user has left alone. */
async function showJobTransactions(addr, name) {
  const box = document.getElementById("job-txs");
  let rows = [];
  try {
    const health = await api("/health");
    if (health.protocol < 3) {
      if (box.isConnected) box.innerHTML = `<p data-testid="job-tx-empty">none: a protocol ${esc(health.protocol)} network has no training jobs</p>`;
      return;
    }
    const replay = await replayChain((what) => { if (box.isConnected) box.innerHTML = loading(`Replaying the chain: ${what}`); });
    rows = jobTransactions(replay.blocks, addr);
    if (!box.isConnected) return;
    box.innerHTML = `<p class="ok" data-testid="job-tx-replayed">From the chain as this page replayed it (${replay.blocks.length} blocks).
      <button type="button" data-testid="csv-jobs">Download the job transactions (CSV)</button></p>${jobTable(rows)}`;
    document.querySelector('[data-testid="csv-jobs"]').onclick = () => download(`jobs-${name}.csv`, toCsv(JOB_TX_COLUMNS, rows));
  } catch (e) {
    if (box.isConnected) box.innerHTML = problem(e);
  }
}

export async function address(addr, params) {
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
    <p class="pager">${from > 0 ? link(`${here}?from=${Math.max(0, from - 50)}`, "newer") : ""} ${moves.next != null ? link(`${here}?from=${moves.next}`, "older") : ""}</p>
    <h2>Training-job transactions</h2><div id="job-txs">${loading("Replaying the chain for its training jobs")}</div>`);
  const name = addr.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 40);
  document.querySelector('[data-testid="csv-transfers"]').onclick = async () => {
    const all = await allPages(`/transfers?address=${encodeURIComponent(addr)}`, "transfers");
    download(`transfers-${name}.csv`, toCsv(TRANSFER_COLUMNS, all.transfers));
  };
  document.querySelector('[data-testid="csv-contributions"]').onclick = () =>
    download(`contributions-${name}.csv`, toCsv(CONTRIBUTION_COLUMNS, contrib.contributions));
  shell.onTip = null;
  showJobTransactions(addr, name); // not awaited: the rest of the page does not wait for the replay
}

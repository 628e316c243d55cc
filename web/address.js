// The dashboard's address page: balance, contributions with what can be claimed, the transfers
// (paged) and CSV downloads of both. Only the node's public JSON endpoints.
import { addrLink, allPages, api, blockLink, esc, link, txLink } from "./ui.js";
import { CONTRIBUTION_COLUMNS, TRANSFER_COLUMNS, download, toCsv } from "./csv.js";
import { render, shell } from "./shell.js";

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
    <p class="pager">${from > 0 ? link(`${here}?from=${Math.max(0, from - 50)}`, "newer") : ""} ${moves.next != null ? link(`${here}?from=${moves.next}`, "older") : ""}</p>`);
  const name = addr.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 40);
  document.querySelector('[data-testid="csv-transfers"]').onclick = async () => {
    const all = await allPages(`/transfers?address=${encodeURIComponent(addr)}`, "transfers");
    download(`transfers-${name}.csv`, toCsv(TRANSFER_COLUMNS, all.transfers));
  };
  document.querySelector('[data-testid="csv-contributions"]').onclick = () =>
    download(`contributions-${name}.csv`, toCsv(CONTRIBUTION_COLUMNS, contrib.contributions));
  shell.onTip = null;
}

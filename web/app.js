// The dashboard: one page, hash routes, only the node's public JSON endpoints. This module is the
// shell: the live status bar (GET /tip every second), the refresh of the open page, the search box
// and the router; the pages are web/overview.js, web/explorer.js (blocks, block, transaction,
// judgement), web/address.js, web/model_page.js, web/contribute.js, web/network.js,
// web/verify_page.js and web/jobs.js, each rendering through web/shell.js.
import { api, loading, problem, short } from "./ui.js";
import { replayMark } from "./replayed.js";
import { overview as overviewPage } from "./overview.js";
import { jobPage, jobsPage } from "./jobs.js";
import { block, blocks, judgement, transaction } from "./explorer.js";
import { address } from "./address.js";
import { model } from "./model_page.js";
import { contribute, loadSavedWallet } from "./contribute.js";
import { network } from "./network.js";
import { verify } from "./verify_page.js";
import { render, shell } from "./shell.js";

let lastTip = null;

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
      if (shell.onTip) await shell.onTip().catch(() => { stale = true; });
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
  shell.onTip = overview;
}

// A job's page follows new blocks until the job is settled (then it no longer changes).
async function job(id) {
  const open = await jobPage(render, id);
  shell.onTip = open ? () => job(id) : null;
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
  shell.onTip = null;
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
    else if (parts[0] === "jobs") { await jobsPage(render, params); shell.onTip = () => jobsPage(render, params); }
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
await loadSavedWallet();
await pollTip();
setInterval(pollTip, 1000);
route();

// The dashboard's Verify page: downloads the chain in pages and replays it with web/verify.js,
// trusting nothing the node says, and compares the replayed model hash with the node's.
import { parseStrict, verifyChain } from "./verify.js";
import { api, short } from "./ui.js";
import { markReplayed } from "./replayed.js";
import { render, shell } from "./shell.js";

export async function verify() {
  render(`<h1>Verify the chain in this browser</h1>
    <p>The page downloads the chain in pages and replays it with <code>verify.js</code>, a second implementation of
    PROTOCOL.md v2: ids, signatures, Merkle roots, proof of work, balances, deposits and claims, and the integer
    KNN with its hash chain; on a version 3 chain also the difficulty, the claims' panels and the training jobs,
    every settlement rescored. It trusts nothing the node says, and compares its own model hash with the node's.</p>
    <p><button data-testid="verify-button">Verify</button></p>
    <progress id="verify-progress" value="0" max="1"></progress> <span id="verify-phase"></span>
    <p data-testid="verify-result"></p>`);
  document.querySelector('[data-testid="verify-button"]').onclick = runVerify;
  shell.onTip = null;
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


// The dashboard's Contribute page: a flower with an optional deposit, a refund or report, a transfer
// and "mine a block", signed with the demo wallet (web/wallet.js) when the page has one.
import { measurementUnits } from "./verify.js";
import { createWallet, forgetWallet, loadWallet, signBody } from "./wallet.js";
import { api, blockLink, esc, link, post, problem, txLink } from "./ui.js";
import { FEATURES, render, shell } from "./shell.js";

let wallet = null;

/** Load the wallet this browser keeps, if any (app.js, once at start). */
export async function loadSavedWallet() {
  wallet = await loadWallet().catch(() => null);
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

export async function contribute() {
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
  shell.onTip = null;
}

function toMeasurement(value) {
  const text = Number(value).toFixed(2);
  measurementUnits(text); // the protocol's own check: 0.01 to 100.00
  if (Math.abs(Number(text) - Number(value)) > 1e-9) throw new Error(`a measurement must be a whole number of hundredths of a cm; got ${value}`);
  return text;
}

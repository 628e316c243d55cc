// The dashboard's Network page: the peers with their state, and a form to register one.
import { esc, api, post, problem } from "./ui.js";
import { peerTable } from "./overview.js";
import { render, shell } from "./shell.js";

export async function network() {
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
  shell.onTip = network;
}

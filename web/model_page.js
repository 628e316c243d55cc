// The dashboard's model page: accuracy after every block that changed the model (a chart from
// GET /model/history, and its CSV), the confusion matrix, and a predict form that lists the 3
// neighbours with the block each came from. Only the node's public JSON endpoints.
import { allPages, api, blockLink, esc, post, problem } from "./ui.js";
import { HISTORY_COLUMNS, download, toCsv } from "./csv.js";
import { FEATURES, render, shell } from "./shell.js";

/* global Chart */
let chart = null;
export async function model() {
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
  shell.onTip = null;
}

function confusion(ev) {
  const classes = ev.confusion_matrix.labels;
  const m = ev.confusion_matrix.matrix;
  return `<table class="confusion"><tr><th>true \\ predicted</th>${classes.map((c) => `<th>${esc(c)}</th>`).join("")}</tr>${m.map((row, i) => `
    <tr><th>${esc(classes[i] || i)}</th>${row.map((v, j) => `<td class="${i === j ? "diag" : ""}">${v}</td>`).join("")}</tr>`).join("")}</table>`;
}

// The claim rule of protocol version 3 (draft), PROTOCOL.md "Version 3 (draft): claims": a claim is
// judged by the k nearest settled points (base rows, and contributions refunded as good in an
// earlier block), identical measurements counting once. Used by verify.js; pure integer arithmetic.

export const REFUND_AGREE = 1;

/** The voters of a claim judged in block ``blockIndex``: [{row, point, label}] (label: class index). */
export function votersOf(ledger, blockIndex) {
  const model = ledger.model;
  const out = [];
  for (let row = 0; row < model.base.train.length; row++) out.push({ row, point: model.rows[row], label: model.labels[row] });
  for (const f of ledger.flowers.values()) {
    if (f.settled > 0 && f.settled < blockIndex) out.push({ row: f.row, point: model.rows[f.row], label: model.labels[f.row] });
  }
  return out;
}

/** The panel of ``point`` (units) labelled ``label`` (class index) and what it allows. */
export function judge(model, point, label, voters, k) {
  const ranked = voters.map((v) => [model.distance(point, v.point), v.row, v]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const taken = new Set();
  const panel = [];
  for (const [, , v] of ranked) {
    if (panel.length >= k) break;
    const key = v.point.join(",");
    if (taken.has(key)) continue; // identical measurements count once: the first met has the smallest row
    taken.add(key);
    panel.push(v);
  }
  const agree = panel.filter((v) => v.label === label).length;
  return { panel, agree, refundAllowed: agree >= REFUND_AGREE, good: panel.length > 0 && agree === panel.length,
    reportAllowed: agree === 0 };
}

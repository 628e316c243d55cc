// How the dashboard shows the five training-job transactions (PROTOCOL.md "Version 3: training
// jobs") in a block's or an address's transaction list: app.js's DETAILS table takes these entries.
import { addrLink, esc, link, short } from "./ui.js";

export const jobLink = (id) => link(`#/job/${id}`, `job ${short(id, 12)}`);
const pairs = (list) => list.map(([a, n]) => `${addrLink(a)} ${n === null ? "—" : esc(n)}`).join(", ");

function trainOf(train) {
  if (train && Object.hasOwn(train, "flowers_to")) return `the network's flowers to block ${esc(train.flowers_to)}`;
  return `dataset ${esc(short(train && train.artifact, 16))}`;
}

export const JOB_DETAILS = {
  JOB: (t) => `${jobLink(t.id)}: a <b>${esc(t.data.kind)}</b> model on ${trainOf(t.data.train)}
    (${esc(t.data.features.length)} features, ${esc(t.data.classes.length)} classes); bounty ${esc(t.amount)}, stake ${esc(t.data.stake)},
    at most ${esc(t.data.max_commits)} commitments; ${esc(t.data.test_rows)} hidden test rows, committed as
    <code title="${esc(t.data.test_commitment)}">${esc(short(t.data.test_commitment, 12))}</code>;
    windows ${esc(t.data.commit_blocks)} / ${esc(t.data.test_blocks)} / ${esc(t.data.model_blocks)} blocks`,
  JOB_COMMIT: (t) => `${jobLink(t.job_id)}: stake ${esc(t.amount)} locked, model committed as
    <code title="${esc(t.model_commitment)}">${esc(short(t.model_commitment, 12))}</code> (nothing of the model is visible yet)`,
  JOB_TEST: (t) => `${jobLink(t.job_id)}: the requester reveals its test set (${esc(t.data.rows.length)} rows)`,
  JOB_MODEL: (t) => `${jobLink(t.job_id)}: a <b>${esc(t.data.model.kind)}</b> model revealed`,
  JOB_SETTLE: (t) => `${jobLink(t.job_id)} settled: <b>${esc(t.data.outcome)}</b>${t.data.winner ? `, winner ${addrLink(t.data.winner)}` : ""};
    scores ${pairs(t.data.scores) || "none"}; payouts ${pairs(t.data.payouts) || "none"}${t.data.burnt ? `; burnt ${esc(t.data.burnt)}` : ""}`,
};

// CSV downloads made in the page from the API's data (RFC 4180; a text cell that a spreadsheet
// would run as a formula, starting with = + - @ or a control character, is prefixed with ').
export function csvCell(v) {
  if (v === null || v === undefined) return "";
  if (Array.isArray(v)) v = v.join(";");
  let s = String(v);
  if (typeof v === "string" && /^[=+\-@\t\r]/.test(s)) s = "'" + s;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

// columns: [name, row => value]; one header line, then one line per row, CRLF line ends.
export function toCsv(columns, rows) {
  const lines = [columns.map(([name]) => csvCell(name)).join(",")];
  for (const row of rows) lines.push(columns.map(([, get]) => csvCell(get(row))).join(","));
  return lines.join("\r\n") + "\r\n";
}

export function download(filename, text) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

const pick = (key) => [key, (r) => r[key]];
export const TRANSFER_COLUMNS = ["block_index", "id", "type", "sender", "recipient", "amount", "timestamp_ms"].map(pick);
export const CONTRIBUTION_COLUMNS = [pick("flower_id"), pick("block_index"), pick("row"),
  ...["sepal_length", "sepal_width", "petal_length", "petal_width", "flower_type"].map((k) => [k, (r) => r.data[k]]),
  ...["timestamp_ms", "deposit", "left", "refunded", "reported_by", "claimable_from_block", "model_agrees",
    "refund_allowed", "report_allowed"].map(pick)];
export const HISTORY_COLUMNS = ["block_index", "timestamp_ms", "data_points_trained", "model_hash", "test_correct",
  "test_rows", "accuracy"].map(pick);
export const JOB_TX_COLUMNS = ["block_index", "id", "type", "job_id", "role", "sender", "sent", "received", "timestamp_ms"].map(pick);

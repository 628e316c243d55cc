// For tests/web/test_kinds_agreement.py: reads a JSON list of cases on stdin, answers web/kinds.js's
// verdict, predictions, score and commitment for each (one process for many cases).
import { readFileSync } from "node:fs";
import * as k from "../../web/kinds.js";

const cases = JSON.parse(readFileSync(0, "utf8"));
const out = [];
for (const c of cases) {
  const problem = k.checkModel(c.kind, c.model, c.features, c.classes);
  const answer = { valid: problem === null };
  if (problem === null) {
    answer.predictions = c.rows.map((r) => k.predict(c.model, r));
    answer.score = k.score(c.model, c.rows, c.labels);
    answer.commitment = await k.modelCommitment(c.model, c.salt, c.worker);
  }
  if (c.settle) answer.settle = k.settle(...c.settle);
  if (c.test) {
    answer.test_valid = k.checkTestSet(c.test, c.features, c.classes, c.test_rows) === null;
    if (answer.test_valid) answer.test_commitment = await k.testCommitment(c.test.rows, c.test.labels, c.test.salt);
  }
  if (c.job) answer.job_valid = k.jobProblem(c.job, c.network_classes, c.height) === null;
  out.push(answer);
}
process.stdout.write(JSON.stringify(out));

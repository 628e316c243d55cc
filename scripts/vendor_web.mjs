// Copies the dashboard's browser libraries from node_modules (npm ci) into web/vendor/, with their
// licences, and writes web/vendor/VERSIONS.md. The copies are committed, so that a user's
// ./run.sh needs no npm. Run: npm ci && npm run vendor
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const out = path.join(root, "web", "vendor");
mkdirSync(out, { recursive: true });
const libraries = [
  { name: "chart.js", files: [["dist/chart.umd.min.js", "chart.umd.min.js"], ["LICENSE.md", "chart.js.LICENSE.md"]],
    use: "the accuracy chart" },
  { name: "swagger-ui-dist", files: [["swagger-ui-bundle.js", "swagger-ui-bundle.js"], ["swagger-ui.css", "swagger-ui.css"],
    ["LICENSE", "swagger-ui.LICENSE"], ["NOTICE", "swagger-ui.NOTICE"]], use: "GET /docs, the readable OpenAPI page" },
];
const rows = [];
for (const lib of libraries) {
  const dir = path.join(root, "node_modules", lib.name);
  const meta = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
  for (const [from, to] of lib.files) copyFileSync(path.join(dir, from), path.join(out, to));
  rows.push(`| ${lib.name} | ${meta.version} | ${meta.license} | ${lib.use} | ${lib.files.map(([, to]) => "`" + to + "`").join(", ")} |`);
}
writeFileSync(path.join(out, "VERSIONS.md"), [
  "# Vendored browser libraries",
  "",
  "Copied from the npm registry by `npm ci && npm run vendor` (scripts/vendor_web.mjs); do not edit by hand.",
  "",
  "| package | version | licence | used for | files |",
  "|---|---|---|---|---|",
  ...rows,
  "",
].join("\n"));
console.log(rows.join("\n"));

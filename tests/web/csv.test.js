// web/csv.js: quoting (RFC 4180) and the formula guard. Run: node --test tests/web/
import { test } from "node:test";
import assert from "node:assert/strict";
import { csvCell, toCsv } from "../../web/csv.js";

test("cells are quoted when they must be, and a formula is defused", () => {
  assert.equal(csvCell("plain"), "plain");
  assert.equal(csvCell('a,"b"'), '"a,""b"""');
  assert.equal(csvCell("line\nbreak"), '"line\nbreak"');
  assert.equal(csvCell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
  assert.equal(csvCell("-1"), "'-1");
  assert.equal(csvCell(-1), "-1");
  assert.equal(csvCell(null), "");
  assert.equal(csvCell(["a", "b"]), "a;b");
  assert.equal(csvCell(false), "false");
});

test("a header line, then one line per row", () => {
  const text = toCsv([["id", (r) => r.id], ["n", (r) => r.n]], [{ id: "x", n: 1 }, { id: "y,z", n: 2 }]);
  assert.equal(text, 'id,n\r\nx,1\r\n"y,z",2\r\n');
});

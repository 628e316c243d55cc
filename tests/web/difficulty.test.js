// web/difficulty.js: protocol 3's difficulty rules, with the worked examples of PROTOCOL.md
// "Version 3: difficulty" (the same ones tests/unit/test_difficulty.py holds the node to).
// Run: node --test tests/web/
import { test } from "node:test";
import assert from "node:assert/strict";
import * as d from "../../web/difficulty.js";

const P = { difficulty: 12, target_block_ms: 2000, retarget_every: 10, min_difficulty: 8 };

function steady(n, gap, bits = 12, start = 1_000_000) {
  const c = [[0, bits]];
  for (let i = 1; i < n; i++) c.push([start + i * gap, bits]);
  return c;
}

test("worked examples of PROTOCOL.md", () => {
  const cases = [[18000, 0], [9000, 1], [12727, 1], [12728, 0], [6363, 2], [6364, 1], [25455, 0],
    [25456, -1], [50911, -1], [50912, -2], [0, 2]];
  for (const [a, s] of cases) assert.equal(d.retargetStep(18000, a), s, `A=${a}`);
});

test("leading zero bits and BigInt work", () => {
  assert.equal(d.leadingZeroBits("0".repeat(64)), 256);
  assert.equal(d.leadingZeroBits("1" + "0".repeat(63)), 3);
  assert.equal(d.leadingZeroBits("008" + "0".repeat(61)), 8);
  assert.equal(d.leadingZeroBits("f" + "0".repeat(63)), 0);
  assert.equal(d.blockWork(60), 2n ** 60n);
  assert.equal(d.chainWork([60, 60, 0]).toString(), (2n ** 61n + 1n).toString());
  assert.ok(d.chainWork([60, 60, 0]) > BigInt(Number.MAX_SAFE_INTEGER));
});

test("retargets: none before the second window, up, down, clamped, at the minimum", () => {
  const fast = steady(30, 1);
  for (let h = 1; h < 20; h++) assert.equal(d.requiredBits(h, fast, P), 12);
  assert.equal(d.requiredBits(20, fast, P), 14);
  assert.equal(d.requiredBits(20, steady(20, 1000), P), 13);
  assert.equal(d.requiredBits(20, steady(20, 4000), P), 11);
  assert.equal(d.requiredBits(20, steady(20, 2000), P), 12);
  assert.equal(d.requiredBits(20, steady(20, 10 ** 6, 9), P), 8);
});

test("median time past and the header check", () => {
  assert.equal(d.medianTimePast([3, 1, 2]), 2);
  assert.equal(d.medianTimePast([0, 5]), 5);
  assert.equal(d.medianTimePast([...Array(100).keys()]), 94);
  const chain = steady(15, 2000);
  const now = chain[chain.length - 1][0];
  const good = "0001" + "f".repeat(60);
  assert.equal(d.headerProblem({ index: 15, timestamp_ms: now + 2000, difficulty: 12 }, good, chain, P, now), null);
  assert.match(d.headerProblem({ index: 15, timestamp_ms: now + 2000, difficulty: 11 }, good, chain, P, now), /difficulty must be 12/);
  assert.match(d.headerProblem({ index: 15, timestamp_ms: now + 7_200_001, difficulty: 12 }, good, chain, P, now), /2 hours/);
  const flat = [[0, 12], ...Array(14).fill([5000, 12])];
  assert.match(d.headerProblem({ index: 15, timestamp_ms: 5000, difficulty: 12 }, good, flat, P, 5000), /median time past/);
});

test("most work wins, ties keep ours, a long light chain loses", () => {
  const longLight = d.chainWork([12, ...Array(100).fill(8)]);
  const shortHeavy = d.chainWork([12, ...Array(10).fill(14)]);
  assert.equal(d.betterChain(shortHeavy, longLight), false);
  assert.equal(d.betterChain(longLight, shortHeavy), true);
  assert.equal(d.betterChain(shortHeavy, shortHeavy), false);
});

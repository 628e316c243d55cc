// web/difficulty.js: protocol 3's difficulty rules, with the worked examples of PROTOCOL.md
// "Version 3: difficulty" (the same ones tests/unit/test_difficulty.py holds the node to).
// Run: node --test tests/web/
import { test } from "node:test";
import assert from "node:assert/strict";
import * as d from "../../web/difficulty.js";

const P = { difficulty: 4096, target_block_ms: 2000, retarget_every: 10, min_difficulty: 256 };

function steady(n, gap, difficulty = 4096, start = 1_000_000) {
  const c = [[0, difficulty]];
  for (let i = 1; i < n; i++) c.push([start + i * gap, difficulty]);
  return c;
}

test("worked examples of PROTOCOL.md", () => {
  const cases = [[2000, 4096], [1000, 8192], [1250, 6553], [3000, 2730], [400, 16384], [500, 16384],
    [501, 16351], [16000, 1024], [16001, 1024], [0, 16384]];
  for (const [median, want] of cases) assert.equal(d.retarget(4096, median, P), want, `median=${median}`);
});

test("targets and BigInt work", () => {
  assert.equal(d.target(1), (1n << 256n) - 1n);
  assert.equal(d.target(65536), (1n << 240n) - 1n);
  assert.ok(d.meetsDifficulty("0000" + "f".repeat(60), 65536));
  assert.ok(!d.meetsDifficulty("0001" + "0".repeat(60), 65536));
  const t3 = d.target(3).toString(16).padStart(64, "0");
  const above = (d.target(3) + 1n).toString(16).padStart(64, "0");
  assert.ok(d.meetsDifficulty(t3, 3) && !d.meetsDifficulty(above, 3));
  assert.equal(d.blockWork(2 ** 52), 2n ** 52n);
  assert.throws(() => d.blockWork(0));
  const big = Number.MAX_SAFE_INTEGER;
  assert.equal(d.chainWork([big, big, 1]).toString(), (2n * BigInt(big) + 1n).toString());
  assert.ok(d.chainWork([big, big]) > BigInt(Number.MAX_SAFE_INTEGER));
});

test("the window's lower median of gaps", () => {
  assert.equal(d.windowMedianMs([0, 10, 30, 60]), 20);
  assert.equal(d.windowMedianMs([0, 10, 30, 60, 100]), 20);
  assert.equal(d.windowMedianMs([5, 5, 5]), 1);
});

test("retargets: none before the second window, up, down, clamped, finer than 2x, at the minimum", () => {
  const fast = steady(30, 1);
  for (let h = 1; h < 20; h++) assert.equal(d.requiredDifficulty(h, fast, P), 4096);
  assert.equal(d.requiredDifficulty(20, fast, P), 16384);
  assert.equal(d.requiredDifficulty(20, steady(20, 1000), P), 8192);
  assert.equal(d.requiredDifficulty(20, steady(20, 4000), P), 2048);
  assert.equal(d.requiredDifficulty(20, steady(20, 2000), P), 4096);
  assert.equal(d.requiredDifficulty(20, steady(20, 2500), P), 3276);
  assert.equal(d.requiredDifficulty(20, steady(20, 10 ** 9), P), 1024);
  assert.equal(d.requiredDifficulty(20, steady(20, 10 ** 6, 300), P), 256);
  // a retarget's BigInt product passes 2^53 and still comes out exact
  const top = { difficulty: 2 ** 52, target_block_ms: 3000, retarget_every: 2, min_difficulty: 1 };
  assert.equal(d.retarget(2 ** 52, 2000, top), Number((2n ** 52n * 3000n) / 2000n));
});

test("median time past and the header check", () => {
  assert.equal(d.medianTimePast([3, 1, 2]), 2);
  assert.equal(d.medianTimePast([0, 5]), 5);
  assert.equal(d.medianTimePast([...Array(100).keys()]), 94);
  const chain = steady(15, 2000);
  const now = chain[chain.length - 1][0];
  const good = "0001" + "f".repeat(60);
  assert.equal(d.headerProblem({ index: 15, timestamp_ms: now + 2000, difficulty: 4096 }, good, chain, P, now), null);
  assert.match(d.headerProblem({ index: 15, timestamp_ms: now + 2000, difficulty: 4095 }, good, chain, P, now), /difficulty must be 4096/);
  assert.match(d.headerProblem({ index: 15, timestamp_ms: now + 2000, difficulty: 4096 }, "f".repeat(64), chain, P, now), /above the target/);
  assert.match(d.headerProblem({ index: 15, timestamp_ms: now + 7_200_001, difficulty: 4096 }, good, chain, P, now), /2 hours/);
  const flat = [[0, 4096], ...Array(14).fill([5000, 4096])];
  assert.match(d.headerProblem({ index: 15, timestamp_ms: 5000, difficulty: 4096 }, good, flat, P, 5000), /median time past/);
});

test("most work wins, ties keep ours, a long light chain loses", () => {
  const longLight = d.chainWork([4096, ...Array(100).fill(256)]);
  const shortHeavy = d.chainWork([4096, ...Array(10).fill(16384)]);
  assert.equal(d.betterChain(shortHeavy, longLight), false);
  assert.equal(d.betterChain(longLight, shortHeavy), true);
  assert.equal(d.betterChain(shortHeavy, shortHeavy), false);
});

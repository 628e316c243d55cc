"""The differential fuzzer: random valid chains and one-change mutants, judged by the Python
verifier and by web/verify.js, which must agree.

    .venv/bin/python -m tests.fuzz --chains 300 --mutants 2000 --seed 1
    .venv/bin/python -m tests.fuzz --replay 1:17:3 [--save case.json]   # chain 17, mutant 3 of seed 1

Prints what it tried (chains, blocks, transactions by kind, mutants by kind, verdicts) and, for
every disagreement, the replay argument. Exits 1 when the verifiers disagree on anything.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .generate import NOW_MS, generate_chain
from .mutate import dumps, mutant
from .oracles import js_verdicts, python_verdict, same

BATCH = 20  # chains per Node.js process


def case(seed: int, chain_no: int, mutant_no: int | None, big_every: int, stats: dict) -> tuple[str, str, str]:
    """(kind, detail, JSON text) of one case: chain ``chain_no`` of ``seed``, or one of its mutants."""
    rng = random.Random(f"{seed}:{chain_no}")
    big = big_every > 0 and chain_no % big_every == big_every - 1
    blocks = generate_chain(rng, stats if mutant_no is None else {}, big_block=big)
    if mutant_no is None:
        return "valid", f"{len(blocks)} blocks", dumps(blocks, rng)
    mrng = random.Random(f"{seed}:{chain_no}:{mutant_no}")
    while True:
        made = mutant(mrng, blocks)
        if made is not None:
            return made


def run(chains: int, mutants: int, seed: int, big_every: int = 50, out=print) -> dict:
    stats: dict = {"chains": 0, "mutants": 0, "mutants_by_kind": {}, "verdicts": {}, "disagreements": []}
    per_chain = [mutants // chains + (1 if i < mutants % chains else 0) for i in range(chains)] if chains else []
    started = time.perf_counter()
    with ThreadPoolExecutor(1) as pool:
        for first in range(0, chains, BATCH):
            jobs, labels = [], []
            for c in range(first, min(chains, first + BATCH)):
                rng = random.Random(f"{seed}:{c}")
                big = big_every > 0 and c % big_every == big_every - 1
                blocks = generate_chain(rng, stats, big_block=big)
                jobs.append(dumps(blocks, rng))
                labels.append((c, None, "valid"))
                stats["chains"] += 1
                for m in range(per_chain[c]):
                    mrng = random.Random(f"{seed}:{c}:{m}")
                    made = None
                    while made is None:
                        made = mutant(mrng, blocks)
                    kind, _, text = made
                    jobs.append(text)
                    labels.append((c, m, kind))
                    stats["mutants"] += 1
                    stats["mutants_by_kind"][kind] = stats["mutants_by_kind"].get(kind, 0) + 1
            js_future = pool.submit(js_verdicts, [(t, NOW_MS) for t in jobs])
            py = [python_verdict(t, NOW_MS) for t in jobs]
            js = js_future.result()
            for (c, m, kind), p, j in zip(labels, py, js):
                verdict = "crash" if "crash" in p or "crash" in j else ("valid" if p.get("valid") else "invalid")
                key = f"{kind}:{verdict}"
                stats["verdicts"][key] = stats["verdicts"].get(key, 0) + 1
                if kind == "valid" and not p.get("valid"):
                    stats["disagreements"].append((f"{seed}:{c}", "a generated chain is not valid", p, j))
                if not same(p, j):
                    replay = f"{seed}:{c}" + ("" if m is None else f":{m}")
                    stats["disagreements"].append((replay, kind, p, j))
                    out(f"DISAGREEMENT {kind}: replay with --replay {replay}\n  python: {_short(p)}\n  js:     {_short(j)}")
    stats["seconds"] = round(time.perf_counter() - started, 1)
    return stats


def _short(v: dict) -> str:
    return json.dumps({k: v[k] for k in ("valid", "first_bad", "model_hash", "why", "crash") if k in v})[:300]


def report(stats: dict) -> str:
    kinds = ", ".join(f"{k} {stats[k]}" for k in ("TRANSFER", "FLOWER_DATA", "REFUND", "REPORT") if k in stats)
    extra = sorted(k for k in stats if k.isupper() and k not in ("TRANSFER", "FLOWER_DATA", "REFUND", "REPORT"))
    kinds += "".join(f", {k} {stats[k]}" for k in extra)
    return "\n".join([
        f"chains {stats['chains']} (blocks {stats.get('blocks', 0)}, transactions {stats.get('txs', 0)}, "
        f"signed {stats.get('signed', 0)}, largest block {stats.get('largest_block', 0)} transactions; user transactions by kind: {kinds})",
        f"mutants {stats['mutants']}: " + ", ".join(f"{k} {v}" for k, v in sorted(stats["mutants_by_kind"].items())),
        "verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(stats["verdicts"].items())),
        f"disagreements {len(stats['disagreements'])} in {stats['seconds']} s",
    ])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--chains", type=int, default=300)
    parser.add_argument("--mutants", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--big-every", type=int, default=50, help="every Nth chain has a block of 1,000 transactions")
    parser.add_argument("--replay", help="SEED:CHAIN[:MUTANT]: print that case and both verdicts")
    parser.add_argument("--save", type=Path, help="with --replay: write the case's JSON text to this file")
    args = parser.parse_args(argv)
    if args.replay:
        parts = [int(x) for x in args.replay.split(":")]
        kind, detail, text = case(parts[0], parts[1], parts[2] if len(parts) > 2 else None, args.big_every, {})
        if args.save:
            args.save.write_text(text, encoding="utf-8")
        p, j = python_verdict(text, NOW_MS), js_verdicts([(text, NOW_MS)])[0]
        print(f"{kind}: {detail}\n  python: {_short(p)}\n  js:     {_short(j)}\n  agree: {same(p, j)}")
        return 0 if same(p, j) else 1
    stats = run(args.chains, args.mutants, args.seed, args.big_every)
    print(report(stats))
    return 1 if stats["disagreements"] else 0


if __name__ == "__main__":
    sys.exit(main())

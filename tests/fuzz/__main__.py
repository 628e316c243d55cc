"""The differential fuzzer: random valid chains and one-change mutants, judged by the Python
verifier and by web/verify.js, which must agree.

    .venv/bin/python -m tests.fuzz --chains 300 --mutants 2000 --seed 1 [--protocol 2|3|both]
    .venv/bin/python -m tests.fuzz --replay 1:17:3 [--save case.json]   # chain 17, mutant 3 of seed 1

Chains are of protocol 2, of protocol 3 (the v3 claim rule, with claim-heavy traffic, and
training jobs: a third of them mostly jobs), or half of each (``both``, the default: which chain
is which depends on the seed and its number only).
Prints what it tried, in all and by protocol (chains, blocks, transactions by kind, claims
accepted and refused, mutants by kind, verdicts) and, for every disagreement, the replay
argument. Exits 1 when the verifiers disagree on anything.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from testkit.fuzz.generate import NOW_MS, generate_chain
from testkit.fuzz.mutate import RULE_WORDS, dumps, mutant
from .oracles import js_verdicts, python_verdict, same

BATCH = 20  # chains per Node.js process
MODES = {"2": (2,), "3": (3,), "both": (2, 3)}


def protocol_of(seed: int, chain_no: int, mode: str = "both") -> int:
    """The protocol of chain ``chain_no`` of ``seed``: with ``both``, drawn from its own random
    source so that adding v3 chains leaves every v2 chain of a seed what it was with ``2``."""
    choices = MODES[mode]
    return choices[0] if len(choices) == 1 else random.Random(f"{seed}:{chain_no}:protocol").choice(choices)


def _made(seed: int, chain_no: int, big_every: int, mode: str, stats: dict) -> tuple[list, list, int, random.Random]:
    protocol = protocol_of(seed, chain_no, mode)
    rng = random.Random(f"{seed}:{chain_no}")
    big = big_every > 0 and chain_no % big_every == big_every - 1
    refused: list = []
    blocks = generate_chain(rng, stats, big_block=big, protocol=protocol, refused=refused)
    return blocks, refused, protocol, rng


def _mutant(seed: int, chain_no: int, mutant_no: int, blocks: list, refused: list):
    mrng = random.Random(f"{seed}:{chain_no}:{mutant_no}")
    while True:
        made = mutant(mrng, blocks, refused)
        if made is not None:
            return made


def case(seed: int, chain_no: int, mutant_no: int | None, big_every: int, stats: dict,
         mode: str = "both") -> tuple[str, str, str]:
    """(kind, detail, JSON text) of one case: chain ``chain_no`` of ``seed``, or one of its mutants."""
    blocks, refused, protocol, rng = _made(seed, chain_no, big_every, mode, stats if mutant_no is None else {})
    if mutant_no is None:
        return "valid", f"protocol {protocol}, {len(blocks)} blocks", dumps(blocks, rng)
    kind, detail, text = _mutant(seed, chain_no, mutant_no, blocks, refused)
    return kind, f"protocol {protocol}: {detail}", text


def _merge(into: dict, part: dict) -> None:
    for key, value in part.items():
        if isinstance(value, dict):
            _merge(into.setdefault(key, {}), value)
        elif key == "largest_block":
            into[key] = max(into.get(key, 0), value)
        else:
            into[key] = into.get(key, 0) + value


def _count(stats: dict, *keys) -> None:
    *path, last = keys
    for key in path:
        stats = stats.setdefault(key, {})
    stats[last] = stats.get(last, 0) + 1


def run(chains: int, mutants: int, seed: int, big_every: int = 50, out=print, mode: str = "both") -> dict:
    """Counts of what was tried, in all and under ``by_protocol`` (2 and 3), and the disagreements."""
    stats: dict = {"chains": 0, "mutants": 0, "mutants_by_kind": {}, "verdicts": {}, "disagreements": [],
                   "by_protocol": {p: {"chains": 0, "mutants": 0, "mutants_by_kind": {}, "verdicts": {},
                                       "disagreements": 0} for p in MODES[mode]}}
    per_chain = [mutants // chains + (1 if i < mutants % chains else 0) for i in range(chains)] if chains else []
    started = time.perf_counter()
    with ThreadPoolExecutor(1) as pool:
        for first in range(0, chains, BATCH):
            jobs, labels = [], []
            for c in range(first, min(chains, first + BATCH)):
                part: dict = {}
                blocks, refused, protocol, rng = _made(seed, c, big_every, mode, part)
                by = stats["by_protocol"][protocol]
                _merge(stats, part)
                _merge(by, part)
                jobs.append(dumps(blocks, rng))
                labels.append((c, None, "valid", protocol))
                stats["chains"] += 1
                by["chains"] += 1
                for m in range(per_chain[c]):
                    kind, _, text = _mutant(seed, c, m, blocks, refused)
                    jobs.append(text)
                    labels.append((c, m, kind, protocol))
                    for where in (stats, by):
                        where["mutants"] += 1
                        _count(where, "mutants_by_kind", kind)
            js_future = pool.submit(js_verdicts, [(t, NOW_MS) for t in jobs])
            py = [python_verdict(t, NOW_MS) for t in jobs]
            js = js_future.result()
            for (c, m, kind, protocol), p, j in zip(labels, py, js, strict=True):
                by = stats["by_protocol"][protocol]
                verdict = "crash" if "crash" in p or "crash" in j else ("valid" if p.get("valid") else "invalid")
                for where in (stats, by):
                    _count(where, "verdicts", f"{kind}:{verdict}")
                    if kind == "claim" and verdict == "invalid" and any(r in p.get("why", "") for r in RULE_WORDS):
                        _count(where, "verdicts", "claim:invalid by the claim rule")  # of the claim:invalid ones
                if kind == "valid" and not p.get("valid"):
                    stats["disagreements"].append((f"{seed}:{c}", "a generated chain is not valid", p, j))
                    by["disagreements"] += 1
                if not same(p, j):
                    replay = f"{seed}:{c}" + ("" if m is None else f":{m}")
                    stats["disagreements"].append((replay, kind, p, j))
                    by["disagreements"] += 1
                    out(
                        f"DISAGREEMENT {kind} (protocol {protocol}): replay with --replay {replay}"
                        f"{'' if mode == 'both' else ' --protocol ' + mode}\n"
                        f"  python: {_short(p)}\n  js:     {_short(j)}"
                    )
    stats["seconds"] = round(time.perf_counter() - started, 1)
    return stats


def _short(v: dict) -> str:
    return json.dumps({k: v[k] for k in ("valid", "first_bad", "model_hash", "why", "crash") if k in v})[:300]


def _lines(stats: dict) -> list[str]:
    kinds = ", ".join(f"{k} {stats[k]}" for k in ("TRANSFER", "FLOWER_DATA", "REFUND", "REPORT") if k in stats)
    extra = sorted(k for k in stats if k.isupper() and k not in ("TRANSFER", "FLOWER_DATA", "REFUND", "REPORT"))
    kinds += "".join(f", {k} {stats[k]}" for k in extra)
    disagreements = stats["disagreements"]
    return [
        f"chains {stats['chains']} (blocks {stats.get('blocks', 0)}, transactions {stats.get('txs', 0)}, "
        f"signed {stats.get('signed', 0)}, largest block {stats.get('largest_block', 0)} transactions; "
        f"user transactions by kind: {kinds})",
        "claims tried: "
        + (", ".join(f"{k} {v}" for k, v in sorted(stats.get("claims", {}).items())) or "none")
        + f"; flowers refunded {stats.get('refunded', 0)} (settled as good {stats.get('settled', 0)}), "
        f"reported {stats.get('reported', 0)}",
        "jobs settled: " + (", ".join(f"{k} {v}" for k, v in sorted(stats.get("job_outcomes", {}).items())) or "none")
        + f" (job chains {stats.get('job_chains', 0)})",
        f"mutants {stats['mutants']}: " + ", ".join(f"{k} {v}" for k, v in sorted(stats["mutants_by_kind"].items())),
        "verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(stats["verdicts"].items())),
        f"disagreements {disagreements if isinstance(disagreements, int) else len(disagreements)}",
    ]


def report(stats: dict) -> str:
    lines = _lines(stats)
    lines[-1] += f" in {stats['seconds']} s"
    for protocol, part in sorted(stats.get("by_protocol", {}).items()):
        lines.append(f"protocol {protocol}:")
        lines += ["  " + line for line in _lines(part)]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--chains", type=int, default=300)
    parser.add_argument("--mutants", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--big-every", type=int, default=50, help="every Nth chain has a block of 1,000 transactions")
    parser.add_argument("--protocol", choices=sorted(MODES), default="both",
                        help="the protocol of the generated chains (both: half of each)")
    parser.add_argument("--replay", help="SEED:CHAIN[:MUTANT]: print that case and both verdicts")
    parser.add_argument("--save", type=Path, help="with --replay: write the case's JSON text to this file")
    args = parser.parse_args(argv)
    if args.replay:
        parts = [int(x) for x in args.replay.split(":")]
        kind, detail, text = case(parts[0], parts[1], parts[2] if len(parts) > 2 else None, args.big_every, {},
                                  args.protocol)
        if args.save:
            args.save.write_text(text, encoding="utf-8")
        p, j = python_verdict(text, NOW_MS), js_verdicts([(text, NOW_MS)])[0]
        print(f"{kind}: {detail}\n  python: {_short(p)}\n  js:     {_short(j)}\n  agree: {same(p, j)}")
        return 0 if same(p, j) else 1
    stats = run(args.chains, args.mutants, args.seed, args.big_every, mode=args.protocol)
    print(report(stats))
    return 1 if stats["disagreements"] else 0


if __name__ == "__main__":
    sys.exit(main())

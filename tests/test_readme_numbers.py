"""The docs pages (once the BENCHMARKS) quote measured numbers: they must be the ones in the committed
results files. Benchmarks are in docs/benchmarks.md, the poisoning table in docs/deposits.md, the
drift numbers in docs/experiments.md."""
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
DEPOSITS = (ROOT / "docs" / "deposits.md").read_text(encoding="utf-8")
EXPERIMENTS = (ROOT / "docs" / "experiments.md").read_text(encoding="utf-8")


def test_benchmark_tables_are_the_summarys():
    summary = (ROOT / "bench" / "results" / "summary.md").read_text(encoding="utf-8")
    rows = [line for line in summary.splitlines() if line.startswith("| ") and not line.startswith("|---")]
    quoted = [
        line
        for line in rows
        if line.split("|")[1].strip()
        in ("chain", "model_info", "evaluate", "predict", "flower_add", "transaction", "mine_empty", "mine_one_flower")
        or "blocks of 1 flower" in line
        or "the same for 100,000" in line
        or line.startswith("| restart of")
        or line.startswith("| reorg of")
        or line.startswith("| /flower/predict at")
        or line.startswith("| hash rate via")
    ]
    assert len(quoted) == 14
    for line in quoted:
        assert line in BENCHMARKS, line


def test_poisoning_table_is_the_results():
    results = json.loads((ROOT / "docs" / "figures" / "poisoning_results.json").read_text())["summary"]
    attack = results["attack, deposits"]
    row = next(line for line in DEPOSITS.splitlines() if line.startswith("| attack, deposits |"))
    assert f"{attack['final_accuracy'] * 100:.1f}%" in row
    for name in ("attacker-0", "honest-0", "honest-1"):
        assert f"{attack['balance_pct'][name]:.0f}%" in row
    free = results["attack, no deposits"]
    assert f"| attack, no deposits | {free['final_accuracy'] * 100:.1f}% |" in DEPOSITS
    clean = results["no attack"]
    assert f"| no attack, deposits | {clean['final_accuracy'] * 100:.1f}% |" in DEPOSITS


def test_drift_numbers_are_the_results():
    mean = {row["drift"]: row for row in json.loads((ROOT / "docs" / "figures" / "results.json").read_text())
            ["drift"]["mean"]}
    for d, words in ((0.25, "at 0.25"), (1.0, "at d = 1"), (2.0, "at 2,")):
        assert f"{mean[d]['accuracy'] * 100:.1f}% {words}" in EXPERIMENTS, (d, words)


def test_sync_table_is_the_benchmarks():
    summary = (ROOT / "bench" / "results" / "sync.md").read_text(encoding="utf-8")
    rows = [line for line in summary.splitlines() if line.startswith("| ") and not line.startswith("|---")]
    assert len(rows) >= 9
    for line in rows:
        assert line in BENCHMARKS, line

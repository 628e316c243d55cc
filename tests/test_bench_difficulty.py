"""bench/difficulty.py keeps working (tiny sizes, real nodes). Nothing here asserts a time: the
figures come from ``python -m bench.difficulty``, never from tests."""
from pathlib import Path

import pytest

from bench import difficulty

pytestmark = pytest.mark.network


def test_the_difficulty_bench_runs_end_to_end(tmp_path: Path):
    result = difficulty.run(tmp_path, target_ms=200, every=4, start=256, min_difficulty=16, settle=4, blocks=6,
                            requests_n=20, timeout_s=120, predict_seconds=0)
    chain = result["block_time"]
    assert chain["blocks_measured"] == 6 and min(chain["heights"]) >= 10
    assert chain["median_block_ms"] is not None and chain["ratio_to_target"] > 0
    assert chain["difficulty_by_retarget"][0] == 256 and all(b >= 16 for b in chain["difficulty_by_retarget"])
    assert result["predict_idle"]["n"] == result["predict_mining"]["n"] == 20
    assert result["predict_idle"]["height_after"] == 0  # demand: it mined nothing by itself
    assert result["predict_idle"]["blocks_during"] == 0 and result["predict_mining"]["blocks_during"] >= 0
    assert result["predict_mining"]["start_difficulty"] >= 16   # the settled difficulty, at least the minimum
    assert result["predict_mining_every_core"]["args"] == ["--miners", str(result["cores"])]
    assert result["predict_idle_beside_hashing"]["hashing_beside"] == result["cores"]
    assert result["predict_idle_beside_hashing"]["height_after"] == 0  # the hashing was not the node's
    assert all(result[f"p99_ratio_{side}"] > 0 for side in ("mining", "mining_every_core", "idle_beside_hashing"))


def test_the_docs_quote_the_committed_figures():
    """docs/difficulty.md's table is the committed bench/results/difficulty.json."""
    import json
    root = Path(__file__).resolve().parent.parent
    r = json.loads((root / "bench" / "results" / "difficulty.json").read_text())
    page = (root / "docs" / "difficulty.md").read_text()
    chain = r["block_time"]
    for quoted in (f"{chain['median_block_ms']:.0f} ms ({chain['ratio_to_target']}x)",
                   f"{chain['mean_block_ms']:.0f} ms", f"{r['predict_idle']['p99_ms']} ms",
                   f"{r['predict_mining']['p99_ms']} ms", f"{r['p99_ratio_mining']}x",
                   f"{r['predict_mining_every_core']['p99_ms']} ms", f"{r['p99_ratio_mining_every_core']}x",
                   f"{r['predict_idle_beside_hashing']['p99_ms']} ms", f"{r['p99_ratio_idle_beside_hashing']}x"):
        assert quoted in page, quoted

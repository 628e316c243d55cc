"""The benchmark code keeps working (tiny sizes). Nothing here asserts a time: speed is measured
by ``python -m bench.run_all``, never in tests."""
from pathlib import Path

from bench import mining, plots, scaling


def test_bench_pieces_run_and_render(tmp_path: Path):
    rate = mining.single_core_rate(pending=5, hashes=20_000)
    assert rate > 0
    rows = scaling.model_size([60], repeats=5)
    applied = scaling.block_apply(rows=60, sizes=[1, 3], repeats=1)
    assert [r["flower_data"] for r in applied] == [1, 3]
    results = {"started": "now", "config": {"quick": True}, "machine": {"cpus": 1, "python": "3"},
               "model_size": rows, "http_predict": {"rows": 60, "median_ms": 1.0, "p95_ms": 1.0},
               "block_apply": applied}
    summary = plots.render(results, tmp_path)
    assert "Model cost vs training rows" in summary and (tmp_path / "model_size.png").stat().st_size > 1000
    assert (tmp_path / "block_apply.png").exists()

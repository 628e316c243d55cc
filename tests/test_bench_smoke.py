"""The benchmark code keeps working (tiny sizes). Nothing here asserts a time: speed is measured
by ``python -m bench.run_all``, never in tests."""
from pathlib import Path

from bench import mining, plots, protocol, scaling


def test_bench_pieces_run_and_render(tmp_path: Path):
    rate = mining.single_core_rate(pending=5, hashes=20_000)
    assert rate > 0
    rows = scaling.model_size([60, 90, 120], repeats=5)
    applied = scaling.block_apply(rows=60, sizes=[1, 2, 3], repeats=1)
    assert [r["flower_data"] for r in applied] == [1, 2, 3]
    results = {"started": "now", "config": {"quick": True}, "machine": {"cpus": 1, "python": "3"},
               "model_size": rows, "http_predict": {"rows": 60, "median_ms": 1.0, "p95_ms": 1.0},
               "block_apply": applied}
    summary = plots.render(results, tmp_path)
    assert "Model cost vs training rows" in summary and (tmp_path / "model_size.png").stat().st_size > 1000
    assert (tmp_path / "block_apply.png").exists()


def test_protocol_bench_runs_and_renders(tmp_path: Path):
    """The protocol v2 benchmark end to end at toy sizes: chains, audits, restarts, a reorg, /mine."""
    result = protocol.run(tmp_path, [20, 40], repeats=1, reorg_depth=3, mine_blocks=2)
    assert [row["blocks"] for row in result["verification"]] == [20, 40]
    assert result["reorg"]["height"] == 41 + 3 and result["hash_rate"]["blocks"] == 2
    summary = plots.render({"started": "now", "config": {"quick": True}, "machine": {"cpus": 1, "python": "3"},
                            "protocol": result}, tmp_path)
    assert "Protocol v2 at scale" in summary and "reorg of depth 3" in summary

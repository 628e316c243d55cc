"""bench/job_settlement.py keeps working: every costliest shape is built within the bounds, scored,
settled, and (with Node.js) scored the same by web/kinds.js. Nothing here asserts a time."""
import shutil

from bench import job_settlement
from ml import kinds


def test_the_settlement_bench_runs_every_shape_at_the_bounds():
    result = job_settlement.run(repeats=1, js=shutil.which("node") is not None)
    shapes = result["shapes"]
    assert [s["shape"] for s in shapes] == [name for name, *_ in job_settlement.shapes()]
    for s in shapes:
        assert s["models"] == 16 and s["test_rows"] * s["features"] <= kinds.MAX_TEST_CELLS
        assert s["test_rows"] == min(kinds.MAX_TEST_ROWS, kinds.MAX_TEST_CELLS // s["features"])

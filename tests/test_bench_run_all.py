"""bench.run_all: a failing part (or a thread of it) makes the exit status 1 while the other parts
still run; the figures show no curve through fewer than 3 sizes and say when the spread covers a
difference. Nothing here asserts a time."""
import json
import threading
from pathlib import Path

import pytest

from bench import endpoints, mining, plots, run_all, scaling


def test_a_failing_part_makes_the_run_fail_and_the_others_still_run(tmp_path, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("the hash rate bench broke")

    monkeypatch.setattr(mining, "run", broken)
    assert run_all.main(["--quick", "--only", "mining", "blocks", "--out", str(tmp_path)]) == 1
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["errors"] == {"mining": "RuntimeError: the hash rate bench broke"}
    assert [row["flower_data"] for row in results["block_apply"]] == run_all.QUICK["block_sizes"]
    assert "error: the mining part failed" in capsys.readouterr().err


def test_an_exception_in_a_bench_thread_fails_the_run(tmp_path, monkeypatch, capsys):
    real = mining.run

    def with_a_thread(hashes, blocks):
        worker = threading.Thread(target=lambda: 1 / 0, name="bench-worker")
        worker.start()
        worker.join()
        return real(20_000, 1)

    monkeypatch.setattr(mining, "run", with_a_thread)
    assert run_all.main(["--quick", "--only", "mining", "--out", str(tmp_path)]) == 1
    assert "thread bench-worker" in json.loads((tmp_path / "results.json").read_text())["errors"]
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.network
def test_stopping_the_node_under_the_while_mining_bench_is_no_error(tmp_path, monkeypatch):
    escaped = []
    monkeypatch.setattr(threading, "excepthook", escaped.append)
    result = endpoints.while_mining(tmp_path, 1, 0, clients=1)
    assert escaped == [] and result["n"] > 0 and result["miners"] == 0


def render(tmp_path: Path, **parts) -> str:
    return plots.render({"started": "now", "config": {"quick": True}, "machine": {"cpus": 2, "python": "3"}, **parts},
                        tmp_path)


def test_no_curve_through_fewer_than_three_sizes(tmp_path):
    two = scaling.model_size([60, 120], repeats=3)
    summary = render(tmp_path, model_size=two)
    assert not (tmp_path / "model_size.png").exists() and "the table only, no model_size.png chart" in summary
    three = scaling.model_size([60, 90, 120], repeats=3)
    assert "![model cost](model_size.png)" in render(tmp_path, model_size=three)
    assert (tmp_path / "model_size.png").stat().st_size > 1000


def pending_rows(samples: dict) -> list[dict]:
    from bench.util import spread_ms
    return [{"pending": p, **spread_ms([ms / 1000 for ms in s])} for p, s in samples.items()]


def test_a_difference_the_spread_covers_is_not_claimed(tmp_path):
    overlapping = pending_rows({0: [40, 90, 60, 120, 30], 10: [50, 70, 100, 35, 80], 100: [45, 65, 95, 30, 110]})
    summary = render(tmp_path, mine_vs_pending=overlapping)
    assert "no difference is shown" in summary and "faster with more" not in summary
    assert "interquartile range" in summary and (tmp_path / "mine_vs_pending.png").exists()
    apart = pending_rows({0: [40, 42, 41, 43, 39], 10: [60, 61, 62, 59, 63], 100: [90, 92, 91, 93, 89]})
    summary = render(tmp_path, mine_vs_pending=apart)
    assert "slower with more pending transactions" in summary and "no difference is shown" not in summary
    one_each = pending_rows({0: [40], 10: [30], 100: [20]})
    assert "the spread is unknown" in render(tmp_path, mine_vs_pending=one_each)

"""bench.snapshot_cost at toy size: the policy's snapshot heights, and a table of both chains."""
from bench import snapshot_cost


def test_a_sync_snapshots_at_the_policys_heights():
    heights = snapshot_cost.snapshot_heights(20_000)
    assert heights[:3] == [1000, 2000, 3000]            # every 1,000 blocks while an eighth is less
    assert all(b - a >= max(1000, b // 8) for a, b in zip(heights, heights[1:], strict=False))
    assert heights[-1] <= 20_000 and snapshot_cost.snapshot_heights(999) == []


def test_the_bench_prints_both_chains_and_their_ratio(capsys):
    assert snapshot_cost.main(["--jobs", "4", "--blocks", "1200", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "| with jobs |" in out and "| without |" in out and "| ratio |" in out
    assert "writes 1 snapshot;" in out

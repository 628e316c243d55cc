"""bench/jobs_scale.py keeps working at a toy size: it builds a chain whose jobs really are settled
(in process, and as a node synced over HTTP serves them), measures every part against the same
chain without the jobs, and writes its JSON and table. Nothing here asserts a time."""
import json
from pathlib import Path

from bench import jobs_chain, jobs_scale
from ml import kinds

METRICS = {"restart without snapshot", "restart with snapshot", "sync over HTTP", "audit_chain",
           "python -m blockchain.verify"}


def test_the_two_chains_differ_only_by_the_jobs():
    with_jobs, ids = jobs_chain.build(6)
    without, none = jobs_chain.build(6, with_jobs=False)
    assert with_jobs.height == without.height == jobs_chain.blocks_for(6) and none == []
    assert len(set(ids)) == 6 and jobs_chain.settled(with_jobs, ids) == 6
    for job_id in ids:  # each winner is the worker holding the best of its three models
        settlement = with_jobs.state.jobs[job_id].settlement
        assert settlement["outcome"] == "won" and settlement["burnt"] == 0
        assert max(score for _, score in settlement["scores"]) == len(jobs_chain.TEST_ROWS)
    kinds_seen = {with_jobs.state.jobs[j].data["kind"] for j in ids}
    assert kinds_seen == set(jobs_chain.KINDS)
    assert not without.state.jobs
    for kind in jobs_chain.KINDS:
        scores = kinds.scores(jobs_chain.models(kind), jobs_chain.TEST_ROWS, jobs_chain.TEST_LABELS)
        assert scores[0] > max(scores[1:])  # the winner is unique, so the coins go round as planned


def test_the_jobs_scale_bench_runs_and_writes(tmp_path: Path):
    assert jobs_scale.main(["--jobs", "8", "--repeats", "2", "--requests", "5", "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "jobs_scale.json").read_text())
    table = (tmp_path / "jobs_scale.md").read_text()
    a, b = result["runs"]["with_jobs"], result["runs"]["without_jobs"]
    assert result["jobs"] == 8 and a["settled_jobs"] == 8 and b["settled_jobs"] == 0
    assert a["blocks"] == b["blocks"] == jobs_chain.blocks_for(8)
    assert a["transactions"] > b["transactions"]
    # the node that synced the chain over HTTP lists every job, each settled
    assert a["synced_node"]["settled_jobs"] == a["synced_node"]["all_jobs"] == 8
    assert a["synced_node"]["height"] == a["blocks"] and a["synced_node"]["model_hash_agrees"]
    assert b["synced_node"]["all_jobs"] == 0 and b["synced_node"]["height"] == b["blocks"]
    c = result["runs"]["with_transfers"]
    assert c["blocks"] == a["blocks"] and c["transactions"] == a["transactions"] and c["settled_jobs"] == 0
    assert set(result["ratios"]) == set(result["ratios_to_transfers"]) == METRICS
    for r in [*result["ratios"].values(), *result["ratios_to_transfers"].values()]:
        assert r["pairs"] == 4 and r["q1"] <= r["ratio"] <= r["q3"]
        assert r["paired_min"] <= r["paired_ratio"] <= r["paired_max"]  # of the two repeats' own ratios
    cpu = {"restart without snapshot", "restart with snapshot", "audit_chain", "python -m blockchain.verify"}
    assert set(result["cpu_ratios"]) == set(result["cpu_ratios_to_transfers"]) == cpu
    for run in (a, b, c):
        assert all(run["cpu"][m]["n"] == 2 and min(run["cpu"][m]["samples_ms"]) > 0 for m in cpu)
        assert run["restart"]["without_snapshot"]["n"] == run["sync"]["n"] == run["audit"]["n"] == 2
    assert {"POST /flower/predict", "GET /jobs", "GET /jobs/<id>", "POST /jobs/<id>/predict"} <= set(a["endpoints"])
    assert "POST /jobs/<id>/predict" not in b["endpoints"]
    for label in METRICS:
        assert f"| {label} |" in table
    assert "`GET /jobs`" in table and "`POST /flower/predict`" in table


def test_the_docs_quote_the_committed_results():
    """docs/jobs.md carries the committed table row for row, and the README its figures."""
    root = Path(__file__).resolve().parent.parent
    table = (root / "bench" / "results" / "jobs_scale.md").read_text(encoding="utf-8")
    result = json.loads((root / "bench" / "results" / "jobs_scale.json").read_text(encoding="utf-8"))
    jobs_md = (root / "docs" / "jobs.md").read_text(encoding="utf-8")
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    # three headers: the works (wall time), the works (CPU time), the endpoints
    assert len(rows) == 1 + len(METRICS) + 1 + len(jobs_scale.CPU_MEASURES) + 1 + 7
    for line in rows:
        assert line in jobs_md, line
    readme = " ".join((root / "README.md").read_text(encoding="utf-8").split())
    ratios = [r["ratio"] for r in result["ratios"].values()]
    assert result["runs"]["with_jobs"]["settled_jobs"] == result["jobs"] == 1000
    assert f"**{min(ratios)} to {max(ratios)} times the same chain without the jobs**" in readme
    predict = result["runs"]["with_jobs"]["endpoints"]["POST /flower/predict"]["x_floor"]
    assert f"HTTP floor ({predict}x)" in readme


def test_the_long_chain_holds_the_jobs_then_plain_blocks(tmp_path: Path):
    """--blocks grows both chains past the jobs with plain blocks; --no-transfers leaves out the
    third chain and its columns."""
    height = jobs_chain.blocks_for(4) + 15
    assert jobs_scale.main(["--jobs", "4", "--blocks", str(height), "--no-transfers", "--repeats", "1",
                            "--requests", "5", "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "jobs_scale.json").read_text())
    a, b = result["runs"]["with_jobs"], result["runs"]["without_jobs"]
    assert result["blocks"] == a["blocks"] == b["blocks"] == height and "with_transfers" not in result["runs"]
    assert a["settled_jobs"] == 4 and a["synced_node"]["settled_jobs"] == 4 and a["synced_node"]["height"] == height
    assert a["transactions"] - b["transactions"] == sum(jobs_chain.job_transactions(jobs_chain.build(4)[0]))
    assert result["ratios_to_transfers"] == {} and set(result["ratios"]) == METRICS
    table = (tmp_path / "jobs_scale.md").read_text()
    assert f"--blocks {height} --no-transfers" in table and "with transfers instead" not in table


def test_the_docs_quote_the_committed_run_at_the_projects_scale():
    """docs/jobs.md carries the 10^5-block table row for row; the README's ratios are that run's."""
    root = Path(__file__).resolve().parent.parent
    folder = root / "bench" / "results" / "jobs_scale_100k"
    table = (folder / "jobs_scale.md").read_text(encoding="utf-8")
    result = json.loads((folder / "jobs_scale.json").read_text(encoding="utf-8"))
    assert result["blocks"] == 100_000 and result["runs"]["with_jobs"]["settled_jobs"] == 1000
    jobs_md = (root / "docs" / "jobs.md").read_text(encoding="utf-8")
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + len(METRICS) + 1 + len(jobs_scale.CPU_MEASURES) + 1 + 7
    for line in rows:
        assert line in jobs_md, line
    ratios = result["ratios"]
    within = [ratios[k]["ratio"] for k in ("restart without snapshot", "audit_chain", "python -m blockchain.verify")]
    readme = " ".join((root / "README.md").read_text(encoding="utf-8").split())
    assert f"**within 10%** ({min(within)} to {max(within)} times the chain without the jobs" in readme
    assert f"{ratios['restart with snapshot']['ratio']} from the snapshot" in readme
    assert f"over HTTP not: {ratios['sync over HTTP']['ratio']} times**" in readme

"""bench/address_page.py keeps working at a toy size: against real nodes, headless Chromium opens the
address page of an address that sent job transactions, and the page really shows its job rows (each
one the chain holds, by type; none on the chain of transfers), on a fresh load and on a second visit, and
its Jobs link followed during the replay lists its jobs from one download of the chain;
the result files have their shape. Nothing here asserts a time."""
import json
from pathlib import Path

from bench import address_page


def test_the_address_page_bench_shows_the_job_rows_and_writes(tmp_path: Path):
    assert address_page.main(["--jobs", "8", "--repeats", "2", "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "address_page.json").read_text())
    table = (tmp_path / "address_page.md").read_text()
    a, b = result["runs"]["with_jobs"], result["runs"]["with_transfers"]
    assert result["jobs"] == 8 and result["repeats"] == 2 and result["address"] == "ann"
    assert a["blocks"] == b["blocks"] and a["transactions"] == b["transactions"]
    # ann requests 2 of the 8 jobs and works in the other 6: each of them has a row, from the replay
    assert a["job_rows_by_type"] == {"JOB": 2, "JOB_TEST": 2, "JOB_COMMIT": 6, "JOB_MODEL": 6, "JOB_SETTLE": 6}
    assert a["job_rows_shown"] == a["job_rows_expected"] == 22
    assert b["job_rows_shown"] == b["job_rows_expected"] == 0 and b["job_rows_by_type"] == {}
    assert f"({a['blocks'] + 1} blocks)" in a["replayed_text"]  # the page says it replayed the whole chain
    for run in (a, b):
        assert {k: len(v) for k, v in run["samples_ms"].items()} == dict.fromkeys(
            ("first", "rows", "received", "second_first", "second_rows", "follow_clicked", "follow_jobs"), 2)
        for first, received, rows in zip(run["samples_ms"]["first"], run["samples_ms"]["received"],
                                         run["samples_ms"]["rows"], strict=True):
            assert 0 < first and received < rows  # in order: the rows come after the chain they come from
        assert set(run["phases_ms"]) == {"download", "replay"}
    # the Jobs link followed during the replay: the Jobs page lists ann's 8 jobs, from one download
    assert a["jobs_link"]["jobs_listed"] == 8 and b["jobs_link"]["jobs_listed"] == 0
    assert a["jobs_link"]["chain_requests"] == b["jobs_link"]["chain_requests"] == [1, 1]
    assert set(result["ratios_to_transfers"]) == {"first part", "job rows"}
    for r in [*result["ratios_to_transfers"].values(), *result["second_visit"].values()]:
        assert r["pairs"] == 4 and r["q1"] <= r["ratio"] <= r["q3"]
    assert "| first part: balance, contributions, transfers |" in table
    assert "Job rows shown on the job chain: 22 of 22" in table

"""bench/job_settlement_browser.py keeps working: in headless Chromium, the page's verifier
(settlementOf of web/jobs_rules.js) settles every costliest shape, scoring each of the 16 models as
ml/kinds.py does (the bench asserts it). Nothing here asserts a time."""
from bench import job_settlement, job_settlement_browser


def test_the_browser_settlement_bench_runs_every_shape():
    result = job_settlement_browser.run(repeats=1)
    assert [s["shape"] for s in result["shapes"]] == [name for name, *_ in job_settlement.shapes()]
    assert all(s["models"] == 16 and s["test_rows"] * s["features"] <= 16384 for s in result["shapes"])

"""bench/artifacts.py keeps working at its quick size against real node processes: every size is
stored, served, re-hashed and fetched by a second node, every refusal answers its own status and
code, and the JSON and the table are written. The docs quote the committed full run. Nothing here
asserts a time."""
import json
from pathlib import Path

from bench import artifacts

ROOT = Path(__file__).resolve().parent.parent


def test_the_quick_run_measures_every_size_and_refusal(tmp_path: Path):
    assert artifacts.main(["--quick", "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "artifacts.json").read_text())
    table = (tmp_path / "artifacts.md").read_text()
    assert set(result["sizes"]) == {"1 KiB", "1 MiB", "16 MiB"}
    for label, r in result["sizes"].items():
        assert r["bytes"] == artifacts.SIZES[label] and r["requests"] == artifacts.QUICK[label]
        for step in ("put", "get", "fetch"):
            assert r[step]["n"] == r["requests"] and r[step]["mib_s"] > 0 and r[step]["x_floor"] > 0
        assert r["head"]["n"] == r["requests"]
        assert f"| {label} | {r['requests']} |" in table
    stored = sum(artifacts.QUICK[label] for label in artifacts.SIZES)
    assert result["list"]["files"] == stored        # every PUT stored a new file; nothing refused was kept
    codes = {label: (r["status"], r["code"]) for label, r in result["refused"].items()}
    assert sorted(codes.values()) == sorted([(413, "artifact_too_large"), (413, "artifact_too_large"),
                                             (415, "unsupported_media_type"), (404, "artifact_not_found"),
                                             (400, "invalid_sha256"), (404, "artifact_not_found")])
    for label in result["refused"]:
        assert f"| {label} |" in table


def test_the_docs_quote_the_committed_full_run():
    table = (ROOT / "bench" / "results" / "artifacts.md").read_text(encoding="utf-8")
    result = json.loads((ROOT / "bench" / "results" / "artifacts.json").read_text(encoding="utf-8"))
    assert result["counts"] == artifacts.FULL
    doc = (ROOT / "docs" / "artifacts.md").read_text(encoding="utf-8")
    for line in table.splitlines():
        if line.startswith("| "):
            assert line in doc, line
    benchmarks = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    big = result["sizes"]["16 MiB"]
    assert f"{big['get']['mib_s']} MiB/s" in benchmarks and "bench.artifacts" in benchmarks

"""A --quick run without --out writes to a scratch folder it prints, never to the committed
docs/figures or bench/results: run from another folder, the checkout's git status is unchanged."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.nodes import ROOT


def git_status():
    return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=True).stdout


@pytest.mark.parametrize("command,written", [
    (["-m", "bench.run_all", "--quick", "--only", "mining"], {"results.json", "summary.md"}),
    (["-m", "experiments.reproduce", "--quick"], {"results.json", "fig4_model_growth.png", "fig5_drift.png"}),
    (["-m", "experiments.poisoning", "--quick"], {"poisoning_results.json", "poisoning_accuracy.png",
                                                  "poisoning_balances.png"}),
])
def test_a_quick_run_writes_to_a_printed_scratch_folder(tmp_path, command, written):
    before = git_status()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path)}
    r = subprocess.run([sys.executable, *command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    found = re.search(r"writing to the scratch folder (\S+)", r.stdout)
    assert found, r.stdout
    scratch = Path(found.group(1))
    try:
        assert scratch.parent == tmp_path and written <= {p.name for p in scratch.iterdir()}
        assert git_status() == before
        assert not (tmp_path / "docs").exists() and not (tmp_path / "bench").exists()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def test_an_explicit_out_is_honoured(tmp_path):
    out = tmp_path / "mine"
    r = subprocess.run([sys.executable, "-m", "bench.run_all", "--quick", "--only", "mining", "--out", str(out)],
                       cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "scratch" not in r.stdout and (out / "results.json").exists() and (out / "summary.md").exists()

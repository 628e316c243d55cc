"""The JavaScript verifier (web/verify.js) under Node.js against every protocol vector: the same
file the Python implementation is held to (node --test tests/web/)."""
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="no Node.js here; the JavaScript verifier's tests need it")
def test_the_javascript_verifier_passes_every_vector():
    run = subprocess.run([NODE, "--test", "tests/web/"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    summary = dict(line.lstrip("# ").split(" ", 1) for line in run.stdout.splitlines()
                   if line.startswith(("# tests", "# pass", "# fail")))
    assert int(summary["fail"]) == 0 and int(summary["pass"]) == int(summary["tests"]) >= 27, summary

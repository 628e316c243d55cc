"""scripts/setup.sh, the first thing a newcomer runs: it says in one line which Python it needs."""
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_an_old_python_is_refused_in_one_line(tmp_path):
    fake = tmp_path / "python3"
    fake.write_text('#!/bin/sh\nif [ "$1" = "--version" ]; then echo "Python 3.10.12"; exit 0; fi\nexit 1\n')
    fake.chmod(0o755)
    r = subprocess.run(["bash", str(ROOT / "scripts" / "setup.sh")], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "PYTHON": str(fake)})
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        f"error: Python 3.11 or newer is needed (found: Python 3.10.12); set PYTHON=/path/to/python3.11"]


def test_setup_needs_no_sha256sum():
    text = (ROOT / "scripts" / "setup.sh").read_text()
    assert "sha256sum" not in text and "shasum" not in text  # stock macOS has neither reliably: Python hashes

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
        "error: Python 3.11 or newer is needed (found: Python 3.10.12); set PYTHON=/path/to/python3.11"]


def test_setup_needs_no_sha256sum():
    text = (ROOT / "scripts" / "setup.sh").read_text()
    assert "sha256sum" not in text and "shasum" not in text  # stock macOS has neither reliably: Python hashes


def test_a_broken_venv_is_rebuilt_not_reused(tmp_path):
    """A .venv whose python no longer runs (a failed install, another machine's Python) is removed
    and made again before anything is installed into it."""
    import shutil

    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "setup.sh", tmp_path / "scripts" / "setup.sh")
    (tmp_path / "requirements.txt").write_text("flask\n")
    broken = tmp_path / ".venv" / "bin"
    broken.mkdir(parents=True)
    (broken / "python").write_text("#!/bin/sh\nexit 1\n")
    (broken / "python").chmod(0o755)
    (tmp_path / ".venv" / "stale-marker").write_text("from the broken one")
    # A stand-in Python: passes the version check, makes a venv whose python records what it is asked.
    fake = tmp_path / "python3"
    fake.write_text(f"""#!/bin/sh
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  mkdir -p "$3/bin"
  printf '#!/bin/sh\\necho "$@" >> {tmp_path}/venv-calls\\nexit 0\\n' > "$3/bin/python"
  chmod +x "$3/bin/python"
  exit 0
fi
exec {sys_executable()} "$@"
""")
    fake.chmod(0o755)
    r = subprocess.run(["bash", str(tmp_path / "scripts" / "setup.sh")], cwd=tmp_path, capture_output=True, text=True,
                       timeout=60, env={**os.environ, "PYTHON": str(fake)})
    assert r.returncode == 0, r.stderr
    assert "rebuilding it" in r.stderr and not (tmp_path / ".venv" / "stale-marker").exists()
    assert "-m pip install" in (tmp_path / "venv-calls").read_text()


def sys_executable() -> str:
    import sys

    return sys.executable

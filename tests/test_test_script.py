"""./test.sh runs the suite on every core by default, and still takes pytest's own arguments:
-n 0 or -p no:xdist runs it in one process."""
import re
import subprocess

from tests.helpers.nodes import ROOT

ONE_FILE = "tests/unit/test_branches.py"


def run(*args):
    return subprocess.run(["./test.sh", *args, ONE_FILE], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_the_suite_runs_on_workers_by_default():
    r = run()
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"^\d+ workers \[\d+ items\]", r.stdout, re.M) and " passed" in r.stdout, r.stdout


def test_one_process_when_asked():
    for args in (("-p", "no:xdist"), ("-n", "0")):
        r = run(*args)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "workers [" not in r.stdout and " passed" in r.stdout, r.stdout

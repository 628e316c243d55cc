"""What following the README leaves in the project folder is kept out of git: wallet keys and the
job directories beside them (docs/jobs.md: the test set and its salt are secret until reveal-test)."""
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                                reason="needs git and a git checkout")


@pytest.mark.parametrize("path", [
    "alice.key",
    "alice.key.jobs/test-f8ce32c8bfca3be1853afff8d0cd1291cc7a5d7171f27f458b1f63a6a39ba2ca.json",
    "bob.key.jobs/model-ad54afc5c8f6afedb781cccbd6d259a18682fb4b290b4b89e45256ea76b95bef.json",
    "data/node-5000/node_key",
])
def test_what_the_readme_commands_write_is_ignored(path):
    r = subprocess.run(["git", "check-ignore", "--no-index", "-q", path], cwd=ROOT, capture_output=True, timeout=30)
    assert r.returncode == 0, f"{path} is not ignored by .gitignore"


def test_project_files_are_not_ignored():
    r = subprocess.run(["git", "check-ignore", "--no-index", "-q", "client/jobfiles.py"], cwd=ROOT, timeout=30)
    assert r.returncode == 1

"""Every command's --help reads as a sentence (no raw markup), and the verifier tells a user with
the wrong base data what to pass instead of listing every block."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("command", [
    ["app.py"], ["-m", "blockchain.verify"], ["-m", "client"], ["-m", "experiments.reproduce"],
    ["-m", "experiments.poisoning"], ["-m", "bench.run_all"], ["-m", "bench.sync"], ["-m", "tests.cluster.bed"],
    ["-m", "tests.cluster.check"],
])
def test_help_is_plain_text(command):
    r = subprocess.run([sys.executable, *command, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("usage:") and "``" not in r.stdout


def test_job_create_help_says_an_artifact_job_needs_features_and_classes():
    # It once said "--classes (default: the network's)", and then refused an --artifact job without it.
    r = subprocess.run([sys.executable, "-m", "client", "job", "create", "--help"], cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    text = " ".join(r.stdout.split())
    assert "feature names (an artifact's; needed with --artifact)" in text, text
    assert "class names (needed with --artifact; with --flowers-to the default is the network's)" in text, text


def test_the_verifier_asks_for_the_base_data_of_another_network(tmp_path):
    chain = json.loads((ROOT / "docs" / "figures" / "chain_synthetic.json").read_text())
    path = tmp_path / "chain.json"
    path.write_text(json.dumps(chain))
    r = subprocess.run([sys.executable, "-m", "blockchain.verify", str(path)], cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 1
    problems = [line for line in r.stdout.splitlines() if line.startswith("block ")]
    assert len(problems) == 1 and "pass --base-data" in problems[0], r.stdout
    ok = subprocess.run([sys.executable, "-m", "blockchain.verify", str(path), "--base-data",
                         str(ROOT / "docs" / "figures" / "base_synthetic.json")], cwd=ROOT, capture_output=True,
                        text=True, timeout=120)
    assert ok.returncode == 0 and "VALID" in ok.stdout


@pytest.mark.parametrize("url,words", [
    ("10.77.0.1:5000", "http:// or https://"),
    ("http://169.254.1.1:5000", "link-local"),
    ("http://0.0.0.0:5000", "unspecified"),
    ("http://10.77.0.1", "port"),
])
def test_advertise_follows_the_peer_url_rules(url, words):
    r = subprocess.run([sys.executable, "app.py", "--ephemeral", "--advertise", url], cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2
    assert "--advertise" in r.stderr and words in r.stderr, r.stderr

"""The package (pyproject.toml, PEP 621): installed into a fresh venv, its three commands work from a
directory that is not the project's.

Offline and fast: the fresh venv gets no dependencies of its own. A ``.pth`` file in it makes the
test's own venv's site-packages visible (flask, numpy, setuptools, ... as requirements.txt pins
them), and ``pip install --no-deps --no-build-isolation --no-index`` builds and installs the project
with that setuptools, fetching nothing. The project is built from a copy of the source tree, so
that the build leaves no ``build/`` or ``*.egg-info`` in the working tree. Every command then runs
from another directory with ``PYTHONPATH`` unset, so that only the installed copy can be imported.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import tomllib
import venv
from pathlib import Path

import pytest
import requests

from client import Node, NodeError
from client.local import free_port

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ("iris-node", "iris-wallet", "iris-verify")
NOT_COPIED = {".git", ".venv", "node_modules", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache",
              ".hypothesis", ".schemathesis", "build", "dist"}

pytestmark = pytest.mark.network


def copy_source(target: Path) -> None:
    def ignore(folder, names):
        skip = {n for n in names if n in NOT_COPIED or n.endswith(".egg-info")}
        if Path(folder).resolve() == ROOT:
            skip |= {"data"} & set(names)  # the nodes' data directory (ml/data is the base data and stays)
        return skip
    shutil.copytree(ROOT, target, ignore=ignore, symlinks=True)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(bin folder of a fresh venv holding the installed package, a folder outside the project, env)."""
    import setuptools
    if int(setuptools.__version__.split(".")[0]) < 77:  # builds PEP 639 metadata and wheels without `wheel`
        pytest.fail(f"setuptools {setuptools.__version__} is too old to build the package; requirements.txt pins "
                    "setuptools==84.0.0: run scripts/setup.sh (./test.sh does)")
    base = tmp_path_factory.mktemp("package")
    env_dir, src, elsewhere = base / "venv", base / "src", base / "elsewhere"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    (Path(purelib) / "test-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    copy_source(src)
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    done = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
                           "--quiet", str(src)], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return env_dir / "bin", elsewhere, env, Path(purelib)


def run(installed, *args, timeout=120):
    bin_dir, elsewhere, env, _ = installed
    return subprocess.run([str(bin_dir / args[0]), *args[1:]], cwd=elsewhere, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def node(installed):
    """``iris-node`` started from the other folder with the default data directory; stopped by pid."""
    bin_dir, elsewhere, env, _ = installed
    port = free_port()
    log = elsewhere / "node.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(bin_dir / "iris-node"), "--port", str(port), "--difficulty", "1"],
                                cwd=elsewhere, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                Node(url, timeout=1).health()
                break
            except NodeError:
                pass
            assert time.monotonic() < deadline, f"iris-node did not answer within 60 s:\n{log.read_text()}"
            time.sleep(0.1)
        yield url, port, log
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def test_the_commands_are_installed_and_the_code_is_the_installed_copy(installed):
    bin_dir, elsewhere, env, purelib = installed
    assert all((bin_dir / name).is_file() for name in COMMANDS)
    where = subprocess.run([str(bin_dir / "python"), "-c", "import app, api, client, blockchain, ml; "
                            "print(app.__file__, api.__file__, client.__file__, blockchain.__file__, ml.__file__)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60, check=True)
    assert all(Path(f).resolve().is_relative_to(purelib.resolve()) for f in where.stdout.split()), where.stdout
    for name in COMMANDS:
        helped = run(installed, name, "--help")
        assert helped.returncode == 0 and helped.stdout.startswith("usage: "), (name, helped.stderr)


def test_iris_node_serves_the_api_and_the_dashboard_with_its_data_under_the_current_folder(installed, node):
    _, elsewhere, _, _ = installed
    url, port, log = node
    health = Node(url, timeout=30).health()
    assert (health.height, health.difficulty) == (0, 1)
    page = requests.get(url + "/", timeout=30)  # raw: the dashboard's HTML and script, not the JSON API
    assert page.status_code == 200 and "<html" in page.text.lower()  # web/ shipped as package data
    script = requests.get(url + "/web/app.js", timeout=30)
    assert script.status_code == 200 and len(script.content) > 1000
    assert (elsewhere / "data" / f"node-{port}").is_dir()
    line = next(line for line in log.read_text().splitlines() if " serving on " in line)
    assert f"data in {(elsewhere / 'data' / f'node-{port}').absolute()}," in line  # logged as an absolute path


def test_iris_wallet_makes_a_key_and_reads_a_balance_from_another_folder(installed, node):
    _, elsewhere, _, _ = installed
    url, _, _ = node
    made = run(installed, "iris-wallet", "keygen", "--key", "alice.key")
    assert made.returncode == 0, made.stderr
    address = re.search(r"^address ([0-9a-f]{40})$", made.stdout, re.M).group(1)
    assert (elsewhere / "alice.key").is_file()
    shown = run(installed, "iris-wallet", "address", "--key", "alice.key")
    assert shown.stdout.strip() == address
    balance = run(installed, "iris-wallet", "--node", url, "balance", address)
    assert balance.returncode == 0, balance.stderr
    assert balance.stdout.strip() == f"{address}: balance 0, available 0"


def test_iris_verify_checks_an_exported_chain_from_another_folder(installed, node):
    _, elsewhere, _, _ = installed
    url, _, _ = node
    client = Node(url, timeout=60)
    client.add_flower("alice", "setosa", {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4,
                                          "petal_width": 0.2})
    client.mine()  # the installed node's miner processes run from the installed package too
    (elsewhere / "chain.json").write_text(json.dumps(client.call("GET", "/chain")))
    verified = run(installed, "iris-verify", "chain.json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"VALID: 2 blocks, tip {client.tip().hash}, model_hash {client.model_info().model_hash}" in verified.stdout
    chain = json.loads((elsewhere / "chain.json").read_text())
    chain["chain"][1]["transactions"][-1]["data"]["model_hash"] = "0" * 64
    (elsewhere / "bad.json").write_text(json.dumps(chain))
    refused = run(installed, "iris-verify", "bad.json")
    assert refused.returncode == 1 and "INVALID" in refused.stdout


def test_the_packages_dependencies_are_the_runtime_pins_of_requirements_txt():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    text = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    runtime = text.split("# Runtime\n", 1)[1].split("\n#", 1)[0].split()
    assert project["dependencies"] == runtime
    assert project["requires-python"] == ">=3.11" and sys.version_info >= (3, 11)
    assert set(project["scripts"]) == set(COMMANDS)

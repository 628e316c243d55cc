"""python app.py refuses what it cannot run with: one line on stderr, exit status 2, no traceback."""
import json
import subprocess
import sys

import pytest

from tests.helpers.nodes import ROOT, free_port

pytestmark = pytest.mark.network


def run_app(*args, cwd):
    return subprocess.run([sys.executable, str(ROOT / "app.py"), "--port", str(free_port()), *args],
                          cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("args,words", [
    (("--base-data", "missing.json"), "cannot read base data"),
    (("--base-data", "bad.json"), "base data must have exactly the keys"),
    (("--min-deposit", "-1"), "must be 0 to 10^12"),
    (("--refund-wait", "0"), "must be 1 to 10^12"),
    (("--peers", "http://169.254.169.254:80"), "link-local"),
    (("--peers", "ftp://127.0.0.1:5001"), "http:// or https://"),
    (("--difficulty", "9"), "difficulty must be 1 to 7"),
    (("--difficulty", "x"), "invalid difficulty_value value"),
    (("--peer-timeout", "0"), "--peer-timeout: must be 0.1 to 300 seconds"),
    (("--sync-interval", "0"), "--sync-interval: must be 0.1 to 300 seconds"),
    (("--durability", "maybe"), "invalid choice"),
])
def test_startup_refusals_are_one_clear_line(tmp_path, args, words):
    (tmp_path / "bad.json").write_text(json.dumps({"train_rows": [[1, 2, 3, 4]]}))
    r = run_app("--ephemeral", *args, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert words in r.stderr
    assert "Traceback" not in r.stderr


def test_an_experiment_network_has_its_own_genesis(start_node, tmp_path):
    row = lambda *v: [f"{x:.2f}" for x in v]  # noqa: E731
    base = {"classes": ["setosa", "versicolor", "virginica"],
            "train": [row(1, 1, 1, 1), row(2, 2, 2, 2), row(1.5, 1, 1, 1), row(9, 9, 9, 9), row(8, 8, 8, 8),
                      row(8.5, 9, 9, 9), row(5, 5, 5, 5), row(5.5, 5, 5, 5)],
            "train_labels": ["setosa", "setosa", "setosa", "virginica", "virginica", "virginica", "versicolor",
                             "versicolor"],
            "test": [row(1.2, 1, 1, 1), row(8.8, 9, 9, 9)], "test_labels": ["setosa", "virginica"]}
    path = tmp_path / "base.json"
    path.write_text(json.dumps(base))
    experiment = start_node("experiment", extra_args=("--base-data", str(path)))
    iris = start_node("iris")
    assert experiment.get("/health").json()["tip"] != iris.get("/health").json()["tip"]
    assert experiment.get("/model/info").json()["data_count"] == 8
    iris.post("/mine")
    iris.post("/mine")
    experiment.post("/nodes/register", json={"nodes": [iris.url]})
    body = experiment.post("/nodes/resolve").json()
    assert body["replaced"] is False and any("genesis" in p for p in body["problems"]), body
    assert experiment.get("/health").json()["height"] == 0


def test_a_version_1_data_directory_is_refused(tmp_path):
    """A data directory written by a protocol version 1 node: one line naming the version, exit 2."""
    import sqlite3

    data = tmp_path / "old"
    data.mkdir()
    db = sqlite3.connect(data / "chain.sqlite3")
    db.executescript("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                     "INSERT INTO meta VALUES ('schema_version', '1');")
    db.commit()
    db.close()
    r = run_app("--data-dir", str(data), cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "protocol version 1" in r.stderr and "fresh --data-dir" in r.stderr
    assert "Traceback" not in r.stderr


def test_network_params_change_the_genesis(start_node):
    default = start_node("default")
    staked = start_node("staked", extra_args=("--min-deposit", "1", "--refund-wait", "5"))
    a, b = default.get("/health").json(), staked.get("/health").json()
    assert a["protocol"] == b["protocol"] == 2
    assert (a["min_deposit"], a["refund_wait"]) == (0, 10) and (b["min_deposit"], b["refund_wait"]) == (1, 5)
    assert a["genesis"] != b["genesis"]
    genesis = staked.get("/chain").json()["chain"][0]["transactions"][0]
    assert (
        genesis["type"] == "GENESIS" and genesis["params"]["min_deposit"] == 1 and genesis["params"]["refund_wait"] == 5
    )


def _data_dir(tmp_path):
    """A valid data directory (genesis, one pending flower, a node key), as a node leaves it."""
    from api import create_app

    data = tmp_path / "node"
    app = create_app({"data_dir": data, "difficulty": 1, "port": free_port()})
    client = app.test_client()
    assert client.post("/flower/add", json={"sender": "a", "sepal_length": 5.0, "sepal_width": 3.4,
                                            "petal_length": 1.5, "petal_width": 0.2,
                                            "flower_type": "setosa"}).status_code == 201
    client.post("/mine")
    client.post("/flower/add", json={"sender": "b", "sepal_length": 5.0, "sepal_width": 3.4, "petal_length": 1.5,
                                     "petal_width": 0.2, "flower_type": "setosa"})
    app.extensions["node"].close()
    return data


def _sql(data, statement):
    import sqlite3

    db = sqlite3.connect(data / "chain.sqlite3")
    db.execute(statement)
    db.commit()
    db.close()


@pytest.mark.parametrize("damage,words", [
    (lambda d: _sql(d, "UPDATE blocks SET body = '{not json' WHERE idx = 1"), "a stored block in"),
    (lambda d: _sql(d, "UPDATE pending SET body = 'garbage'"), "a pending transaction in"),
    (lambda d: (d / "node_key").write_text("not a key\n"), "the node key cannot be used"),
], ids=["block-row", "pending-row", "node-key"])
def test_a_damaged_data_directory_is_one_line_and_exit_2(tmp_path, damage, words):
    data = _data_dir(tmp_path)
    damage(data)
    r = run_app("--data-dir", str(data), "--difficulty", "1", cwd=tmp_path)
    errors = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert r.returncode == 2 and len(errors) == 1 and r.stderr.rstrip().endswith(errors[0]), r.stderr
    assert words in errors[0] and str(data) in errors[0], errors[0]
    assert "fresh --data-dir" in errors[0] or "move it away" in errors[0]
    assert "Traceback" not in r.stderr


def test_a_busy_port_is_one_line_and_exit_2(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = subprocess.run([sys.executable, str(ROOT / "app.py"), "--port", str(port), "--ephemeral"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2, r.stderr
    assert r.stderr.rstrip().splitlines()[-1] == f"error: port {port} is in use; choose another with --port"
    assert "Traceback" not in r.stderr and "serving on" not in r.stderr and "on disk" not in r.stderr


def test_ctrl_c_stops_cleanly_with_one_line(tmp_path):
    """SIGINT to the whole process group, as a terminal sends it: no traceback from the node or
    its mining workers, and a last line that says what was kept."""
    import os
    import signal
    import time

    from client import Node, NodeError

    port = free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), "--ephemeral",
                             "--miners", "2", "--difficulty", "1"], cwd=tmp_path, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        api = Node(f"http://127.0.0.1:{port}", timeout=5)
        while time.monotonic() < deadline:
            try:
                api.mine()
                break
            except NodeError:
                time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert err.rstrip().splitlines()[-1].endswith("stopped (--ephemeral: nothing was kept)")

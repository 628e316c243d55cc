"""Issue 20 item 16: a full disk answers 507 storage_full, reads go on, and the node recovers by
itself when space returns; a database locked by another process answers 503 storage_busy."""
import os
import shutil
import sqlite3
import subprocess

import pytest

pytestmark = pytest.mark.network

FLOWER = {"sender": "botanist", "sepal_length": 6.1, "sepal_width": 2.8, "petal_length": 4.7,
          "petal_width": 1.2, "flower_type": "versicolor"}


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MiB tmpfs (needs root); skips with the reason otherwise, fails if IRIS_REQUIRE_TMPFS=1."""
    mount = tmp_path / "disk"
    mount.mkdir()
    reason = None
    if os.geteuid() != 0 or shutil.which("mount") is None:
        reason = "a small tmpfs needs root (mount -t tmpfs)"
    else:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True, text=True
        )
        if done.returncode != 0:
            reason = f"mount -t tmpfs failed: {done.stderr.strip()}"
    if reason is not None:
        if os.environ.get("IRIS_REQUIRE_TMPFS") == "1":
            pytest.fail(f"IRIS_REQUIRE_TMPFS=1, but {reason}")
        pytest.skip(reason)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(path):
    """Write ``path`` until the disk is full."""
    with open(path, "wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
                os.fsync(out.fileno())
        except OSError:
            pass


def test_a_full_disk_is_507_reads_go_on_and_the_node_recovers(start_node, small_disk):
    node = start_node("full", difficulty=1, data_dir=small_disk / "node", extra_args=("--miners", "0"))
    assert node.post("/flower/add", json=FLOWER).status_code == 201
    assert node.post("/mine").status_code == 200
    filler = small_disk / "filler"
    _fill(filler)
    answers = [node.post("/flower/add", json={**FLOWER, "sender": f"late{i}"}) for i in range(3)]
    assert {a.status_code for a in answers} == {507}
    error = answers[0].json()["error"]
    assert error["code"] == "storage_full" and "full" in error["message"]
    assert node.get("/health").status_code == 200 and node.get("/chain").json()["length"] == 2
    assert node.get("/transactions/pending").json()["count"] == 0
    mined = node.post("/mine")
    assert mined.status_code == 507 and node.get("/health").json()["height"] == 1
    filler.unlink()
    assert node.post("/flower/add", json={**FLOWER, "sender": "after"}).status_code == 201
    assert node.post("/mine").status_code == 200
    assert node.get("/chain/validate").json()["valid"] is True


def test_a_database_locked_by_another_process_is_503_storage_busy(start_node):
    node = start_node("busy", difficulty=1, extra_args=("--miners", "0"))
    db = sqlite3.connect(node.data_dir / "chain.sqlite3", isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    db.execute("INSERT INTO meta (key, value) VALUES ('held', 'by another process')")
    try:
        answer = node.post("/flower/add", json=FLOWER, timeout=60)
        assert answer.status_code == 503 and answer.json()["error"]["code"] == "storage_busy"
        assert answer.headers.get("Retry-After")
        assert node.get("/block/" + "ab" * 32).status_code == 404  # reads go on meanwhile
    finally:
        db.execute("ROLLBACK")
        db.close()
    assert node.post("/flower/add", json=FLOWER).status_code == 201

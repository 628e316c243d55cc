"""Issue 24, "Artifacts": the content-addressed store of a live node, through HTTP only. Files are
stored by their SHA-256, served re-hashed, capped per file and in total, never left partial; a node
fetches what it lacks from its peers within a deadline and a size cap, keeping only bytes that
match their name, and keeps answering meanwhile."""
import hashlib
import os
import shutil
import socket
import subprocess
import threading
import time

import pytest

from tests.helpers.fake_peer import FakePeer, SilentPeers

pytestmark = pytest.mark.network

OCTETS = {"Content-Type": "application/octet-stream"}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put(node, data, method="put", **kw):
    return getattr(node.session, method)(node.url + "/artifacts", data=data, headers=OCTETS, timeout=60, **kw)


def stored(node) -> dict:
    return {a["sha256"]: a["size"] for a in node.get("/artifacts?limit=1000").json()["artifacts"]}


def wait_for(check, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {timeout} s")


def test_put_get_head_round_trip_and_an_idempotent_put(start_node):
    node = start_node("store")
    data = os.urandom(200_000) + b"\x00\xff"  # binary, with bytes no text encoding keeps
    first = put(node, data)
    assert first.status_code == 201, first.text
    assert first.json() == {"sha256": sha(data), "size": len(data)}
    assert first.headers["Location"] == f"/artifacts/{sha(data)}"
    again = put(node, data, method="post")  # POST is the same as PUT
    assert again.status_code == 200 and again.json() == first.json()

    got = node.get(f"/artifacts/{sha(data)}")
    assert got.status_code == 200 and got.content == data
    assert got.headers["Content-Type"] == "application/octet-stream"
    assert got.headers["ETag"] == f'"{sha(data)}"'
    assert "immutable" in got.headers["Cache-Control"] and "max-age=31536000" in got.headers["Cache-Control"]
    head = node.session.head(f"{node.url}/artifacts/{sha(data)}", timeout=30)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Length"] == str(len(data)) and head.headers["ETag"] == got.headers["ETag"]

    other = b"a second file"
    assert put(node, other).status_code == 201
    assert stored(node) == {sha(data): len(data), sha(other): len(other)}
    page = node.get("/artifacts?limit=1").json()
    assert page["count"] == 2 and len(page["artifacts"]) == 1 and page["next"] == 1
    assert page["artifacts"][0]["sha256"] == min(sha(data), sha(other))  # by name
    assert node.get("/artifacts?from=1&limit=1").json()["next"] is None

    # they survive a restart of the node
    node.stop()
    node.start()
    assert node.get(f"/artifacts/{sha(data)}").content == data


def test_bad_names_bad_bodies_and_a_missing_file(start_node):
    node = start_node("names")
    for name in ("xyz", "A" * 64, "0" * 63, "0" * 65, "g" * 64):
        answer = node.get(f"/artifacts/{name}")
        assert answer.status_code == 400, name
        assert answer.json()["error"]["code"] == "invalid_sha256"
    missing = node.get(f"/artifacts/{'0' * 64}")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "artifact_not_found"
    assert node.session.head(f"{node.url}/artifacts/{'0' * 64}", timeout=30).status_code == 404
    wrong_type = node.session.put(node.url + "/artifacts", data=b"abc", headers={"Content-Type": "text/plain"},
                                  timeout=30)
    assert wrong_type.status_code == 415 and "application/octet-stream" in wrong_type.json()["error"]["message"]
    assert put(node, b"").status_code == 400
    assert stored(node) == {}
    bad_fetch = node.post("/artifacts/fetch", json={"sha256": "ABC"})
    assert bad_fetch.status_code == 400 and bad_fetch.json()["error"]["code"] == "invalid_request"


def test_a_file_over_the_cap_is_refused_and_nothing_is_stored(start_node):
    node = start_node("cap", extra_args=("--artifact-max-bytes", "1000"))
    at_cap = os.urandom(1000)
    assert put(node, at_cap).status_code == 201
    over = put(node, os.urandom(1001))
    assert over.status_code == 413 and over.json()["error"]["code"] == "artifact_too_large"
    assert "1000 bytes" in over.json()["error"]["message"]

    def chunks():  # no Content-Length: the cap is found while reading
        for _ in range(10):
            yield os.urandom(500)
    chunked = put(node, chunks())
    assert chunked.status_code == 413 and chunked.json()["error"]["code"] == "artifact_too_large"

    # far over every limit: the server refuses it from its Content-Length, with the same error
    with socket.create_connection(("127.0.0.1", node.port), timeout=30) as s:
        s.sendall(f"PUT /artifacts HTTP/1.1\r\nHost: 127.0.0.1:{node.port}\r\nContent-Type: application/octet-stream"
                  f"\r\nContent-Length: {64 * 1024 * 1024}\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    assert answer.split()[1] == b"413" and b'"artifact_too_large"' in answer and b"1000 bytes" in answer
    assert stored(node) == {sha(at_cap): 1000}
    assert list((node.data_dir / "artifacts" / "tmp").iterdir()) == []  # no partial file left
    # other routes keep their own body limit
    big_json = node.session.post(node.url + "/flower/predict", data=b"[" + b" " * (2 * 1024 * 1024) + b"]",
                                 headers={"Content-Type": "application/json"}, timeout=30)
    assert big_json.status_code == 413 and big_json.json()["error"]["code"] == "body_too_large"


def test_a_file_corrupted_on_disk_is_not_served_and_is_dropped(start_node):
    node = start_node("rot")
    data = b"the dataset a job names" * 100
    assert put(node, data).status_code == 201
    path = node.data_dir / "artifacts" / sha(data)
    assert path.read_bytes() == data  # kept under its name
    path.write_bytes(data[:-1] + b"!")  # one byte changes while the node runs
    answer = node.get(f"/artifacts/{sha(data)}")
    assert answer.status_code == 404 and "corrupted" in answer.json()["error"]["message"]
    assert not path.exists() and stored(node) == {}
    assert "dropped artifact" in node.log()
    assert put(node, data).status_code == 201  # a good copy can be stored again
    assert node.get(f"/artifacts/{sha(data)}").content == data


def test_unfinished_writes_are_removed_at_start(start_node):
    node = start_node("leftover")
    assert put(node, b"kept").status_code == 201
    node.stop()
    partial = node.data_dir / "artifacts" / "tmp" / "abc.part"
    partial.write_bytes(b"half a fi")
    node.start()
    assert not partial.exists()
    assert stored(node) == {sha(b"kept"): 4}


def test_a_full_store_answers_507_and_keeps_what_it_had(start_node):
    node = start_node("full", extra_args=("--artifact-max-bytes", "1000", "--artifact-store-bytes", "2500"))
    a, b, c = os.urandom(1000), os.urandom(1000), os.urandom(1000)
    assert put(node, a).status_code == 201 and put(node, b).status_code == 201
    full = put(node, c)
    assert full.status_code == 507 and full.json()["error"]["code"] == "artifact_store_full"
    assert "2500" in full.json()["error"]["message"]
    assert put(node, a).status_code == 200  # what it holds already is not refused
    assert put(node, b"x" * 400).status_code == 201  # what fits still does
    assert stored(node) == {sha(a): 1000, sha(b): 1000, sha(b"x" * 400): 400}
    assert list((node.data_dir / "artifacts" / "tmp").iterdir()) == []
    assert node.get("/health").status_code == 200


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MiB tmpfs (needs root); skips with the reason otherwise, fails if IRIS_REQUIRE_TMPFS=1."""
    mount = tmp_path / "disk"
    mount.mkdir()
    reason = None
    if os.geteuid() != 0 or shutil.which("mount") is None:
        reason = "a small tmpfs needs root (mount -t tmpfs)"
    else:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                              capture_output=True, text=True)
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


def test_a_full_disk_answers_507_storage_full_and_leaves_no_partial_file(start_node, small_disk):
    node = start_node("disk", data_dir=small_disk / "node", extra_args=("--miners", "0"))
    small = b"fits"
    assert put(node, small).status_code == 201
    big = os.urandom(3 * 1024 * 1024)  # more than the whole disk
    answer = put(node, big)
    assert answer.status_code == 507 and answer.json()["error"]["code"] == "storage_full"
    assert list((small_disk / "node" / "artifacts" / "tmp").iterdir()) == []
    assert stored(node) == {sha(small): 4}
    assert node.get("/health").status_code == 200 and node.get(f"/artifacts/{sha(small)}").content == small
    assert put(node, b"still room for this").status_code == 201  # the node recovers by itself


def test_a_node_fetches_what_it_lacks_from_a_peer(start_node):
    holder = start_node("holder", ephemeral=True)
    asker = start_node("asker", ephemeral=True)
    data = os.urandom(300_000)
    assert put(holder, data).status_code == 201
    lacking = asker.post("/artifacts/fetch", json={"sha256": sha(data)})
    assert lacking.status_code == 404 and "no peers" in lacking.json()["error"]["message"]
    assert asker.post("/nodes/register", json={"nodes": [holder.url]}).status_code == 201

    unknown = asker.post("/artifacts/fetch", json={"sha256": "1" * 64})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "artifact_not_found"
    assert unknown.json()["error"]["details"] == [{"url": holder.url, "problem": "does not have it (404)"}]

    fetched = asker.post("/artifacts/fetch", json={"sha256": sha(data)})
    assert fetched.status_code == 201, fetched.text
    assert fetched.json()["peer"] == holder.url and fetched.json()["size"] == len(data)
    assert asker.get(f"/artifacts/{sha(data)}").content == data
    again = asker.post("/artifacts/fetch", json={"sha256": sha(data)})
    assert again.status_code == 200 and again.json()["peer"] is None


def test_a_peer_that_serves_other_bytes_is_not_believed_and_is_backed_off(start_node):
    wanted = b"the real dataset"
    with FakePeer() as liar:
        liar.mode = "garbage"  # 1,024 bytes at every path, whatever was asked
        asker = start_node("victim", ephemeral=True, extra_args=("--sync-interval", "300"))
        assert asker.post("/nodes/register", json={"nodes": [liar.url]}).status_code == 201
        wait_for(lambda: asker.get("/nodes").json()["nodes"][0]["state"] != "new", "the first poll of the peer")
        answer = asker.post("/artifacts/fetch", json={"sha256": sha(wanted)})
        assert answer.status_code == 502 and answer.json()["error"]["code"] == "artifact_fetch_failed"
        problem = answer.json()["error"]["details"][0]
        assert problem["url"] == liar.url and "SHA-256" in problem["problem"]
        assert liar.count(f"GET /artifacts/{sha(wanted)}") == 1
        peer = asker.get("/nodes").json()["nodes"][0]
        assert peer["state"] == "backed_off" and "SHA-256" in peer["problem"]
        assert stored(asker) == {}


@pytest.mark.parametrize("mode,why", [("trickle", "took longer than 1.0s"), ("silent", "took longer than 1.0s"),
                                      ("huge", "limit")])
def test_a_slow_or_flooding_peer_is_cut_off_and_the_node_keeps_answering(start_node, mode, why):
    with FakePeer() as bad, FakePeer() as also_bad:
        bad.mode = also_bad.mode = mode
        asker = start_node(f"asker-{mode}", ephemeral=True,
                           extra_args=("--artifact-timeout", "1", "--artifact-max-bytes", "100000"))
        assert asker.post("/nodes/register", json={"nodes": [bad.url, also_bad.url]}).status_code == 201
        result = {}
        fetching = threading.Thread(target=lambda: result.update(
            answer=asker.post("/artifacts/fetch", json={"sha256": "2" * 64}, timeout=60)))
        fetching.start()
        wait_for(lambda: bad.count("GET /artifacts/") + also_bad.count("GET /artifacts/"), "the fetch to start")
        answered_meanwhile = 0
        while fetching.is_alive():
            health = asker.get("/health")
            assert health.status_code == 200
            answered_meanwhile += fetching.is_alive()
        fetching.join()
        answer = result["answer"]
        assert answer.status_code == 502, answer.text
        problems = answer.json()["error"]["details"]
        assert {p["url"] for p in problems} == {bad.url, also_bad.url}
        assert all(why in p["problem"] for p in problems), problems
        if mode != "huge":
            assert answered_meanwhile > 0  # /health answered while the fetch was under way
        assert stored(asker) == {}


def test_one_fetch_lasts_at_most_two_deadlines_whatever_the_number_of_slow_peers(start_node):
    with SilentPeers(3) as silent:  # they accept connections and never answer
        asker = start_node("patient", ephemeral=True,
                           extra_args=("--artifact-timeout", "1", "--sync-interval", "300"))
        assert asker.post("/nodes/register", json={"nodes": silent.urls}).status_code == 201
        answer = asker.post("/artifacts/fetch", json={"sha256": "3" * 64}, timeout=60)
    assert answer.status_code == 502
    problems = [p["problem"] for p in answer.json()["error"]["details"]]
    assert len(problems) == 3
    assert sum("took longer than" in p for p in problems) == 2
    assert sum("not asked: the fetch's deadline (2s) had passed" in p for p in problems) == 1

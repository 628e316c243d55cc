"""Hostile clients against a live waitress node: the node answers 4xx JSON where the input is
bad, keeps answering others, and its state and chain stay as they were (and valid)."""
import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.helpers.nodes import thread_sessions

pytestmark = pytest.mark.network

FLOWER = {"sender": "slow", "sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2,
          "flower_type": "setosa"}
MEASURES = {k: FLOWER[k] for k in ("sepal_length", "sepal_width", "petal_length", "petal_width")}


def state(node):
    h = node.get("/health").json()
    return h["height"], h["tip"], h["model_hash"], h["pending"]


def raw_request(node, path, body: bytes, content_type="application/json") -> tuple[int, dict]:
    """Send a request by hand; a body the server refuses early may be cut off, as a real client's is."""
    with socket.create_connection(("127.0.0.1", node.port), timeout=30) as s:
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{node.port}\r\nContent-Type: {content_type}\r\n"
                  f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode())
        try:
            # Past a few MiB the server answers from the headers alone (and resets a sender it ignores).
            if len(body) <= 4 * 1024 * 1024:
                s.sendall(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered and closed before the whole body was sent
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, payload = data.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    assert b"content-type: application/json" in head.lower(), head
    return status, json.loads(payload)


@pytest.fixture
def node(start_node):
    n = start_node("target", difficulty=2)
    n.post("/flower/add", json={**FLOWER, "sender": "seed"})
    n.post("/mine")
    return n


CASES = [
    (
        "over-limit-by-a-little",
        "/flower/add",
        lambda: b'{"sender": "' + b"x" * (1024 * 1024) + b'"}',
        413,
        "body_too_large",
    ),
    ("over-limit-50MiB", "/flower/add", lambda: b"[" * (50 * 1024 * 1024), 413, "body_too_large"),
    ("nested-100000", "/transactions/new", lambda: b"[" * 100000 + b"]" * 100000, 400, "invalid_json"),
    ("nested-objects", "/flower/predict", lambda: b'{"a":' * 5000 + b"1" + b"}" * 5000, 400, "invalid_json"),
    (
        "duplicate-keys",
        "/flower/add",
        lambda: (
            b'{"sender":"a","sender":"b","sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2,"flower_type":"setosa"}'
        ),
        400,
        "invalid_json",
    ),
    ("non-utf8", "/flower/add", lambda: b'{"sender": "\xc3\x28\xff"}', 400, "invalid_json"),
    (
        "huge-string",
        "/flower/add",
        lambda: json.dumps({**FLOWER, "sender": "y" * 900_000}).encode(),
        400,
        "invalid_request",
    ),
    (
        "huge-array",
        "/flower/predict",
        lambda: json.dumps({**MEASURES, "sepal_length": [1.0] * 150_000}).encode(),
        400,
        "invalid_request",
    ),
    (
        "huge-number",
        "/transactions/new",
        lambda: b'{"sender":"a","recipient":"b","amount":' + b"9" * 5000 + b"}",
        400,
        "invalid_json",
    ),
    ("nan", "/flower/add", lambda: json.dumps(FLOWER).replace("5.1", "NaN").encode(), 400, "invalid_json"),
]


@pytest.mark.parametrize("name,path,make,status,code", CASES, ids=[c[0] for c in CASES])
def test_bad_bodies_get_json_4xx_and_change_nothing(node, name, path, make, status, code):
    before = state(node)
    got, body = raw_request(node, path, make())
    assert got == status, body
    assert body["error"]["code"] == code and body["error"]["message"]
    if status == 413:  # one sentence and one limit, whether the app or the server refused it
        assert body["error"]["message"].startswith(f"body must be at most {1024 * 1024} bytes"), body
    assert state(node) == before
    assert node.post("/flower/predict", json=MEASURES).status_code == 200


def test_a_garbage_request_line_gets_json_400(node):
    with socket.create_connection(("127.0.0.1", node.port), timeout=10) as s:
        s.sendall(b"\x16\x03\x01 NOT HTTP\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.0 400") and b'"code": "bad_request"' in data
    head = data.split(b"\r\n\r\n", 1)[0].lower()  # answered by waitress itself, with the same headers as the rest
    assert b"x-frame-options: deny" in head and b"x-content-type-options: nosniff" in head
    assert b"content-security-policy: " in head
    assert node.get("/health").status_code == 200


def test_a_slow_client_does_not_stop_the_node(node):
    body = json.dumps(FLOWER).encode()
    before = state(node)
    answered_while_trickling = 0
    with socket.create_connection(("127.0.0.1", node.port), timeout=60) as s:
        s.sendall(f"POST /flower/add HTTP/1.1\r\nHost: 127.0.0.1:{node.port}\r\nContent-Type: application/json\r\n"
                  f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode())
        for i in range(0, len(body), 8):  # about 4 s for the whole body
            s.sendall(body[i:i + 8])
            time.sleep(0.25)
            if node.post("/flower/predict", json=MEASURES, timeout=5).status_code == 200:
                answered_while_trickling += 1
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    assert answered_while_trickling >= 10
    assert reply.startswith(b"HTTP/1.1 201")
    assert state(node)[3] == before[3] + 1


def test_a_client_that_gives_up_half_way_changes_nothing(node):
    body = json.dumps(FLOWER).encode()
    before = state(node)
    with socket.create_connection(("127.0.0.1", node.port), timeout=10) as s:
        s.sendall(f"POST /flower/add HTTP/1.1\r\nHost: 127.0.0.1:{node.port}\r\nContent-Type: application/json\r\n"
                  f"Content-Length: {len(body)}\r\n\r\n".encode() + body[: len(body) // 2])
        time.sleep(0.5)  # the client stalls half-way, then gives up
    assert node.get("/health").status_code == 200  # answered after the half request was dropped
    assert state(node) == before


def test_hostile_and_honest_clients_at_once(node):
    session = thread_sessions()

    def honest(i):
        r = session().post(node.url + "/flower/add", json={**FLOWER, "sender": f"h{i}"}, timeout=60)
        assert r.status_code == 201
        return r.json()["transaction_id"]

    def hostile(i):
        kind = i % 4
        if kind == 0:
            r = session().post(node.url + "/flower/add", data=b"[" * 20000, timeout=60,
                               headers={"Content-Type": "application/json"})
        elif kind == 1:
            r = session().post(node.url + "/flower/add", json={**FLOWER, "sepal_length": -1}, timeout=60)
        elif kind == 2:
            r = session().post(node.url + "/transactions/new", json={"sender": "x", "recipient": "y", "amount": 10**6},
                               timeout=60)
        else:
            r = session().post(node.url + "/blocks", json={"index": 99}, timeout=60)
        assert 400 <= r.status_code < 500 and r.json()["error"]["code"]

    def mine(_):
        assert session().post(node.url + "/mine", timeout=120).status_code == 200

    with ThreadPoolExecutor(max_workers=10) as pool:
        honest_jobs = [pool.submit(honest, i) for i in range(60)]
        other = [pool.submit(hostile, i) for i in range(80)] + [pool.submit(mine, i) for i in range(4)]
        accepted = [j.result() for j in honest_jobs]
        for j in other:
            j.result()
    node.post("/mine")
    assert node.get("/chain/validate").json()["valid"] is True
    chain = node.get("/chain").json()["chain"]
    on_chain = [t["id"] for b in chain for t in b["transactions"] if t["type"] == "FLOWER_DATA"]
    assert set(accepted) <= set(on_chain) and len(on_chain) == len(set(on_chain))


def test_hundreds_of_idle_connections_lock_nobody_out(start_node):
    """500 idle TCP connections: a new client is still answered at once, and the node closes the
    idle ones by itself (after its idle timeout, 10 s)."""
    from client import Node

    node = start_node("idle", difficulty=1)
    api = Node(node.url, timeout=1)  # a deadline, not a benchmark
    idle = [socket.create_connection(("127.0.0.1", node.port), timeout=30) for _ in range(500)]
    try:
        api.health()  # a new client is answered within the deadline
        deadline = time.monotonic() + 40
        closed = 0
        for conn in idle:
            conn.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                closed += conn.recv(1) == b""
            except ConnectionResetError:
                closed += 1
            except socket.timeout:
                pass
        assert closed == len(idle)
        api.health()
    finally:
        for conn in idle:
            conn.close()

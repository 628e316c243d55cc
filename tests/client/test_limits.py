"""client.Node's total deadline, size cap and mining_busy retry, against tiny local HTTP servers
(one thread each, on a free loopback port, shut down when the test ends)."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from client import ApiError, Node, NodeError


@pytest.fixture
def serve():
    """serve(handler_class) -> base URL of a local server running it; stopped at the end."""
    servers = []
    stop = threading.Event()

    def start(handler):
        handler.stop = stop
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    stop.set()
    for server in servers:
        server.shutdown()
        server.server_close()


class Quiet(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass


class Drip(Quiet):
    """A valid-looking answer that arrives one byte at a time, never finishing in time."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        try:
            while not self.stop.wait(0.05):
                self.wfile.write(b" ")
                self.wfile.flush()
        except OSError:
            pass


class Huge(Quiet):
    """A JSON answer of 3 MiB."""

    def do_GET(self):
        body = json.dumps({"pad": "x" * (3 * 1024 * 1024)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass


class BusyOnce(Quiet):
    """503 mining_busy with Retry-After: 1 on the first request, then 200."""
    seen = []

    def do_POST(self):
        self.seen.append(self.path)
        if len(self.seen) == 1:
            code, body = 503, {"error": {"code": "mining_busy", "message": "a block is being mined"}}
        else:
            code, body = 200, {"message": "mined", "index": 1}
        data = json.dumps(body).encode()
        self.send_response(code)
        if code == 503:
            self.send_header("Retry-After", "1")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class BusyOnceEcho(Quiet):
    """503 mining_busy on the first request, then 200; keeps each request's body and content type."""
    seen: list = []

    def do_POST(self):
        size = int(self.headers.get("Content-Length") or 0)
        self.seen.append((self.headers.get("Content-Type"), self.rfile.read(size)))
        if len(self.seen) == 1:
            code, body = 503, {"error": {"code": "mining_busy", "message": "a block is being mined"}}
        else:
            code, body = 200, {"message": "ok"}
        data = json.dumps(body).encode()
        self.send_response(code)
        if code == 503:
            self.send_header("Retry-After", "1")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_PUT = do_POST


class AlwaysBusy(BusyOnce):
    def do_POST(self):
        self.seen.append(self.path)
        data = json.dumps({"error": {"code": "mining_busy", "message": "busy"}}).encode()
        self.send_response(503)
        self.send_header("Retry-After", "1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def test_a_dripping_answer_is_cut_at_the_total_deadline(serve):
    node = Node(serve(Drip), timeout=1.0)
    with pytest.raises(NodeError, match="within 1.0s") as caught:
        node.health()
    assert not isinstance(caught.value, ApiError)


class HeadDrip(Quiet):
    """An answer whose status line and headers arrive one line every 0.3 s (each well within a
    read timeout of 1 s), 40 lines in all, then a small JSON body."""
    lines_sent = []

    def do_GET(self):
        try:
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            for i in range(40):
                if self.stop.wait(0.3):
                    return
                self.wfile.write(b"X-Pad-%d: x\r\n" % i)
                self.wfile.flush()
                self.lines_sent.append(i)
            body = b'{"status": "ok"}'
            self.wfile.write(b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        except OSError:
            pass


def test_an_answer_whose_headers_drip_is_cut_at_the_total_deadline(serve):
    node = Node(serve(HeadDrip), timeout=1.0)
    with pytest.raises(NodeError, match="within 1.0s") as caught:
        node.call("GET", "/health")
    assert not isinstance(caught.value, ApiError)
    assert len(HeadDrip.lines_sent) < 40  # the call ended while the server was still sending its head


def test_an_answer_over_the_size_cap_is_refused(serve):
    url = serve(Huge)
    with pytest.raises(NodeError, match="larger than 1048576 bytes"):
        Node(url, timeout=20, max_bytes=1024 * 1024).health()
    assert len(Node(url, timeout=20).call("GET", "/health")["pad"]) == 3 * 1024 * 1024  # under the 16 MiB default


def test_an_answer_without_the_routes_fields_is_a_node_error_naming_them(serve):
    """The typed methods check the answer's shape: {"pad": ...} is no Health."""
    with pytest.raises(NodeError, match=r"GET /health: the answer is not a Health \(status: Field required") as caught:
        Node(serve(Huge), timeout=20).health()
    assert not isinstance(caught.value, ApiError)


def test_mining_busy_is_retried_after_retry_after(serve):
    BusyOnce.seen = []
    assert Node(serve(BusyOnce), timeout=20).call("POST", "/mine") == {"message": "mined", "index": 1}
    assert BusyOnce.seen == ["/mine", "/mine"]


def test_a_mining_busy_retry_sends_the_same_json_body(serve):
    """The retry resends the caller's body, never the 503 answer it just read."""
    BusyOnceEcho.seen = []
    body = {"sender": "a1" * 20, "recipient": "b2" * 20, "amount": 3}
    assert Node(serve(BusyOnceEcho), timeout=20).call("POST", "/transactions/new", body) == {"message": "ok"}
    assert len(BusyOnceEcho.seen) == 2
    assert BusyOnceEcho.seen[1] == BusyOnceEcho.seen[0]
    assert BusyOnceEcho.seen[0][0] == "application/json" and json.loads(BusyOnceEcho.seen[0][1]) == body


def test_a_mining_busy_retry_sends_the_same_raw_bytes(serve):
    BusyOnceEcho.seen = []
    assert Node(serve(BusyOnceEcho), timeout=20).call("PUT", "/artifacts", data=b"rows") == {"message": "ok"}
    assert BusyOnceEcho.seen == [("application/octet-stream", b"rows")] * 2


def test_mining_busy_retries_are_bounded(serve):
    AlwaysBusy.seen = []
    with pytest.raises(ApiError) as caught:
        Node(serve(AlwaysBusy), timeout=20, retries=1).mine()
    assert (caught.value.status, caught.value.code) == (503, "mining_busy")
    assert AlwaysBusy.seen == ["/mine", "/mine"]


class ClosesTheSecondRequest(Quiet):
    """Keep-alive, but the second request is met by the connection closing, unanswered: what a
    node's idle timeout does to a kept-alive connection that is reused at that very moment."""
    protocol_version = "HTTP/1.1"
    seen: list = []

    def answer(self):
        self.seen.append(self.command)
        if len(self.seen) == 2:
            self.close_connection = True
            return
        data = json.dumps({"message": "ok", "n": len(self.seen)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = answer


def test_a_get_on_a_connection_closed_under_it_is_sent_again_once(serve):
    ClosesTheSecondRequest.seen = []
    node = Node(serve(ClosesTheSecondRequest), timeout=20)
    assert node.call("GET", "/health")["n"] == 1
    assert node.call("GET", "/health")["n"] == 3  # the second was dropped; sent again on a new connection
    assert ClosesTheSecondRequest.seen == ["GET", "GET", "GET"]


def test_a_post_on_a_connection_closed_under_it_is_not_sent_again(serve):
    """A POST may have been acted on before the connection closed: the caller decides."""
    ClosesTheSecondRequest.seen = []
    node = Node(serve(ClosesTheSecondRequest), timeout=20)
    assert node.call("POST", "/mine")["n"] == 1
    with pytest.raises(NodeError, match="cannot reach the node"):
        node.call("POST", "/mine")
    assert ClosesTheSecondRequest.seen == ["POST", "POST"]


class LateCut(Quiet):
    """Keep-alive. GET: an answer whose head drips (a line every 0.1 s) until the test says the
    watchdog has begun its cut, then ends at once. POST: held until the cut is over (or 5 s)."""
    protocol_version = "HTTP/1.1"
    cutting = threading.Event()
    second_sent = threading.Event()
    cut_done = threading.Event()

    def do_GET(self):
        try:
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            while not self.cutting.wait(0.1):
                if self.stop.is_set():
                    return
                self.wfile.write(b"X-Pad: x\r\n")
                self.wfile.flush()
            body = b'{"n": 1}'
            self.wfile.write(b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            self.wfile.flush()
        except OSError:
            pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.second_sent.set()
        self.cut_done.wait(5)
        body = b'{"n": 2}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_a_watchdog_cut_never_lands_on_the_next_call_on_the_same_connection(serve, monkeypatch):
    """The watchdog's thread may begin its cut just as the call ends; the call's connection then
    goes back to the pool and the next call reuses it. The cut is held mid-way here (the one way
    to order two threads deterministically) until that next call is under way: it must not be cut."""
    from client import watchdog

    real_shut = watchdog._shut

    def held_shut(conn):
        LateCut.cutting.set()
        LateCut.second_sent.wait(2)  # the next call is under way (or it cannot be: the call waits)
        real_shut(conn)
        LateCut.cut_done.set()

    monkeypatch.setattr(watchdog, "_shut", held_shut)
    node = Node(serve(LateCut), timeout=0.5)
    with pytest.raises(NodeError, match="within 0.5s"):
        node.call("GET", "/health")
    node.timeout = 10.0
    assert node.call("POST", "/mine") == {"n": 2}  # not cut by the earlier call's watchdog

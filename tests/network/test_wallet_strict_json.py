"""The wallet reads a node's answers with the one strict parser (PROTOCOL.md "Strict JSON"): an
answer with a duplicate key is refused, not read as its last value."""
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.helpers.nodes import ROOT

pytestmark = pytest.mark.network


class _Answer(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("body,accepted", [
    (b'{"address": "bob", "balance": 3, "available": 3}', True),
    (b'{"address": "bob", "balance": 3, "available": 3, "balance": 1000000}', False),
])
def test_the_wallet_refuses_an_answer_with_a_duplicate_key(body, accepted):
    handler = type("Answer", (_Answer,), {"body": body})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)  # a free port, picked by the OS
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        run = subprocess.run([sys.executable, "-m", "client", "balance", "bob", "--node", url], cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    if accepted:
        assert run.returncode == 0 and "3" in run.stdout, run.stdout + run.stderr
    else:
        assert run.returncode == 1 and "duplicate key" in run.stderr and "1000000" not in run.stdout, \
            run.stdout + run.stderr

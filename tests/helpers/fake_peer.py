"""A small HTTP server that plays a dishonest or broken peer, one behaviour at a time."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakePeer:
    """``mode`` picks the behaviour; ``chain`` is what it serves as its chain when it serves one."""

    def __init__(self) -> None:
        self.mode = "honest"
        self.chain: list[dict] = []
        self.claimed_height = 1000
        self.hits: list[str] = []
        self.redirect_to = ""
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status, body: bytes, ctype="application/json"):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                peer.hits.append(f"POST {self.path}")
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self._send(201, b'{"message": "ok"}')

            def do_GET(self):
                peer.hits.append(f"GET {self.path}")
                if self.path == "/health":
                    return self._send(200, json.dumps({"status": "ok", "node_id": "fake", "height": peer.claimed_height,
                                                       "tip": "f" * 64}).encode())
                mode = peer.mode
                if mode == "silent":
                    time.sleep(30)
                    return
                if mode == "garbage":
                    return self._send(200, bytes(range(256)) * 4)
                if mode == "html":
                    return self._send(200, b"<html><body><h1>It works!</h1></body></html>", "text/html")
                if mode == "error500":
                    return self._send(500, b'{"error": "boom"}')
                if mode == "redirect":
                    self.send_response(302)
                    self.send_header("Location", peer.redirect_to + "/chain")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if mode == "huge":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    chunk = b" " * 65536
                    try:
                        for _ in range(2048):  # up to 128 MiB, over the 64 MiB cap
                            self.wfile.write(chunk)
                    except OSError:
                        pass
                    return
                if mode == "trickle":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    try:
                        for _ in range(120):
                            self.wfile.write(b" ")
                            self.wfile.flush()
                            time.sleep(0.25)
                    except OSError:
                        pass
                    return
                if mode == "lie-length":
                    return self._send(200, json.dumps({"chain": peer.chain[:1], "length": 1000}).encode())
                return self._send(200, json.dumps({"chain": peer.chain, "length": len(peer.chain)}).encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakePeer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

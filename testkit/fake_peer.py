"""A small HTTP server that plays a peer speaking PROTOCOL.md's peer endpoints, honest or dishonest
or broken, one behaviour at a time."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SECRET = "tok-5ecret-0f-an-internal-service"
SECRET_ANSWER = {"access_token": SECRET, "role_grant": "admin-of-everything", "session_user": "root-operator"}
HEADER_KEYS = ("index", "timestamp_ms", "previous_hash", "difficulty", "merkle_root", "nonce", "hash")


class FakePeer:
    """``mode`` picks the behaviour; ``chain`` (block dicts from genesis) is what it serves as its chain.

    Modes that serve the chain: ``honest``; ``lie-height`` (its tip claims ``claimed_height``);
    ``withhold-bodies`` (headers, but 404 for every body); ``garbage-after`` (headers whose
    proof of work is broken after the first ``honest_headers``). Broken modes answer every GET the
    same way: ``silent``, ``garbage``, ``html``, ``error500``, ``redirect``, ``huge``, ``trickle``
    (a body of one byte every 0.25 s), ``drip-headers`` (the status line and headers one byte
    every 0.25 s), ``tiny-objects`` (an honest tip, then 1 MB answers of 340,000 empty objects),
    ``secret`` (an internal JSON service: ``SECRET_ANSWER`` at every path), ``secret-dupkey`` (the
    same with a repeated key), ``secret-headers`` (a list of one such object as headers).
    ``path_modes`` gives one path (``/headers``) a mode of its own.
    """

    def __init__(self) -> None:
        self.mode = "honest"
        self.chain: list[dict] = []
        self.pending: list[dict] = []
        self.claimed_height = 1000
        self.overclaim = False  # in any serving mode, the tip claims ``claimed_height`` (with a made-up hash)
        self.work = None  # protocol 3: the chain work its tip claims (a decimal string), if set
        self.honest_headers = 1000
        self.hits: list[str] = []
        self.redirect_to = ""
        self.path_modes: dict[str, str] = {}
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

            def _json(self, value, status=200):
                self._send(status, json.dumps(value).encode())

            def do_POST(self):
                peer.hits.append(f"POST {self.path}")
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self._send(201, b'{"message": "ok"}')

            def do_GET(self):
                peer.hits.append(f"GET {self.path}")
                mode = peer.path_modes.get(urlsplit(self.path).path, peer.mode)
                try:
                    if self._broken(mode):
                        return
                    self._serve(mode)
                except OSError:
                    pass

            def _broken(self, mode) -> bool:
                if mode == "silent":
                    time.sleep(30)
                elif mode == "garbage":
                    self._send(200, bytes(range(256)) * 4)
                elif mode == "html":
                    self._send(200, b"<html><body><h1>It works!</h1></body></html>", "text/html")
                elif mode == "secret":
                    self._json(SECRET_ANSWER)
                elif mode == "secret-headers":
                    self._json({"headers": [SECRET_ANSWER]})
                elif mode == "secret-dupkey":
                    self._send(200, f'{{"access_token": "{SECRET}", "access_token": "{SECRET}"}}'.encode())
                elif mode == "error500":
                    self._send(500, b'{"error": "boom"}')
                elif mode == "redirect":
                    self.send_response(302)
                    self.send_header("Location", peer.redirect_to + urlsplit(self.path).path)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif mode == "huge":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    for _ in range(2048):  # up to 128 MiB, over every cap
                        self.wfile.write(b" " * 65536)
                elif mode == "tiny-objects" and not self.path.startswith("/tip"):
                    self._send(200, b'{"headers":[' + b"{}," * (1000 * 1024 // 3) + b"{}]}")  # under 1 MiB
                elif mode == "trickle":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    for _ in range(120):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(0.25)
                elif mode == "drip-headers":
                    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 200:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(0.25)
                else:
                    return False
                return True

            def _serve(self, mode):
                url = urlsplit(self.path)
                args = {k: v[-1] for k, v in parse_qs(url.query).items()}
                chain = peer.chain
                tip = chain[-1]
                if url.path == "/health":
                    return self._json({"status": "ok", "node_id": "fake", "height": peer.claimed_height,
                                       "tip": "f" * 64})
                if url.path == "/tip":
                    lying = mode == "lie-height" or peer.overclaim
                    height = peer.claimed_height if lying else tip["index"]
                    tip_hash = "e" * 64 if lying else tip["hash"]
                    answer = {"height": height, "hash": tip_hash, "genesis": chain[0]["hash"]}
                    return self._json(answer if peer.work is None else {**answer, "work": peer.work})
                if url.path == "/headers":
                    locator = [h for h in args.get("locator", "").split(",") if h]
                    heights = {b["hash"]: b["index"] for b in chain}
                    start = next((heights[h] + 1 for h in locator if h in heights), 1)
                    limit = min(2000, int(args.get("limit", 2000)))
                    headers = [{k: b[k] for k in HEADER_KEYS} for b in chain[start:start + limit]]
                    if mode == "garbage-after":
                        for h in headers:
                            if h["index"] > peer.honest_headers:
                                h["nonce"] = h["nonce"] + 1  # its hash no longer matches: no proof of work
                    return self._json({"headers": headers})
                if url.path == "/blocks":
                    if mode == "withhold-bodies":
                        return self._json({"error": {"code": "not_found", "message": "no"}}, 404)
                    start, limit = int(args.get("from", 0)), min(500, int(args.get("limit", 500)))
                    return self._json({"blocks": chain[start:start + limit]})
                if url.path.startswith("/block/"):
                    key = url.path[len("/block/"):]
                    found = [b for b in chain if b["hash"] == key or str(b["index"]) == key]
                    return self._json(found[0]) if found else self._json({"error": {}}, 404)
                if url.path == "/transactions/pending":
                    return self._json({"transactions": peer.pending, "count": len(peer.pending), "next": None})
                if url.path == "/chain":
                    return self._json({"chain": chain, "length": len(chain)})
                return self._json({"error": {"code": "not_found"}}, 404)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def count(self, prefix: str) -> int:
        return sum(1 for hit in list(self.hits) if hit.startswith(prefix))

    def __enter__(self) -> "FakePeer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class SilentPeers:
    """``count`` loopback sockets that listen and never accept: a connection completes (the kernel
    does the handshake), then nothing is read or written, so every call lasts its whole deadline."""

    def __init__(self, count: int) -> None:
        import socket
        self.socks = []
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            s.listen(512)
            self.socks.append(s)
        self.urls = [f"http://127.0.0.1:{s.getsockname()[1]}" for s in self.socks]

    def requests(self) -> list[list[str]]:
        """The request lines (``GET /tip``) each socket has received since the last call, taken off
        its queue: call it once the callers have given up, since it answers them (by closing)."""
        out = []
        for s in self.socks:
            s.setblocking(False)
            lines = []
            while True:
                try:
                    conn, _ = s.accept()
                except BlockingIOError:
                    break
                conn.settimeout(1)
                try:
                    head = conn.recv(4096).split(b"\r\n", 1)[0].decode("latin-1")
                except OSError:
                    head = ""
                conn.close()
                lines.append(" ".join(head.split(" ")[:2]))
            out.append(lines)
        return out

    def close(self) -> None:
        for s in self.socks:
            s.close()

    def __enter__(self) -> "SilentPeers":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

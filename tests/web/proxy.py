"""A proxy in front of a real node for the browser tests: it serves the page and the node's answers
unchanged, but holds the answers to the paths that start with ``gate`` until the test calls
``release()``: a slow network, on cue, without any fixed sleep."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests


class GatedProxy:
    def __init__(self, upstream: str) -> None:
        self.gate: tuple[str, ...] = ()
        self.opened = threading.Event()
        self.opened.set()
        self.held = threading.Semaphore(0)  # one release per request that waited at the gate
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _forward(self, method: str) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) if method == "POST" else None
                if proxy.gate and self.path.startswith(proxy.gate):
                    proxy.held.release()
                    proxy.opened.wait(60)
                r = requests.request(method, upstream + self.path, data=body, timeout=60, allow_redirects=False,
                                     headers={"Content-Type": self.headers.get("Content-Type", "application/json")})
                self.send_response(r.status_code)
                self.send_header("Content-Type", r.headers.get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(r.content)))
                self.end_headers()
                self.wfile.write(r.content)

            def do_GET(self):
                self._forward("GET")

            def do_POST(self):
                self._forward("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def hold(self, *prefixes: str) -> None:
        """From now on, answers to paths starting with one of ``prefixes`` wait for ``release()``."""
        self.held = threading.Semaphore(0)
        self.opened.clear()
        self.gate = prefixes

    def wait_held(self, timeout: float = 20.0) -> None:
        """Returns once a request is waiting at the gate."""
        assert self.held.acquire(timeout=timeout), f"no request for {self.gate} within {timeout}s"

    def release(self) -> None:
        self.gate = ()
        self.opened.set()

    def close(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()

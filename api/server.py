"""Serving a node with waitress: several threads, a body limit, clean shutdown on SIGTERM."""
from __future__ import annotations

import json
import logging
import signal

from flask import Flask

THREADS = 8

log = logging.getLogger("node")


def _json_errors() -> None:
    """Make waitress's own error answers (a body far over the limit, a malformed request line,
    headers too large) use the node's JSON error shape instead of plain text.

    Waitress refuses such requests before the Flask app sees them and has no hook for the body
    it sends, so its ``Error.to_response`` is replaced here, once. Pinned waitress version:
    requirements.txt; tests/network/test_hostile_clients.py checks the result.
    """
    from waitress import utilities

    if getattr(utilities.Error, "_iris_json", False):
        return

    def to_response(self, ident=None):
        code = {400: "bad_request", 413: "body_too_large", 431: "headers_too_large"}.get(
            self.code, self.reason.lower().replace(" ", "_"))
        message = f"{self.reason}: {self.body}".strip().rstrip(":")
        body = json.dumps({"error": {"code": code, "message": message}}).encode("utf-8")
        return f"{self.code} {self.reason}", [("Content-Type", "application/json")], body

    utilities.Error.to_response = to_response
    utilities.Error._iris_json = True


def serve(app: Flask, host: str, port: int) -> None:
    import waitress

    _json_errors()

    def _stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    service = app.extensions["node"]
    try:
        waitress.serve(app, host=host, port=port, threads=THREADS, ident="iris-chain",
                       max_request_body_size=app.config["MAX_CONTENT_LENGTH"] + 65536,
                       channel_timeout=30, _quiet=True)
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        service.close()
        log.info("stopped; chain and pending pool are on disk")

"""Serving a node with waitress: several threads, a body limit, clean shutdown on SIGTERM."""
from __future__ import annotations

import json
import logging
from pathlib import Path

from flask import Flask

from .errors import PortInUse
from .guard import SECURITY_HEADERS

THREADS = 8
CONNECTION_LIMIT = 1000  # open connections; the 8 threads serve the ones with a request
IDLE_TIMEOUT = 10        # seconds before an idle connection is closed
CLEANUP_INTERVAL = 2     # how often idle connections are looked for

log = logging.getLogger("node")


def json_error(error, max_body: int | None = None, path: str = "", artifact_max: int | None = None
               ) -> tuple[str, list, bytes]:
    """A waitress error (a body far over the limit, a malformed request line, headers too large)
    in the node's JSON error shape: (status line, headers, body). A body over the limit gets the
    same sentence as the one the app gives, naming the app's limit (waitress's own has slack):
    on /artifacts, the artifact cap."""
    code = {400: "bad_request", 413: "body_too_large", 431: "headers_too_large"}.get(
        error.code, error.reason.lower().replace(" ", "_"))
    if error.code == 413 and artifact_max is not None and path.rstrip("/") == "/artifacts":
        code = "artifact_too_large"
        message = (f"an artifact must be at most {artifact_max} bytes (--artifact-max-bytes); refused from its "
                   "Content-Length, before it was read")
    elif error.code == 413 and max_body is not None:
        message = f"body must be at most {max_body} bytes; refused from its Content-Length, before it was read"
    else:
        message = f"{error.reason}: {error.body}".strip().rstrip(":")
    body = json.dumps({"error": {"code": code, "message": message}}).encode("utf-8")
    headers = [("Content-Type", "application/json"), *SECURITY_HEADERS.items()]  # as on every other answer
    return f"{error.code} {error.reason}", headers, body


def _json_error_channel(max_body: int, artifact_max: int | None = None):
    """The channel class of our server only: its error task answers in JSON. Waitress refuses
    such requests before the Flask app sees them, and the error task is its hook for that
    answer (pinned waitress: requirements.txt; tests/network/test_hostile_clients.py checks it)."""
    from waitress.channel import HTTPChannel
    from waitress.task import ErrorTask

    class JSONErrorTask(ErrorTask):
        def execute(self):
            path = getattr(self.request, "path", "") or ""
            status, headers, body = json_error(self.request.error, max_body, path, artifact_max)
            self.status = status
            self.response_headers.extend(headers)
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)

    class JSONErrorChannel(HTTPChannel):
        error_task_class = JSONErrorTask

    return JSONErrorChannel


def _raise_file_limit(wanted: int = 4096) -> None:
    """Room for CONNECTION_LIMIT sockets besides the data files and the miners' pipes."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        if soft != resource.RLIM_INFINITY and soft < target:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ImportError, ValueError, OSError):
        pass  # keep the limit we were given


def bind(app: Flask, host: str, port: int):
    """A waitress server bound to ``host:port``; PortInUse (one line for the user) if it cannot be.

    Idle connections are closed after IDLE_TIMEOUT seconds and up to CONNECTION_LIMIT may be open
    (poll(), not select(): no 1024-descriptor ceiling), so a crowd of idle clients cannot lock
    others out.
    """
    import errno

    import waitress.server

    _raise_file_limit()
    store = app.extensions.get("artifacts")
    artifact_max = store.max_bytes if store is not None else None
    largest = max(app.config["MAX_CONTENT_LENGTH"], artifact_max or 0)  # PUT /artifacts: its own limit
    try:
        server = waitress.server.create_server(
            app, host=host, port=port, threads=THREADS, ident="iris-chain",
            max_request_body_size=largest + 65536, connection_limit=CONNECTION_LIMIT,
            channel_timeout=IDLE_TIMEOUT, cleanup_interval=CLEANUP_INTERVAL, asyncore_use_poll=True)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(f"port {port} is in use; choose another with --port") from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise PortInUse(
                f"cannot listen on {host}: no such address on this machine; choose another with --host"
            ) from None
        raise PortInUse(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    server.channel_class = _json_error_channel(app.config["MAX_CONTENT_LENGTH"], artifact_max)
    return server


def serve(app: Flask, server) -> None:
    """Run ``server`` (from ``bind``) until KeyboardInterrupt (app.py's SIGINT/SIGTERM handler
    raises it), then close the node."""
    service = app.extensions["node"]
    try:
        server.run()
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        service.close()
        if service.data_dir is None:
            log.info("stopped (--ephemeral: nothing was kept)")
        else:
            log.info("stopped; chain, pending pool and snapshot are in %s", Path(service.data_dir).absolute())

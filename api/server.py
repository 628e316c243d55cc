"""Serving a node with waitress: several threads, a body limit, clean shutdown on SIGTERM."""
from __future__ import annotations

import logging
import signal

from flask import Flask

THREADS = 8

log = logging.getLogger("node")


def serve(app: Flask, host: str, port: int) -> None:
    import waitress

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

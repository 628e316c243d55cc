"""Every failure the node layer (``api``) can report, one class per failure under one root, and
the one place where exceptions of ``blockchain`` and ``ml`` are mapped to HTTP: every error becomes
``{"error": {"code", "message"}}`` with the right status.

The tree, after ``blockchain/errors.py``:

- ``NodeError``: the root of every error raised by ``api``;
  - ``ApiError``: an answer to a client, with its HTTP status;
  - ``PeerURLError``: a peer URL that is not acceptable (also a ``ValueError``);
  - ``PeerFailure``: what a peer did wrong, the root of the two below;
    - ``PeerError``: a peer gave no usable answer (it is unreachable, slow, or over a limit);
    - ``Misbehaved``: a peer served something invalid, or claimed more than it proved;
  - ``ResolveBusy``: too many requests already wait for a resolve round;
  - ``PortInUse``: the node cannot listen where it was asked to (also an ``OSError``).

Each class is defined here, so that this module imports no other module of ``api``; the modules
that raise them (``peers``, ``headers_sync``, ``peer_urls``, ``rounds``, ``server``) import them
from here, and their names stay importable from those modules.
"""
from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from blockchain import errors as chain_errors
from blockchain.chain import MiningAborted, MiningBusy
from ml import ModelError

log = logging.getLogger("api")


class NodeError(Exception):
    """Root of every error raised by the ``api`` package."""

    code = "node_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ApiError(NodeError):
    """An answer to a client: its HTTP status, its code and what was wrong."""

    def __init__(self, status: int, code: str, message: str, details=None):
        super().__init__(message)
        self.status, self.code, self.details = status, code, details


class PeerURLError(NodeError, ValueError):
    """A peer URL that a node does not accept (DESIGN.md); the message names it."""

    code = "invalid_peer"


class PeerFailure(NodeError):
    """Root of what a peer did wrong: it did not answer usably, or it answered something invalid."""

    code = "peer_failure"


class PeerError(PeerFailure):
    """A peer did not give a usable answer; the message says what happened."""

    code = "peer_error"


class InvalidAnswer(PeerError):
    """The peer answered, but not with an answer: a body that is not strict JSON (an HTML page, say),
    one over the size or value caps, or a redirect. Still a ``PeerError`` for every caller that only
    needs "no usable answer"; a poll of the peer's tip backs it off for it ("served something
    invalid"), where silence or a refused connection makes it ``unreachable``."""

    code = "peer_invalid_answer"


class Misbehaved(PeerFailure):
    """The peer served something invalid or claimed more than it proved; the message says what."""

    code = "peer_misbehaved"


class ResolveBusy(NodeError):
    """Too many requests already wait for a resolve round."""

    code = "resolve_busy"


class PortInUse(NodeError, OSError):
    """The port cannot be bound; the message says what to do."""

    code = "port_in_use"


# Most specific first: the first matching class decides the status.
_STATUS = [
    (chain_errors.UnknownTransaction, 404),
    (chain_errors.UnknownBlock, 404),
    (chain_errors.DuplicateTransaction, 409),
    (chain_errors.BlockConflict, 409),
    (chain_errors.ValidationError, 400),
    (chain_errors.PoolFull, 503),
    (chain_errors.StorageFull, 507),
    (chain_errors.StorageBusy, 503),
    (MiningAborted, 503),
    (MiningBusy, 503),
]
RETRY_AFTER_SECONDS = 1

_HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "body_too_large",
               415: "unsupported_media_type"}


def error_response(status: int, code: str, message: str, details=None, **extra):
    body = {"error": {"code": code, "message": message, **extra}}
    if details:
        body["error"]["details"] = details
    return jsonify(body), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.details)

    @app.errorhandler(chain_errors.BlockchainError)
    def _chain_error(exc: chain_errors.BlockchainError):
        for cls, status in _STATUS:
            if isinstance(exc, cls):
                extra = {k: v for k, v in (("tx_id", exc.tx_id), ("block_index", exc.block_index)) if v is not None}
                response, status = error_response(status, exc.code, exc.message, **extra)
                if status == 503:
                    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
                return response, status
        log.exception("unexpected ledger error")
        return error_response(500, exc.code, exc.message)

    @app.errorhandler(ModelError)
    def _model_error(exc: ModelError):
        return error_response(400, exc.code, str(exc))

    @app.errorhandler(PeerURLError)
    def _peer_url_error(exc: PeerURLError):
        return error_response(400, exc.code, str(exc))

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        allowed = sorted(getattr(exc, "valid_methods", None) or [])  # set on a 405 (MethodNotAllowed)
        code = _HTTP_CODES.get(status, exc.name.lower().replace(" ", "_"))
        if status == 413:
            message = f"body must be at most {app.config['MAX_CONTENT_LENGTH']} bytes"
        elif status == 405:
            message = f"method must be one of {', '.join(allowed)} for this path"
        elif status == 404:
            message = "no such route; see README.md for the API"
        else:
            message = exc.description or exc.name
        response, status = error_response(status, code, message)
        if status == 405 and allowed:
            response.headers["Allow"] = ", ".join(allowed)
        return response, status

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return error_response(500, "internal_error", "the node failed to answer; see its log")


def startup_error_message(exc: Exception):
    """A one-line reason for errors a person can fix when starting a node; None for bugs."""
    from ml import BaseDataError

    if isinstance(exc, (chain_errors.StorageError, BaseDataError, PeerURLError)):
        return str(exc)
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}: {exc.filename or ''}".strip()
    return None

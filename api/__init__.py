"""Flask: the application factory, routes, JSON errors, request schemas, the node service."""
from __future__ import annotations

import logging
import time
from typing import Any, Mapping, Union, cast

from werkzeug.routing import PathConverter
from flask import Flask, g, request
from flask.json.provider import DefaultJSONProvider

from . import guard
from .artifact_fetch import node_store
from .config import NodeConfig
from .errors import register_error_handlers
from .logsafe import clean
from .routes import blueprints
from .service import NodeService

log = logging.getLogger("api")


class PeerURLConverter(PathConverter):
    """A peer's URL in a path (``DELETE /nodes/<peer:url>``): it starts with http: or https:, so
    that /nodes/register and /nodes/resolve are never taken for one."""

    regex = r"https?:.*"
    part_isolating = False  # it spans slashes


def create_app(config: Union[NodeConfig, Mapping[str, Any], None] = None) -> Flask:
    """Build a node's Flask app. ``config`` is a NodeConfig or a dict of its fields."""
    if config is None:
        config = NodeConfig()
    elif not isinstance(config, NodeConfig):
        config = NodeConfig.from_mapping(dict(config))
    app = Flask(__name__)
    app.url_map.converters["peer"] = PeerURLConverter
    app.config["MAX_CONTENT_LENGTH"] = config.max_body
    cast(DefaultJSONProvider, app.json).sort_keys = False  # Flask's default provider
    app.extensions["node"] = NodeService(config)
    app.extensions["artifacts"] = node_store(app.extensions["node"])
    register_error_handlers(app)
    guard.install(app, config.host, config.advertise, config.allow_hosts)
    for bp in blueprints():
        app.register_blueprint(bp)

    @app.before_request
    def _start_timer():
        g.started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        """Refused requests are logged with their code and reason; the rest (peers' polls among
        them, every 2 s) only at debug level, so that the log shows what happened."""
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        if response.status_code >= 400 and response.is_json:
            error = (response.get_json(silent=True) or {}).get("error", {})
            log.info("refused %s %s: %d %s: %s", clean(request.method), clean(request.path), response.status_code,
                     clean(error.get("code", "?")), clean(error.get("message", "")))
        else:
            log.debug("%s %s %d %.1fms", clean(request.method), clean(request.path), response.status_code, elapsed)
        return response

    return app


__all__ = ["create_app", "NodeConfig", "NodeService"]

"""The OpenAPI 3.1 document, generated from the app's routes and the schemas they declare.

Each view is decorated with ``@doc(...)``; its ``body`` model is the very schema ``parse()``
validates the request with, so the document and the checks cannot drift apart.
"""
from __future__ import annotations

import re
from typing import Any, Optional

from flask import Flask
from pydantic import BaseModel

from .config import DEFAULT_MAX_BODY
from .guard import SAFE_METHODS, STATE_CHANGING_PATHS
from .responses import ErrorOut

_REF = "#/components/schemas/{model}"
_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def doc(summary: str, body: Optional[type[BaseModel]] = None, ok: Optional[dict[int, type[BaseModel]]] = None,
        errors: tuple[int, ...] = (), body_schema: Optional[type[BaseModel]] = None,
        query: Optional[dict[str, dict]] = None, html: bool = False, path: Optional[dict[str, dict]] = None,
        raw_body: bool = False, raw_ok: Optional[dict[int, str]] = None,
        raw_headers: Optional[dict[str, dict]] = None, error_text: Optional[dict[int, str]] = None):
    """Describe a route. ``body`` is validated by ``parse()``; ``body_schema`` only documents a
    body that another parser checks (the protocol parsers of ``/blocks`` and ``/transactions``).
    ``query`` maps each query parameter to its JSON schema (the same bounds the route checks);
    ``path`` does so for path parameters (by default a non-empty string); ``html`` marks a page of
    the dashboard (200 text/html). ``raw_body``: the body is bytes (application/octet-stream);
    ``raw_ok`` maps statuses answered with bytes to their description, ``raw_headers`` names the
    headers such answers carry; ``error_text`` words an error status for this route."""
    def wrap(view):
        view.openapi = {"summary": summary, "body": body, "body_schema": body_schema or body, "ok": ok or {},
                        "errors": errors, "doc": (view.__doc__ or "").strip(), "query": query or {}, "html": html,
                        "path": path or {}, "raw_body": raw_body, "raw_ok": raw_ok or {},
                        "raw_headers": raw_headers or {}, "error_text": error_text or {}}
        return view
    return wrap


def whole(least: int, most: Optional[int] = None, default: Optional[int] = None) -> dict:
    """The schema of a whole-number query parameter, as ``whole_number_arg`` checks it."""
    schema: dict[str, Any] = {"type": "integer", "minimum": least}
    if most is not None:
        schema["maximum"] = most
    if default is not None:
        schema["default"] = default
    return schema


def _schema(model: type[BaseModel], components: dict) -> dict:
    schema = model.model_json_schema(ref_template=_REF)
    for name, sub in schema.pop("$defs", {}).items():
        components[name] = sub
    components[model.__name__] = schema
    return {"$ref": _REF.format(model=model.__name__)}


def _error(description: str, components: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _schema(ErrorOut, components)}}}


ERROR_TEXT = {400: "bad input: the error names the field and what is expected", 404: "not found",
              409: "duplicate or conflict", 413: f"body over the limit ({DEFAULT_MAX_BODY} bytes by default)",
              415: "the body is not sent as application/json", 503: "the node cannot take it now",
              403: "a browser page of another site asked for a state change (cross_site_request)",
              421: "the Host header names a host this node does not serve (host_not_allowed)",
              507: "the disk holding the node's data is full (storage_full); reads go on",
              502: "no peer gave a usable answer; the error lists each peer's problem"}


# One group (tag) per blueprint on /docs, in this order, so that routes are not all in "default".
TAGS = {
    "flower": ("flowers", "Contribute measurements, predict, claim or report deposits, see a claim's judgement."),
    "model": ("model", "What the model is, how it scores, how it drifted and how it got there."),
    "transactions": ("transactions", "Submit a transaction; read the pending pool."),
    "jobs": ("jobs", "Training jobs: post one, commit, reveal the test set and models, read jobs, predict with "
                     "the winner."),
    "chain": ("chain", "Mine a block; read the chain page by page."),
    "audit": ("audit", "Validate the chain, Merkle proofs, contributions and transfers of an address."),
    "network": ("network", "Peers (register, list, forget, resolve) and what peers push: blocks, transactions."),
    "sync": ("peer protocol", "What nodes ask each other: tips, headers, blocks (PROTOCOL.md)."),
    "status": ("status", "Health, balances and this OpenAPI document."),
    "artifacts": ("artifacts", "Files kept by their SHA-256 (datasets of training jobs): store, read, list, fetch "
                               "from peers."),
    "web": ("dashboard", "The dashboard's pages and this documentation (HTML)."),
}


def build_openapi(app: Flask) -> dict[str, Any]:
    components: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        meta = getattr(view, "openapi", None)
        if meta is None:
            continue
        path = _PARAM.sub(lambda m: "{" + m.group(2) + "}", rule.rule)
        params = [{"name": m.group(2), "in": "path", "required": True,
                   "schema": meta["path"].get(m.group(2), {"type": "string", "minLength": 1})}
                  for m in _PARAM.finditer(rule.rule)]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            op: dict[str, Any] = {
                "summary": meta["summary"],
                "operationId": f"{method.lower()}_{rule.endpoint.replace('.', '_')}",
            }
            group = rule.endpoint.split(".", 1)[0]
            if group in TAGS:
                op["tags"] = [TAGS[group][0]]
            if meta["doc"]:
                op["description"] = meta["doc"]
            query = [{"name": name, "in": "query", "required": False, "schema": schema}
                     for name, schema in meta["query"].items()]
            if params or query:
                op["parameters"] = params + query
            responses: dict[str, Any] = {}
            if meta["html"]:
                responses["200"] = {
                    "description": "a page of the dashboard",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                }
            for status, text in meta["raw_ok"].items():
                responses[str(status)] = {"description": text, "content": {"application/octet-stream": {
                    "schema": {"type": "string", "format": "binary"}}}}
                if meta["raw_headers"]:
                    responses[str(status)]["headers"] = {name: {"schema": schema}
                                                         for name, schema in meta["raw_headers"].items()}
            for status, model in meta["ok"].items():
                responses[str(status)] = {"description": model.__doc__.strip() if model.__doc__ else "success",
                                          "content": {"application/json": {"schema": _schema(model, components)}}}
            errors = set(meta["errors"]) | {405, 421}
            if method not in SAFE_METHODS or rule.rule in STATE_CHANGING_PATHS:
                errors.add(403)
            if meta["raw_body"] and method != "GET":
                op["requestBody"] = {"required": True, "content": {"application/octet-stream": {
                    "schema": {"type": "string", "format": "binary"}}}}
                errors |= {413, 415}
            elif meta["body_schema"] is not None and method != "GET":
                op["requestBody"] = {"required": True, "content": {"application/json": {
                    "schema": _schema(meta["body_schema"], components)}}}
                errors |= {400, 413, 415}
            if params:
                errors.add(404)
            for status in sorted(errors):
                text = meta["error_text"].get(status) or ERROR_TEXT.get(status, "method not allowed")
                responses[str(status)] = _error(text, components)
            op["responses"] = responses
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Iris chain node", "version": "1.0.0",
                 "description": "A blockchain node that trains a KNN model from FLOWER_DATA transactions. "
                                "Every error is {\"error\": {\"code\", \"message\"}}."},
        "tags": [{"name": name, "description": text} for name, text in TAGS.values()],
        "paths": paths,
        "components": {"schemas": dict(sorted(components.items()))},
    }

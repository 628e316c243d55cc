"""What a browser may ask of a node: the Host it used (DNS rebinding), where a state change comes
from (cross-site requests) and the headers every answer carries (framing, sniffing).

- ``Host``: an IP literal, ``localhost`` (and ``*.localhost``), the node's ``--host``, the host of
  its ``--advertise`` URL and every ``--allow-host`` name are served; any other name is refused
  with 421 ``host_not_allowed``. A rebinding page can choose only the *name* part (its own domain,
  resolved to this node), never an IP literal or localhost, so the port is not compared (a port
  mapping may change it).
- State changes (every method but GET/HEAD/OPTIONS, and any method on ``/mine`` and
  ``/nodes/resolve``) from a browser page of another origin are refused with 403
  ``cross_site_request``: ``Sec-Fetch-Site: cross-site`` or ``same-site`` (another port or
  subdomain), an ``Origin`` that is not this node's own (or ``null``), or else a ``Referer`` from
  elsewhere. A request without these headers (curl, Postman, the wallet, peers) and
  ``Sec-Fetch-Site: none`` (typed in the address bar) pass. README "Browsers" gives the limits.
"""
from __future__ import annotations

import ipaddress
from typing import Iterable, Optional
from urllib.parse import urlsplit

from flask import Flask, request

from .errors import error_response

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
STATE_CHANGING_PATHS = frozenset({"/mine", "/nodes/resolve"})  # these change state on GET as well
LOOPBACK_NAMES = frozenset({"localhost"})
WILDCARDS = frozenset({"", "0.0.0.0", "::", "[::]"})

CONTENT_SECURITY_POLICY = ("script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
                           "frame-ancestors 'none'")
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
}


def split_host(value: str) -> tuple[str, Optional[str]]:
    """``Host`` (or a netloc) as (lower-case name without brackets or trailing dot, port or None)."""
    value = value.strip().lower()
    if value.startswith("["):
        name, closed, rest = value[1:].partition("]")
        if not closed or (rest and not rest.startswith(":")) or "%" in name:
            return "", None  # "[::1]evil.test", an unclosed bracket, a zone id: no name we serve
        port = rest[1:] if rest else None
    elif value.count(":") == 1:
        name, port = value.split(":")
    else:
        name, port = value, None
    return name.rstrip("."), port or None


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


def served_names(host: str, advertise: Optional[str], allowed: Iterable[str]) -> frozenset[str]:
    names = set(LOOPBACK_NAMES)
    if host and host not in WILDCARDS:
        names.add(split_host(host)[0])
    if advertise:
        names.add((urlsplit(advertise).hostname or "").rstrip("."))
    names.update(split_host(name)[0] for name in allowed)
    names.discard("")
    return frozenset(names)


def host_allowed(host_header: str, names: frozenset[str]) -> bool:
    name, port = split_host(host_header)
    if not name or (port is not None and not (port.isdigit() and len(port) <= 5)):
        return False
    return _is_ip(name) or name in names or name.endswith(".localhost")


def _origin_key(scheme: str, netloc: str) -> tuple[str, str]:
    name, port = split_host(netloc)
    default = {"http": "80", "https": "443"}.get(scheme)
    return name, (port if port and port != default else "")


def cross_site_reason(method: str, path: str, headers, host_header: str, scheme: str) -> Optional[str]:
    """Why this request is a browser's state change from another site, or None."""
    if method.upper() in SAFE_METHODS and path not in STATE_CHANGING_PATHS:
        return None
    # Every copy counts, not only the first (servers join repeated headers with commas).
    for site in (part.strip().lower() for value in headers.getlist("Sec-Fetch-Site") for part in value.split(",")):
        if site in ("cross-site", "same-site"):
            return f"Sec-Fetch-Site is {site}"
    own = _origin_key(scheme, host_header)
    origin = headers.get("Origin")
    if origin is not None:
        parts = urlsplit(origin.strip())
        if origin.strip().lower() == "null" or _origin_key(parts.scheme, parts.netloc) != own:
            return "its Origin is another site"
        return None
    referer = headers.get("Referer")
    if referer:
        parts = urlsplit(referer.strip())
        if _origin_key(parts.scheme, parts.netloc) != own:
            return "its Referer is another site"
    return None


def install(app: Flask, host: str, advertise: Optional[str], allowed: Iterable[str]) -> None:
    names = served_names(host, advertise, allowed)
    app.config["SERVED_HOST_NAMES"] = names

    @app.before_request
    def _guard():
        host_header = request.headers.get("Host") or request.host
        if not host_allowed(host_header, names):
            return error_response(
                421, "host_not_allowed",
                f"this node does not serve the host name {split_host(host_header)[0]!r:.80}; use its address, "
                f"localhost, or start it with --allow-host NAME")
        reason = cross_site_reason(request.method, request.path, request.headers, host_header, request.scheme)
        if reason:
            return error_response(
                403, "cross_site_request",
                f"a page of another site may not change this node's state ({reason}); "
                f"use this node's own dashboard, or a client that is not a browser")
        return None

    @app.after_request
    def _security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

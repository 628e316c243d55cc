"""Which peer URLs a node accepts (DESIGN.md): http(s), a host and a port, nothing else.

Loopback is allowed (several nodes on one machine is the normal case); link-local, unspecified
and multicast addresses are not. A refused URL is never contacted.
"""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from .errors import PeerURLError

MAX_PEERS = 64
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the last 32 bits are an IPv4 address


def normalize_peer_url(url) -> str:
    """``scheme://host:port`` for an acceptable peer URL; PeerURLError (naming the URL) otherwise."""
    if not isinstance(url, str):
        raise PeerURLError(f"a peer URL must be a string; got {type(url).__name__ if url is not None else 'null'}")
    shown = url if len(url) <= 100 else url[:97] + "..."
    if not url or len(url) > 2048 or not url.isprintable() or url != url.strip():
        raise PeerURLError(f"a peer URL must be printable text with no spaces around it; got {shown!r}")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise PeerURLError(f"a peer URL must be well formed ({exc}); got {shown!r}") from None
    if parts.scheme not in ("http", "https"):
        raise PeerURLError(f"a peer URL must start with http:// or https://; got {shown!r}")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise PeerURLError(f"a peer URL must not carry user info; got {shown!r}")
    host = parts.hostname
    if not host:
        raise PeerURLError(f"a peer URL must name a host; got {shown!r}")
    if port is None:
        raise PeerURLError(f"a peer URL must name a port, like http://127.0.0.1:5001; got {shown!r}")
    if port == 0:
        raise PeerURLError(f"a peer URL's port must be 1 to 65535; got {shown!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment or url.endswith(("?", "#")):
        raise PeerURLError(f"a peer URL must have no path, query or fragment; got {shown!r}")
    ip = numeric_host(host)
    if ip is None:
        if len(host) > 253:
            raise PeerURLError(f"a peer URL's host name must be at most 253 characters (DNS); got {shown!r}")
        if not host.isascii() or not all(label and len(label) <= 63 and label.replace("-", "").isalnum()
                                         for label in host.split(".")):
            raise PeerURLError(f"a peer URL's host must be an IP address or a DNS name; got {shown!r}") from None
    if ip is not None:
        if ip.version == 6 and ip.scope_id:
            raise PeerURLError(f"a peer URL must not carry an IPv6 zone id; got {shown!r}")
        if ip.version == 6:  # judge an IPv6 spelling of an IPv4 address as the address it is
            if ip.ipv4_mapped is not None:
                ip = ip.ipv4_mapped  # ::ffff:a.b.c.d is the IPv4 address it spells, and is written so
            else:  # NAT64, 6to4 and Teredo reach the IPv4 address they embed: judged by it, kept as written
                embedded = ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
                if embedded is None and ip in NAT64:
                    embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
                if embedded is not None:
                    _judge(embedded, shown)
        _judge(ip, shown)
        host = f"[{ip.compressed}]" if ip.version == 6 else ip.compressed
    else:
        host = host.lower()
    return f"{parts.scheme}://{host}:{port}"


def _judge(ip, shown: str) -> None:
    """PeerURLError if ``ip`` is an address no peer may have."""
    if ip.version == 4 and ip == ipaddress.IPv4Address("255.255.255.255"):
        raise PeerURLError(f"a peer URL must not use the broadcast address; got {shown!r}")
    if ip.is_unspecified:
        raise PeerURLError(f"a peer URL must not use an unspecified address ({ip}); got {shown!r}")
    if ip.is_link_local:
        raise PeerURLError(f"a peer URL must not use a link-local address ({ip}); got {shown!r}")
    if ip.is_multicast:
        raise PeerURLError(f"a peer URL must not use a multicast address ({ip}); got {shown!r}")


def numeric_host(host: str):
    """The IP address a numeric host stands for, read the way the system resolver reads it, or None.

    Besides the usual forms, inet_aton accepts "0", "0.0", "127.1", "0x7f.1", octal parts and a
    single integer ("2852039166" is 169.254.169.254): judging only ``ipaddress``'s spelling would
    let those past the rules and then connect to what they really mean.
    """
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefxABCDEFX." for c in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except (OSError, ValueError):
            return None
    return None


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_self(url: str, own_host: str, own_port: int) -> bool:
    """True when ``url`` (normalized) points back at this node."""
    parts = urlsplit(url)
    if parts.port != own_port:
        return False
    host = (parts.hostname or "").lower()
    own = own_host.strip("[]").lower()
    if host == own:
        return True
    listening_everywhere = own in ("0.0.0.0", "::", "")
    return is_loopback_host(host) and (listening_everywhere or is_loopback_host(own))

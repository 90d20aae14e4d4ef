"""Which CommBox host an audience id belongs to: one key per host, however its URL is spelled."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from audience_prep._errors import ConfigurationError

__all__ = ["ledger_host"]

_DEFAULT_PORTS = {"https": 443, "http": 80}


def ledger_host(base_url: str) -> str:
    """The host key an audience id belongs to, from a base URL or a ``host[:port]``.

    Rules:

    - a scheme is optional (``api.commbox.io``, ``https://api.commbox.io/`` and
      ``api.commbox.io:443`` are one host); a path, query and trailing slash are ignored;
    - the host is lower-cased and a trailing dot (the DNS root) is dropped;
    - every loopback host (``localhost``, ``127.0.0.0/8``, ``::1``) is ``localhost``;
    - the scheme's default port (443, 80) is dropped; any other port stays: ``localhost:8765``.
    """
    text = base_url.strip()
    parts = urlsplit(text if "://" in text else f"https://{text}")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise ConfigurationError(f"{base_url!r} names no host; pass a URL such as https://host/.")
    if _is_loopback(host):
        host = "localhost"
    try:
        port = parts.port
    except ValueError as exc:
        raise ConfigurationError(f"{base_url!r} has an invalid port.") from exc
    if port is None or port == _DEFAULT_PORTS.get(parts.scheme):
        return host
    return f"{host}:{port}"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

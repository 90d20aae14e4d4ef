"""What a client is configured with: the token (kept secret) and the base URL (kept safe).

The token lives in a ``Secret`` so no repr, str or log line can show it, and ``Secret.redact``
is how every text taken from a response is cleaned before anyone sees it.
"""

from __future__ import annotations

import html
import ipaddress
import json
import logging
import os
from urllib.parse import quote

import httpx

from audience_prep._errors import ConfigurationError

__all__ = [
    "TOKEN_ENV",
    "URL_ENV",
    "Secret",
    "require_token",
    "resolve_base_url",
    "resolve_token",
]

TOKEN_ENV = "COMMBOX_API_TOKEN"
URL_ENV = "COMMBOX_API_URL"
REDACTED = "***"
logger = logging.getLogger("audience_prep.client")


class Secret:
    """A string that never shows itself in a repr, str or log line."""

    __slots__ = ("_forms", "_value")

    def __init__(self, value: str) -> None:
        self._value = value
        # The spellings a server may echo it in: as sent, JSON-, HTML- or percent-escaped.
        forms = {value, json.dumps(value)[1:-1], html.escape(value), quote(value, safe="")}
        self._forms = sorted(forms, key=len, reverse=True)

    def reveal(self) -> str:
        return self._value

    def redact(self, text: str) -> str:
        """``text`` with every spelling of the secret replaced by ``***``."""
        for form in self._forms:
            text = text.replace(form, REDACTED)
        return text

    def __repr__(self) -> str:
        return f"'{REDACTED}'"

    __str__ = __repr__


def resolve_token(token: str | None) -> Secret | None:
    """The token given, else ``$COMMBOX_API_TOKEN``; None when there is none.

    No token is needed until a request is sent (``require_token``), so a dry run works
    without one. A token that is there must be printable ASCII without surrounding
    whitespace: HTTP headers are ASCII, and a token that cannot be sent would otherwise fail
    at the first request with an encoding error that quotes it (``ConfigurationError``). No
    message ever repeats the token.
    """
    value = token if token is not None else os.environ.get(TOKEN_ENV, "")
    if not isinstance(value, str):
        raise ConfigurationError(
            f"The CommBox API token must be a str, not {type(value).__name__}."
        )
    if not value.strip():
        return None
    if value != value.strip() or not value.isprintable():
        raise ConfigurationError(
            f"The CommBox API token contains whitespace or control characters; check {TOKEN_ENV}."
        )
    if not value.isascii():
        raise ConfigurationError(
            "The CommBox API token contains non-ASCII characters (HTTP headers are ASCII): it "
            f"was probably mistyped or pasted with a look-alike character; check {TOKEN_ENV}."
        )
    return Secret(value)


def require_token(token: Secret | None) -> Secret:
    """The token a request is about to carry; ``ConfigurationError`` when there is none."""
    if token is None:
        raise ConfigurationError(
            f"No CommBox API token: pass token=... or set {TOKEN_ENV} "
            "(create a key in the CommBox management console)."
        )
    return token


def resolve_base_url(base_url: str | None, *, default: str) -> str:
    """The base URL given, else ``$COMMBOX_API_URL``, else ``default``; ending with ``/``.

    It must be https, or plain http to a loopback host, and must not hold credentials.
    """
    value = base_url or os.environ.get(URL_ENV) or default
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL as exc:
        raise ConfigurationError(f"Invalid CommBox base URL {value!r}: {exc}") from exc
    if url.userinfo:
        raise ConfigurationError(
            f"The CommBox base URL must not hold credentials; set {TOKEN_ENV} instead."
        )
    if url.scheme == "https" and url.host:
        pass
    elif url.scheme == "http" and _is_loopback(url.host):
        logger.debug("Using plain http to the loopback host %s", url.host)
    else:
        raise ConfigurationError(
            f"Refusing CommBox base URL {value!r}: it must be https:// (plain http:// is "
            "allowed only for a loopback host such as 127.0.0.1, ::1 or localhost)."
        )
    return str(url.copy_with(query=None, fragment=None)).rstrip("/") + "/"


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

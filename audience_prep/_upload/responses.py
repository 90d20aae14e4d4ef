"""How CommBox's answers and httpx's failures become results or typed errors.

Every httpx exception is translated here, at the boundary, with ``raise ... from exc``; the error
class alone says whether a retry may help (its ``retryable`` attribute). Messages name the status,
CommBox's ``description`` and what to do next, and are passed through ``redact`` so that no
secret can leak through a body CommBox echoes back.
"""

from __future__ import annotations

import email.utils
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from audience_prep._errors import (
    AudienceNotFoundError,
    AudiencePrepError,
    AudienceRejectedError,
    AuthenticationError,
    CommBoxConnectionError,
    CommBoxError,
    CommBoxServerError,
    ConfigurationError,
    RateLimitedError,
    UnexpectedResponseError,
)

__all__ = ["CommBoxAnswer", "read_answer", "retry_after_seconds", "translate_http_error"]

Redact = Callable[[str], str]

_ERRORS_BY_STATUS: dict[int, tuple[type[CommBoxError], str]] = {
    400: (
        AudienceRejectedError,
        "check that the audience is static and that the file is a CSV or Excel file with a "
        "phone1 column",
    ),
    401: (
        AuthenticationError,
        "the API token is invalid or missing; set COMMBOX_API_TOKEN to a key from the CommBox "
        "management console",
    ),
    404: (AudienceNotFoundError, "no audience has this id; check the audience id"),
    429: (RateLimitedError, "CommBox is throttling requests; try again later"),
}
_SERVER_ADVICE = "CommBox failed internally; try again later"
_SNIPPET = 200


@dataclass(frozen=True)
class CommBoxAnswer:
    """A successful CommBox answer: its status, description, response time and data object."""

    status_code: int
    description: str | None
    response_time: str | None
    data: dict[str, Any]


def read_answer(
    response: httpx.Response, *, target: str, attempts: int, redact: Redact
) -> CommBoxAnswer:
    """Return the answer of a 2xx CommBox response, or raise the typed error for its status.

    Documented error statuses keep their class even when the body is not JSON (a proxy's HTML
    502 is still worth a retry); a 2xx without the documented JSON body, or an undocumented
    status, raises ``UnexpectedResponseError``.
    """
    body = _json_object(response)
    status = response.status_code
    description = _text_field(body, "description")
    response_time = _text_field(body, "response_time")
    if 200 <= status < 300:
        data = None if body is None else body.get("data")
        if not isinstance(data, dict):
            raise _unexpected(response, target, attempts, redact, "no JSON 'data' object")
        return CommBoxAnswer(status, description, response_time, data)
    if status in _ERRORS_BY_STATUS or status >= 500:
        error_class, advice = _ERRORS_BY_STATUS.get(status, (CommBoxServerError, _SERVER_ADVICE))
        said = description or response.reason_phrase
        after = f" after {attempts} attempts" if attempts > 1 else ""
        message = f"CommBox answered {status} {said} for {target}{after}: {advice}."
        raise error_class(
            redact(message),
            status_code=status,
            description=description,
            response_time=response_time,
            attempts=attempts,
        )
    raise _unexpected(response, target, attempts, redact, "an undocumented status")


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = json.loads(response.content)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError both derive from it
        return None
    return body if isinstance(body, dict) else None


def _text_field(body: dict[str, Any] | None, key: str) -> str | None:
    value = None if body is None else body.get(key)
    return value if isinstance(value, str) else None


def _unexpected(
    response: httpx.Response, target: str, attempts: int, redact: Redact, why: str
) -> UnexpectedResponseError:
    snippet = response.content[:_SNIPPET].decode("utf-8", errors="replace")
    message = (
        f"CommBox answered {response.status_code} for {target} with {why} (expected the "
        f"documented JSON body); the body starts with {snippet!r}. Check the base URL."
    )
    return UnexpectedResponseError(
        redact(message),
        status_code=response.status_code,
        description=None,
        attempts=attempts,
    )


def retry_after_seconds(response: httpx.Response, *, now: datetime | None = None) -> float | None:
    """Read ``Retry-After`` as seconds to wait: delta-seconds or an HTTP date; else None."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def translate_http_error(
    exc: httpx.HTTPError, *, target: str, base_url: str, attempts: int, redact: Redact
) -> AudiencePrepError:
    """Translate an httpx exception raised while sending a request into our hierarchy.

    - timeouts, network errors and a server that closed the connection without a complete
      answer: ``CommBoxConnectionError`` (retryable: the request may not have completed);
    - a proxy failure, an unsupported scheme, or a request h11 refuses to send:
      ``ConfigurationError`` (fix the environment or the call);
    - an undecodable body, redirects, or any other httpx error: ``UnexpectedResponseError``.
    """
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    after = f" after {attempts} attempts" if attempts > 1 else ""
    if isinstance(exc, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError):
        message = (
            f"Could not complete the request to CommBox at {base_url} for {target}{after} "
            f"({detail}); check the network and the base URL, or try again later."
        )
        return CommBoxConnectionError(redact(message), attempts=attempts)
    if isinstance(exc, httpx.ProxyError | httpx.UnsupportedProtocol | httpx.LocalProtocolError):
        return ConfigurationError(
            redact(f"Cannot send the request to {base_url} for {target} ({detail}).")
        )
    message = f"Unexpected HTTP failure talking to CommBox at {base_url} for {target} ({detail})."
    return UnexpectedResponseError(redact(message), attempts=attempts)

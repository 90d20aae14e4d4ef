"""How CommBox's answers and httpx's failures become results or typed errors.

Every httpx exception is translated here, at the boundary, with ``raise ... from exc``; the error
class alone says whether a retry may help (its ``retryable`` attribute). Messages name the status,
CommBox's ``description`` and what to do next.

This is the one place where responses are read, so it is where secrets are removed: every value
taken from an answer (its JSON fields, at any depth, the status line, a body snippet, the text
of an httpx error and of the errors chained to it) passes through ``redact`` first, on the
success and the error path alike. A server that echoes the ``Authorization`` header back cannot
put the token into a report, the ledger, a log or an exception.
"""

from __future__ import annotations

import email.utils
import json
import re
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
from audience_prep._upload.bounds import MAX_RESPONSE_BYTES

__all__ = [
    "CommBoxAnswer",
    "answer_too_large",
    "attempt_expired",
    "read_answer",
    "retry_after_seconds",
    "translate_http_error",
]

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
_DELTA_SECONDS = re.compile(r"[0-9]+")  # ASCII digits only: str.isdigit() also takes "²"


@dataclass(frozen=True)
class CommBoxAnswer:
    """A successful CommBox answer: its status, description, response time and data object."""

    status_code: int
    description: str | None
    response_time: str | None
    data: dict[str, Any]


def read_answer(
    response: httpx.Response, body: bytes, *, target: str, attempts: int, redact: Redact
) -> CommBoxAnswer:
    """Return the answer of a 2xx CommBox response, or raise the typed error for its status.

    ``body`` is the response's body as read (within the size cap). Documented error statuses
    keep their class even when the body is not JSON (a proxy's HTML 502 is still worth a
    retry); a 2xx without the documented JSON body, or an undocumented status, raises
    ``UnexpectedResponseError``. Every text in the answer or the error is redacted.
    """
    parsed = _parse(body, redact)
    fields = parsed if isinstance(parsed, dict) else None
    status = response.status_code
    description = _text_field(fields, "description")
    response_time = _text_field(fields, "response_time")
    if 200 <= status < 300:
        data = None if fields is None else fields.get("data")
        if not isinstance(data, dict):
            raise _unexpected(response, body, target, attempts, redact, "no JSON 'data' object")
        return CommBoxAnswer(status, description, response_time, data)
    if status in _ERRORS_BY_STATUS or status >= 500:
        error_class, advice = _ERRORS_BY_STATUS.get(status, (CommBoxServerError, _SERVER_ADVICE))
        said = description or redact(response.reason_phrase)
        after = f" after {attempts} attempts" if attempts > 1 else ""
        message = f"CommBox answered {status} {said} for {target}{after}: {advice}."
        raise error_class(
            redact(message),
            status_code=status,
            description=description,
            response_time=response_time,
            attempts=attempts,
        )
    raise _unexpected(response, body, target, attempts, redact, "an undocumented status")


def answer_too_large(
    response: httpx.Response, *, target: str, attempts: int
) -> UnexpectedResponseError:
    """The error for an answer longer than the cap (``bounds.MAX_RESPONSE_BYTES``)."""
    applied = (
        " CommBox accepted the request, so the upload was probably applied; check the audience."
        if response.is_success
        else " Check the base URL."
    )
    return UnexpectedResponseError(
        f"CommBox answered {response.status_code} for {target} with a body longer than "
        f"{MAX_RESPONSE_BYTES // 1024} KiB (its answers are small JSON); it was not read.{applied}",
        status_code=response.status_code,
        attempts=attempts,
    )


def attempt_expired(
    *, target: str, base_url: str, attempts: int, seconds: float
) -> CommBoxConnectionError:
    """The error for an attempt that outlived its total deadline (``attempt_timeout``)."""
    after = f" (attempt {attempts})" if attempts > 1 else ""
    return CommBoxConnectionError(
        f"CommBox at {base_url} did not finish answering for {target} within the {seconds:g} s "
        f"one attempt may take{after}; the upload may or may not have been applied. Check the "
        "network, or raise attempt_timeout for a very large file on a slow link.",
        attempts=attempts,
    )


def _parse(body: bytes, redact: Redact) -> Any:
    """The JSON value of a body with every secret redacted at any depth; None if not JSON."""
    try:
        value = json.loads(body)
        # Redacting the re-serialised text reaches every key and string, however nested.
        return json.loads(redact(json.dumps(value, ensure_ascii=False)))
    except (ValueError, RecursionError):  # also UnicodeDecodeError; RecursionError: [[[[…
        return None


def _text_field(body: dict[str, Any] | None, key: str) -> str | None:
    value = None if body is None else body.get(key)
    return value if isinstance(value, str) else None


def _unexpected(
    response: httpx.Response, body: bytes, target: str, attempts: int, redact: Redact, why: str
) -> UnexpectedResponseError:
    # Redacted before it is cut, so a token straddling the cut cannot leave half of itself.
    snippet = redact(body.decode("utf-8", errors="replace"))[:_SNIPPET]
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
    """Read ``Retry-After`` as seconds to wait; None when it is absent or unreadable.

    Strict, and never raises: delta-seconds are ASCII digits only (``²`` or ``٣`` are not
    digits here); anything else must be an HTTP date (a past one is 0). Any other value, a
    non-ASCII one included, gives None, and the client backs off on its own.
    """
    value = response.headers.get("retry-after", "").strip()
    if not value or not value.isascii():
        return None
    if _DELTA_SECONDS.fullmatch(value):
        return float(value)  # a huge value is a huge wait, and the time budget refuses it
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: a year past any C long
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
    _scrub(exc, redact)
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


def _scrub(exc: BaseException, redact: Redact) -> None:
    """Redact the text of an httpx error and of the errors chained to it, in place.

    They become the ``__cause__`` of the error raised, and h11 quotes bytes of a malformed
    answer in its messages (``Illegal header name b'…'``), which a server controls.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        current.args = tuple(redact(a) if isinstance(a, str) else a for a in current.args)
        current = current.__cause__ or current.__context__

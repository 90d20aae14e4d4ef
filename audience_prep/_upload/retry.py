"""The uploader's retry policy, built on tenacity.

A request is retried only when its error's class says ``retryable`` (429, 5xx, connect errors,
timeouts, dropped connections). A PUT replaces the whole audience, so sending the same bytes again
is safe; a POST that creates an audience is retried only when CommBox cannot have acted on it.
The wait is what the server asked for in ``Retry-After`` when it said, otherwise exponential
backoff with jitter. Attempts and the total time are bounded: a wait that would end past
``max_retry_time`` is not taken, and the last error is raised instead.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import tenacity

from audience_prep._errors import CommBoxConnectionError, CommBoxError, RateLimitedError

__all__ = ["Backoff", "is_retryable", "is_unprocessed", "retry_policy"]

logger = logging.getLogger("audience_prep.client")


class Backoff(tenacity.wait.wait_base):
    """Wait ``retry_after`` when the last answer set it, else exponential backoff with jitter.

    One instance serves one call: the client sets ``retry_after`` from each response it reads.
    """

    def __init__(self, *, maximum: float = 30.0) -> None:
        self.retry_after: float | None = None
        self._fallback = tenacity.wait_exponential_jitter(max=maximum)

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        if self.retry_after is not None:
            return self.retry_after
        return float(self._fallback(retry_state))


def is_retryable(exc: BaseException) -> bool:
    """Whether a failed attempt may succeed if sent again: decided by the error's class."""
    return isinstance(exc, CommBoxError) and exc.retryable


def is_unprocessed(exc: BaseException) -> bool:
    """Whether CommBox certainly did not act on the request: a 429, or no connection at all.

    The test for requests that are not idempotent (creating an audience), where a retry after
    a timeout, a 5xx or a dropped connection could create the audience twice.
    """
    if isinstance(exc, RateLimitedError):
        return True
    never_connected = isinstance(exc.__cause__, httpx.ConnectError | httpx.ConnectTimeout)
    return isinstance(exc, CommBoxConnectionError) and never_connected


def _log_retry(retry_state: tenacity.RetryCallState) -> None:
    exc = retry_state.outcome.exception() if retry_state.outcome else None
    logger.warning(
        "Attempt %d failed (%s); retrying in %.1f s",
        retry_state.attempt_number,
        type(exc).__name__,
        retry_state.upcoming_sleep,
    )


def retry_policy(
    *, max_attempts: int, max_retry_time: float, backoff: Backoff, idempotent: bool
) -> dict[str, Any]:
    """Keyword arguments for ``tenacity.Retrying`` / ``AsyncRetrying`` (add ``sleep=``).

    ``idempotent=False`` retries only what CommBox cannot have processed (``is_unprocessed``).
    """
    return {
        "stop": tenacity.stop_after_attempt(max_attempts)
        | tenacity.stop_before_delay(max_retry_time),
        "wait": backoff,
        "retry": tenacity.retry_if_exception(is_retryable if idempotent else is_unprocessed),
        "before_sleep": _log_retry,
        "reraise": True,
    }

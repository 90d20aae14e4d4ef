"""CommBoxClient and AsyncCommBoxClient: guarded, retried uploads of audience files.

Both share one policy (``ClientCore``: configuration, guards, request and report building) and
differ only in their I/O: ``httpx.Client`` or ``httpx.AsyncClient``, a blocking or an awaitable
``sleep``. Tests swap the httpx ``transport=`` and inject ``sleep=``; nothing is patched.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self

import httpx
import tenacity

from audience_prep._client_core import DEFAULT_TIMEOUT, ClientCore, Plan, UploadReport
from audience_prep._payload import AudienceData, SupportsAudienceBytes
from audience_prep._responses import CommBoxAnswer
from audience_prep._retry import Backoff, retry_policy

__all__ = ["AsyncCommBoxClient", "CommBoxClient", "SupportsAudienceBytes", "UploadReport"]


class CommBoxClient(ClientCore):
    """A blocking CommBox audience client on ``httpx.Client``; use it as a context manager.

    ``token`` defaults to the ``COMMBOX_API_TOKEN`` environment variable and ``base_url`` to
    ``COMMBOX_API_URL``, then to ``https://api.commbox.io/``; a plain-http URL is refused unless
    its host is loopback. Without a token: ``ConfigurationError``.

    Every upload is refused before anything is sent when it holds zero data rows
    (``EmptyAudienceError``, unless ``allow_empty=True``) or when a prepared audience rejected more
    than ``max_rejected_share`` of its input (``RejectedShareError``). ``dry_run=True`` does
    everything except the request. 429, 5xx, connect errors, timeouts and dropped connections are
    retried (``Retry-After`` honoured, else exponential backoff with jitter) up to
    ``max_attempts`` attempts and ``max_retry_time`` seconds; then the last ``CommBoxError`` is
    raised with its ``attempts``. ``transport`` and ``sleep`` exist for tests.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        base_url: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_attempts: int = 5,
        max_retry_time: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(
            token=token,
            base_url=base_url,
            timeout=timeout,
            max_attempts=max_attempts,
            max_retry_time=max_retry_time,
        )
        self._sleep = sleep
        self._http = httpx.Client(transport=transport, timeout=self._timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def replace_audience(
        self,
        audience_id: str,
        data: AudienceData,
        *,
        dry_run: bool = False,
        allow_empty: bool = False,
        max_rejected_share: float = 0.5,
    ) -> UploadReport:
        """Replace every member of static audience ``audience_id`` with the rows of ``data``.

        ``data`` is a prepared audience, CSV bytes, or a path to a .csv or .xlsx file.
        """
        plan = self._plan_replace(
            audience_id, data, allow_empty=allow_empty, max_rejected_share=max_rejected_share
        )
        return self._run(plan, dry_run=dry_run)

    def create_audience(
        self,
        name: str,
        data: AudienceData,
        *,
        dry_run: bool = False,
        max_rejected_share: float = 0.5,
    ) -> UploadReport:
        """Create a static audience called ``name``; the report's ``audience_id`` is the new id.

        Creating an empty audience destroys nothing, so only the rejected-share guard applies.
        A POST is not idempotent: it is retried only after a 429 or when no connection was made,
        never after a timeout, a 5xx or a dropped connection (that could create it twice).
        """
        plan = self._plan_create(name, data, max_rejected_share=max_rejected_share)
        return self._run(plan, dry_run=dry_run)

    def _run(self, plan: Plan, *, dry_run: bool) -> UploadReport:
        started = time.monotonic()
        self._log_start(plan, dry_run=dry_run)
        if dry_run:
            return self._report(plan, None, 0, started)
        backoff = Backoff()
        policy = retry_policy(
            max_attempts=self.max_attempts,
            max_retry_time=self.max_retry_time,
            backoff=backoff,
            idempotent=plan.method == "PUT",
        )
        answer: CommBoxAnswer | None = None
        attempts = 0
        for attempt in tenacity.Retrying(sleep=self._sleep, **policy):
            with attempt:
                attempts = attempt.retry_state.attempt_number
                answer = self._send(plan, attempts, backoff)
        return self._report(plan, answer, attempts, started)

    def _send(self, plan: Plan, attempt: int, backoff: Backoff) -> CommBoxAnswer:
        backoff.retry_after = None
        request = self._build_request(self._http, plan)
        try:
            response = self._http.send(request)
        except httpx.HTTPError as exc:
            raise self._translate(exc, plan, attempt) from exc
        return self._read(response, plan, attempt, backoff)


class AsyncCommBoxClient(ClientCore):
    """The asyncio twin of ``CommBoxClient`` on ``httpx.AsyncClient``; ``async with`` it.

    Same options, guards, retries and errors as ``CommBoxClient``; ``sleep`` is awaitable.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        base_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_attempts: int = 5,
        max_retry_time: float = 120.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(
            token=token,
            base_url=base_url,
            timeout=timeout,
            max_attempts=max_attempts,
            max_retry_time=max_retry_time,
        )
        self._sleep = sleep
        self._http = httpx.AsyncClient(transport=transport, timeout=self._timeout)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def replace_audience(
        self,
        audience_id: str,
        data: AudienceData,
        *,
        dry_run: bool = False,
        allow_empty: bool = False,
        max_rejected_share: float = 0.5,
    ) -> UploadReport:
        """Replace every member of static audience ``audience_id`` with the rows of ``data``."""
        plan = self._plan_replace(
            audience_id, data, allow_empty=allow_empty, max_rejected_share=max_rejected_share
        )
        return await self._run(plan, dry_run=dry_run)

    async def create_audience(
        self,
        name: str,
        data: AudienceData,
        *,
        dry_run: bool = False,
        max_rejected_share: float = 0.5,
    ) -> UploadReport:
        """Create a static audience called ``name``; the report's ``audience_id`` is the new id."""
        plan = self._plan_create(name, data, max_rejected_share=max_rejected_share)
        return await self._run(plan, dry_run=dry_run)

    async def _run(self, plan: Plan, *, dry_run: bool) -> UploadReport:
        started = time.monotonic()
        self._log_start(plan, dry_run=dry_run)
        if dry_run:
            return self._report(plan, None, 0, started)
        backoff = Backoff()
        policy = retry_policy(
            max_attempts=self.max_attempts,
            max_retry_time=self.max_retry_time,
            backoff=backoff,
            idempotent=plan.method == "PUT",
        )
        answer: CommBoxAnswer | None = None
        attempts = 0
        async for attempt in tenacity.AsyncRetrying(sleep=self._sleep, **policy):
            with attempt:
                attempts = attempt.retry_state.attempt_number
                answer = await self._send(plan, attempts, backoff)
        return self._report(plan, answer, attempts, started)

    async def _send(self, plan: Plan, attempt: int, backoff: Backoff) -> CommBoxAnswer:
        backoff.retry_after = None
        request = self._build_request(self._http, plan)
        try:
            response = await self._http.send(request)
        except httpx.HTTPError as exc:
            raise self._translate(exc, plan, attempt) from exc
        return self._read(response, plan, attempt, backoff)

"""AsyncCommBoxClient: the asyncio twin of ``CommBoxClient`` (see ``client``), over the same
``ClientCore``; the blocking parts of a call (reading the file, validating it, the ledger) run
in a worker thread."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self

import httpx
import tenacity

from audience_prep._errors import CommBoxError
from audience_prep._ledger.ledger import Ledger, LedgerEntry
from audience_prep._upload.bounds import AnswerTooLarge, aread_capped
from audience_prep._upload.core import DEFAULT_TIMEOUT, ClientCore, Plan
from audience_prep._upload.guards import Guards
from audience_prep._upload.payload import AudienceData
from audience_prep._upload.report import UploadReport
from audience_prep._upload.responses import CommBoxAnswer
from audience_prep._upload.retry import Backoff, retry_policy

__all__ = ["AsyncCommBoxClient"]


class AsyncCommBoxClient(ClientCore):
    """The asyncio twin of ``CommBoxClient`` on ``httpx.AsyncClient``; ``async with`` it.

    Same options, guards, retries, bounds and errors as ``CommBoxClient``; ``sleep`` is
    awaitable, and each attempt runs under ``asyncio.timeout(attempt_timeout)``.
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
        attempt_timeout: float | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        ledger: Ledger | bool = True,
        ledger_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__(
            token=token,
            base_url=base_url,
            timeout=timeout,
            max_attempts=max_attempts,
            max_retry_time=max_retry_time,
            attempt_timeout=attempt_timeout,
            ledger=ledger,
            ledger_dir=ledger_dir,
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
        max_removed_share: float = 0.3,
        min_rows: int = 0,
        allow_shrink: bool = False,
        validate: bool = True,
    ) -> UploadReport:
        """Replace every member of static audience ``audience_id`` with the rows of ``data``.

        As ``CommBoxClient.replace_audience``; ``validate=False`` is as dangerous.
        """
        self._will_send(dry_run)
        guards = Guards(
            allow_empty=allow_empty,
            max_rejected_share=max_rejected_share,
            max_removed_share=max_removed_share,
            min_rows=min_rows,
            allow_shrink=allow_shrink,
        )
        plan = await asyncio.to_thread(
            self._plan_replace, audience_id, data, guards=guards, validate=validate
        )
        return await self._run(plan, dry_run=dry_run)

    async def rollback(
        self,
        audience_id: str,
        *,
        to: int | None = None,
        dry_run: bool = False,
        max_removed_share: float = 0.3,
        min_rows: int = 0,
        allow_shrink: bool = False,
        validate: bool = True,
    ) -> UploadReport:
        """Re-upload the file ledger entry ``to`` kept (default: the last different ok upload).

        As ``CommBoxClient.rollback``; ``validate=False`` is as dangerous.
        """
        self._will_send(dry_run)
        guards = Guards(
            max_rejected_share=1.0,
            max_removed_share=max_removed_share,
            min_rows=min_rows,
            allow_shrink=allow_shrink,
        )
        plan = await asyncio.to_thread(
            self._plan_rollback, audience_id, to, guards, validate=validate
        )
        return await self._run(plan, dry_run=dry_run)

    async def history(self, audience_id: str) -> list[LedgerEntry]:
        """The ledger's entries for ``audience_id`` at this client's host, oldest first.

        ``ConfigurationError`` when the client has no ledger (``ledger=False``).
        """
        return await asyncio.to_thread(self._history, audience_id)

    async def create_audience(
        self,
        name: str,
        data: AudienceData,
        *,
        dry_run: bool = False,
        max_rejected_share: float = 0.5,
        validate: bool = True,
    ) -> UploadReport:
        """Create a static audience called ``name``; the report's ``audience_id`` is the new id.

        As ``CommBoxClient.create_audience``; ``validate=False`` is as dangerous.
        """
        self._will_send(dry_run)
        plan = await asyncio.to_thread(
            self._plan_create,
            name,
            data,
            max_rejected_share=max_rejected_share,
            validate=validate,
        )
        return await self._run(plan, dry_run=dry_run)

    async def _run(self, plan: Plan, *, dry_run: bool) -> UploadReport:
        started = time.monotonic()
        self._log_start(plan, dry_run=dry_run)
        if dry_run:
            return self._report(plan, None, 0, started)
        entry = await asyncio.to_thread(self._ledger_begin, plan)
        try:
            answer, attempts = await self._send_with_retries(plan)
        except CommBoxError as exc:
            await asyncio.to_thread(self._ledger_fail, entry, exc)
            raise
        report = self._report(plan, answer, attempts, started)
        return await asyncio.to_thread(self._ledger_commit, plan, entry, report)

    async def _send_with_retries(self, plan: Plan) -> tuple[CommBoxAnswer | None, int]:
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
        return answer, attempts

    async def _send(self, plan: Plan, attempt: int, backoff: Backoff) -> CommBoxAnswer:
        """One attempt, within ``attempt_timeout`` as a whole and 1 MiB of answer."""
        backoff.retry_after = None
        request = self._build_request(self._http, plan)
        try:
            async with asyncio.timeout(self.attempt_timeout):
                response = await self._http.send(request, stream=True)
                try:
                    body = await aread_capped(response)
                except AnswerTooLarge:
                    raise self._too_large(response, plan, attempt) from None
                finally:
                    await response.aclose()
        except TimeoutError as exc:  # asyncio.timeout's; httpx's timeouts are HTTPErrors
            raise self._expired(plan, attempt) from exc
        except httpx.HTTPError as exc:
            raise self._translate(exc, plan, attempt) from exc
        return self._read(response, body, plan, attempt, backoff)

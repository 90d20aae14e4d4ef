"""CommBoxClient and AsyncCommBoxClient: guarded, retried uploads of audience files.

Both share one policy (``ClientCore``: configuration, validation, guards, request and report
building) and differ only in their I/O: ``httpx.Client`` or ``httpx.AsyncClient``, a blocking
or an awaitable ``sleep``. Tests swap the httpx ``transport=`` and inject ``sleep=``; nothing
is patched. The asyncio twin lives in ``async_client`` and is importable from here too.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from types import TracebackType
from typing import Self

import httpx
import tenacity

from audience_prep._errors import CommBoxError
from audience_prep._ledger.ledger import Ledger, LedgerEntry
from audience_prep._upload.async_client import AsyncCommBoxClient as AsyncCommBoxClient
from audience_prep._upload.bounds import (
    AnswerTooLarge,
    AttemptExpired,
    Watchdog,
    read_capped,
)
from audience_prep._upload.core import DEFAULT_TIMEOUT, ClientCore, Plan
from audience_prep._upload.guards import Guards
from audience_prep._upload.payload import AudienceData
from audience_prep._upload.report import UploadReport
from audience_prep._upload.responses import CommBoxAnswer
from audience_prep._upload.retry import Backoff, retry_policy

__all__ = ["CommBoxClient"]


class CommBoxClient(ClientCore):
    """A blocking CommBox audience client on ``httpx.Client``; use it as a context manager.

    ``token`` defaults to the ``COMMBOX_API_TOKEN`` environment variable and ``base_url`` to
    ``COMMBOX_API_URL``, then to ``https://api.commbox.io/``; a plain-http URL is refused unless
    its host is loopback. A token is needed only to send: ``dry_run=True`` works without one,
    and a call that would send raises ``ConfigurationError`` before doing anything else.

    A file the client did not prepare (bytes, a .csv or .xlsx path, a rollback's kept file) is
    validated as ``audience_prep.validate`` does, in its own phone1 form (E.164 or digits,
    never a mix: see ``audience_prep._upload.gate``), and refused with
    ``InvalidAudienceFileError`` when it fails, before anything is sent or recorded;
    ``validate=False`` skips that, which is dangerous: the file replaces every member. A
    prepared audience (``Prepared``) was validated when it was built and is trusted. Every
    upload is also refused when it holds zero members, i.e. no non-empty ``phone1``
    (``EmptyAudienceError``, unless ``allow_empty=True``), or when a prepared audience
    rejected more than ``max_rejected_share`` of its input (``RejectedShareError``).
    ``dry_run=True`` does everything except the request, the validation included. 429, 5xx,
    connect errors, timeouts and dropped connections are retried (``Retry-After`` honoured,
    else exponential backoff with jitter) up to ``max_attempts`` attempts and
    ``max_retry_time`` seconds; then the last ``CommBoxError`` is raised with its ``attempts``.

    ``timeout`` bounds each network operation (httpx's meaning); ``attempt_timeout`` bounds
    each attempt as a whole, from connecting to the last byte of the answer (default:
    ``max_retry_time``), so a server that answers a byte at a time cannot hold the call: the
    attempt ends with a retryable ``CommBoxConnectionError``. At most 1 MiB of an answer is
    read; a longer one is an ``UnexpectedResponseError``. ``transport`` and ``sleep`` exist
    for tests.

    The replacement ledger (``ledger=True``, the default) records every successful upload in
    ``ledger_dir`` (default ``$AUDIENCE_PREP_LEDGER``, else the per-user data directory); pass
    a ``Ledger`` for its other options, or ``ledger=False`` for none. With it, a replacement
    reports what it adds and removes (``report.diff``, also on a dry run) and is refused
    (``ShrinkGuardError``) when it removes more than ``max_removed_share`` of the members of
    the last confirmed upload, or of any upload never confirmed that the audience may hold, or
    holds fewer than ``min_rows`` members (with or without the ledger), unless
    ``allow_shrink=True``; ``rollback`` re-uploads an earlier kept file and ``history`` lists
    the audience's entries at this client's host. A dry run writes nothing.
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
        attempt_timeout: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
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
        # No kept-alive connections: each attempt connects afresh, so its Watchdog is told of
        # its socket (an upload is one request; reusing a connection saves nothing).
        limits = httpx.Limits(max_keepalive_connections=0)
        self._http = httpx.Client(transport=transport, timeout=self._timeout, limits=limits)

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
        max_removed_share: float = 0.3,
        min_rows: int = 0,
        allow_shrink: bool = False,
        validate: bool = True,
    ) -> UploadReport:
        """Replace every member of static audience ``audience_id`` with the rows of ``data``.

        ``data`` is a prepared audience, CSV bytes, or a path to a .csv or .xlsx file. Bytes
        and files are validated first (``InvalidAudienceFileError``); ``validate=False`` skips
        that and may replace a good audience with a broken file: use it only for a file you
        have just checked yourself.
        """
        self._will_send(dry_run)
        guards = Guards(
            allow_empty=allow_empty,
            max_rejected_share=max_rejected_share,
            max_removed_share=max_removed_share,
            min_rows=min_rows,
            allow_shrink=allow_shrink,
        )
        plan = self._plan_replace(audience_id, data, guards=guards, validate=validate)
        return self._run(plan, dry_run=dry_run)

    def rollback(
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

        The same validation and guards as ``replace_audience`` apply (``validate=False`` is as
        dangerous here); ``LedgerError`` when there is no such entry or its file was not kept.
        """
        self._will_send(dry_run)
        guards = Guards(
            max_rejected_share=1.0,
            max_removed_share=max_removed_share,
            min_rows=min_rows,
            allow_shrink=allow_shrink,
        )
        plan = self._plan_rollback(audience_id, to, guards, validate=validate)
        return self._run(plan, dry_run=dry_run)

    def history(self, audience_id: str) -> list[LedgerEntry]:
        """The ledger's entries for ``audience_id`` at this client's host, oldest first.

        ``ConfigurationError`` when the client has no ledger (``ledger=False``).
        """
        return self._history(audience_id)

    def create_audience(
        self,
        name: str,
        data: AudienceData,
        *,
        dry_run: bool = False,
        max_rejected_share: float = 0.5,
        validate: bool = True,
    ) -> UploadReport:
        """Create a static audience called ``name``; the report's ``audience_id`` is the new id.

        Bytes and files are validated as for ``replace_audience`` (``validate=False`` skips it:
        dangerous). Creating an empty audience destroys nothing, so only the rejected-share
        guard applies. A POST is not idempotent: it is retried only after a 429 or when no
        connection was made, never after a timeout, a 5xx or a dropped connection (that could
        create it twice).
        """
        self._will_send(dry_run)
        plan = self._plan_create(
            name, data, max_rejected_share=max_rejected_share, validate=validate
        )
        return self._run(plan, dry_run=dry_run)

    def _run(self, plan: Plan, *, dry_run: bool) -> UploadReport:
        started = time.monotonic()
        self._log_start(plan, dry_run=dry_run)
        if dry_run:
            return self._report(plan, None, 0, started)
        entry = self._ledger_begin(plan)
        try:
            answer, attempts = self._send_with_retries(plan)
        except CommBoxError as exc:
            self._ledger_fail(entry, exc)
            raise
        return self._ledger_commit(plan, entry, self._report(plan, answer, attempts, started))

    def _send_with_retries(self, plan: Plan) -> tuple[CommBoxAnswer | None, int]:
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
        return answer, attempts

    def _send(self, plan: Plan, attempt: int, backoff: Backoff) -> CommBoxAnswer:
        """One attempt, within ``attempt_timeout`` as a whole and 1 MiB of answer."""
        backoff.retry_after = None
        request = self._build_request(self._http, plan)
        with Watchdog(self.attempt_timeout) as watchdog:
            request.extensions["trace"] = watchdog.trace
            try:
                response = self._http.send(request, stream=True)
                try:
                    body = read_capped(response, watchdog)
                except AnswerTooLarge:
                    raise self._too_large(response, plan, attempt) from None
                finally:
                    response.close()
            except AttemptExpired as exc:
                raise self._expired(plan, attempt) from exc
            except httpx.HTTPError as exc:  # the watchdog shutting the socket is one, too
                if watchdog.fired:
                    raise self._expired(plan, attempt) from exc
                raise self._translate(exc, plan, attempt) from exc
        return self._read(response, body, plan, attempt, backoff)

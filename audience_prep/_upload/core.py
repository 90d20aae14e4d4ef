"""The policy both CommBox clients share: configuration, guards, requests and reports.

``CommBoxClient`` and ``AsyncCommBoxClient`` (in ``client``) add only their I/O on top of
``ClientCore``. The token lives in a ``Secret`` (``config``) so no repr, str or log line can
show it, and every response is read through ``_read``, which redacts it from the answer.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import asdict, dataclass, replace
from typing import ClassVar, Literal
from urllib.parse import quote

import httpx

from audience_prep._errors import (
    AudiencePrepError,
    CommBoxError,
    ConfigurationError,
    LedgerError,
    TerminalCommBoxError,
    UnexpectedResponseError,
)
from audience_prep._ledger.hosts import ledger_host
from audience_prep._ledger.ledger import Ledger, LedgerEntry
from audience_prep._ledger.plan import (
    LedgerPlan,
    draft_entry,
    pick_rollback,
    resolve_ledger,
)
from audience_prep._progress import ProgressCallback
from audience_prep._upload.config import require_token, resolve_base_url, resolve_token
from audience_prep._upload.gate import judge
from audience_prep._upload.guards import Guards, SupportsRowCounts
from audience_prep._upload.manifest import upload_facts
from audience_prep._upload.payload import (
    AudienceData,
    AudiencePayload,
    SupportsAudienceBytes,
    load_payload,
)
from audience_prep._upload.report import UploadReport
from audience_prep._upload.responses import (
    CommBoxAnswer,
    answer_too_large,
    attempt_expired,
    read_answer,
    retry_after_seconds,
    translate_http_error,
)
from audience_prep._upload.retry import Backoff
from audience_prep._upload.stream import with_progress

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_TIMEOUT", "ClientCore", "Plan"]

DEFAULT_BASE_URL = "https://api.commbox.io/"
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
logger = logging.getLogger("audience_prep.client")


@dataclass(frozen=True)
class Plan:
    """One upload, ready to send; ``members`` counts its distinct non-empty phone1 values."""

    operation: Literal["replace", "create"]
    method: str
    url: str
    target: str
    payload: AudiencePayload
    members: int
    audience_id: str | None = None
    name: str | None = None
    ledger: LedgerPlan | None = None


class ClientCore:
    """Configuration, guards and request/report building shared by both clients."""

    #: The base URL used when neither ``base_url=`` nor ``COMMBOX_API_URL`` gives one.
    DEFAULT_BASE_URL: ClassVar[str] = DEFAULT_BASE_URL
    #: ``progress("upload", sent, total)`` as the body is streamed; None shows nothing.
    progress: ProgressCallback | None = None

    def __init__(
        self,
        *,
        token: str | None,
        base_url: str | None,
        timeout: float | httpx.Timeout,
        max_attempts: int,
        max_retry_time: float,
        attempt_timeout: float | None = None,
        ledger: Ledger | bool = True,
        ledger_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ConfigurationError(f"max_attempts must be at least 1, got {max_attempts}.")
        for name, value in (
            ("max_retry_time", max_retry_time),
            ("attempt_timeout", attempt_timeout),
        ):
            if value is not None and not value > 0:
                raise ConfigurationError(f"{name} must be positive, got {value}.")
        self._token = resolve_token(token)
        self.base_url = resolve_base_url(base_url, default=DEFAULT_BASE_URL)
        self.max_attempts = max_attempts
        self.max_retry_time = max_retry_time
        #: The most one attempt may take, from connecting to the answer's last byte.
        self.attempt_timeout = max_retry_time if attempt_timeout is None else attempt_timeout
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.ledger = resolve_ledger(ledger, ledger_dir)
        self._host = ledger_host(self.base_url)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, token={self._token!r})"

    def _redact(self, text: str) -> str:
        return text if self._token is None else self._token.redact(text)

    def _will_send(self, dry_run: bool) -> None:
        """Before planning a call that sends: the token must be there (a dry run needs none)."""
        if not dry_run:
            require_token(self._token)

    def _history(self, audience_id: str) -> list[LedgerEntry]:
        if self.ledger is None:
            raise ConfigurationError("History needs the ledger; do not pass ledger=False.")
        return self.ledger.history(audience_id, host=self.base_url)

    def _plan_replace(
        self,
        audience_id: str,
        data: AudienceData,
        *,
        guards: Guards,
        validate: bool,
        rollback: LedgerEntry | None = None,
    ) -> Plan:
        """Load, validate, diff and guard one replacement."""
        audience_id = str(audience_id).strip()
        if not audience_id:
            raise ConfigurationError("The audience id is empty; pass the id CommBox shows.")
        payload = load_payload(data)
        source = None
        if rollback is not None:
            source = f"the file of ledger entry {rollback.entry_id} of audience {audience_id}"
        members = judge(data, payload, validate=validate, source=source)
        ledger_plan = None
        if self.ledger is not None:
            facts = upload_facts(
                data,
                payload,
                members,
                asdict(guards),
                manifest=None if rollback is None else rollback.manifest,
            )
            ledger_plan = draft_entry(
                self.ledger,
                operation="rollback" if rollback else "replace",
                audience_id=audience_id,
                host=self._host,
                upload=facts,
                rollback_of=None if rollback is None else rollback.entry_id,
            )
        diff = None if ledger_plan is None else ledger_plan.diff
        guards.check(
            audience_id=audience_id,
            rows=payload.rows,
            members=len(members),
            prepared=_prepared_counts(data),
            diff=diff,
            uncertain=() if diff is None else diff.uncertain,
        )
        url = f"{self.base_url}Audiences/{quote(audience_id, safe='')}"
        target = f"audience {audience_id}"
        return Plan(
            "replace", "PUT", url, target, payload, len(members), audience_id, ledger=ledger_plan
        )

    def _plan_rollback(
        self, audience_id: str, to: int | None, guards: Guards, *, validate: bool
    ) -> Plan:
        """Plan re-uploading a kept file: entry ``to``, else the last different ok upload."""
        if self.ledger is None:
            raise ConfigurationError("Rollback needs the ledger; do not pass ledger=False.")
        audience_id = str(audience_id).strip()
        entries = self.ledger.history(audience_id, host=self._host)
        target = pick_rollback(entries, to, audience_id=audience_id)
        content = self.ledger.kept_file(target)
        logger.info("Rolling audience %s back to entry %d", audience_id, target.entry_id)
        return self._plan_replace(
            audience_id, content, guards=guards, validate=validate, rollback=target
        )

    def _plan_create(
        self, name: str, data: AudienceData, *, max_rejected_share: float, validate: bool
    ) -> Plan:
        if not name.strip():
            raise ConfigurationError("The new audience needs a name, e.g. 'NE_USA-above50'.")
        # Creating an empty audience destroys nothing: only the rejected-share guard applies.
        guards = Guards(allow_empty=True, max_rejected_share=max_rejected_share)
        payload = load_payload(data)
        members = judge(data, payload, validate=validate)
        guards.check(
            audience_id=name,
            rows=payload.rows,
            members=len(members),
            prepared=_prepared_counts(data),
            diff=None,
        )
        ledger_plan = None
        if self.ledger is not None:
            options = {"name": name, "max_rejected_share": max_rejected_share}
            ledger_plan = draft_entry(
                self.ledger,
                operation="create",
                audience_id="",
                host=self._host,
                upload=upload_facts(data, payload, members, options),
            )
        target = f"new audience {name!r}"
        url = f"{self.base_url}audiences"
        members_count = len(members)
        return Plan(
            "create", "POST", url, target, payload, members_count, name=name, ledger=ledger_plan
        )

    def _ledger_begin(self, plan: Plan) -> LedgerEntry | None:
        """Write the write-ahead (pending) entry of a replacement, before anything is sent."""
        if self.ledger is None or plan.ledger is None or plan.operation == "create":
            return None
        return self.ledger.begin(plan.ledger.draft, plan.ledger.members, plan.payload.content)

    def _ledger_fail(self, entry: LedgerEntry | None, exc: CommBoxError) -> None:
        """Record a failed upload: ``failed`` when CommBox refused it, ``unconfirmed`` when it
        answered 2xx outside the contract (it probably applied it), else it stays pending."""
        if self.ledger is None or entry is None:
            return
        status = exc.status_code
        if isinstance(exc, TerminalCommBoxError) and status is not None and 200 <= status < 300:
            reason = f"{type(exc).__name__}: HTTP {status} without the documented JSON answer"
            self.ledger.unconfirm(entry, reason)
            return
        if isinstance(exc, TerminalCommBoxError) and status is not None:
            self.ledger.fail(entry, f"{type(exc).__name__}: HTTP {status}")
            return
        logger.warning(
            "Ledger entry %d of audience %s stays pending: after %s the audience may or may "
            "not hold this upload",
            entry.entry_id,
            entry.audience_id,
            type(exc).__name__,
        )

    def _ledger_commit(
        self, plan: Plan, entry: LedgerEntry | None, report: UploadReport
    ) -> UploadReport:
        """Record a successful upload; a create is recorded under the id CommBox returned."""
        if self.ledger is None or plan.ledger is None:
            return report
        try:
            if entry is None:  # a create: the audience id exists only now
                draft = replace(plan.ledger.draft, audience_id=str(report.audience_id))
                entry = self.ledger.begin(draft, plan.ledger.members, plan.payload.content)
            done = self.ledger.commit(entry, report.to_dict())
        except LedgerError as exc:
            raise LedgerError(
                f"{plan.target.capitalize()} was uploaded ({plan.payload.rows} rows, HTTP "
                f"{report.status_code}), but the ledger could not record it: {exc}",
                path=exc.path,
            ) from exc
        return replace(report, ledger_entry=done.entry_id)

    def _build_request(self, http: httpx.Client | httpx.AsyncClient, plan: Plan) -> httpx.Request:
        payload = plan.payload
        files = {"audience_file": (payload.filename, payload.content, payload.content_type)}
        request = http.build_request(
            plan.method,
            plan.url,
            files=files,
            data={"name": plan.name} if plan.name is not None else None,
            headers={"Authorization": f"Bearer {require_token(self._token).reveal()}"},
        )
        return request if self.progress is None else with_progress(http, request, self.progress)

    def _log_start(self, plan: Plan, *, dry_run: bool) -> None:
        logger.info(
            "%s %s: %d rows, %d bytes, sha256 %s%s",
            plan.operation.capitalize(),
            plan.target,
            plan.payload.rows,
            len(plan.payload.content),
            plan.payload.sha256,
            " (dry run: nothing is sent)" if dry_run else "",
        )

    def _read(
        self, response: httpx.Response, body: bytes, plan: Plan, attempt: int, backoff: Backoff
    ) -> CommBoxAnswer:
        """The one place a response is read: its answer, redacted, or its typed error."""
        if not response.is_success:  # a 2xx is done: its Retry-After means nothing
            backoff.retry_after = retry_after_seconds(response)
        return read_answer(
            response, body, target=plan.target, attempts=attempt, redact=self._redact
        )

    def _translate(self, exc: httpx.HTTPError, plan: Plan, attempt: int) -> AudiencePrepError:
        return translate_http_error(
            exc, target=plan.target, base_url=self.base_url, attempts=attempt, redact=self._redact
        )

    def _too_large(self, response: httpx.Response, plan: Plan, attempt: int) -> CommBoxError:
        return answer_too_large(response, target=plan.target, attempts=attempt)

    def _expired(self, plan: Plan, attempt: int) -> CommBoxError:
        return attempt_expired(
            target=plan.target,
            base_url=self.base_url,
            attempts=attempt,
            seconds=self.attempt_timeout,
        )

    def _new_id(self, plan: Plan, answer: CommBoxAnswer, attempts: int) -> str:
        returned = answer.data.get("id")
        if returned is None or str(returned) == "":
            raise UnexpectedResponseError(
                f"CommBox answered {answer.status_code} for {plan.target} without the new "
                "audience's id (data.id); check the audience list in CommBox before retrying.",
                status_code=answer.status_code,
                description=answer.description,
                response_time=answer.response_time,
                attempts=attempts,
            )
        return str(returned)

    def _report(
        self, plan: Plan, answer: CommBoxAnswer | None, attempts: int, started: float
    ) -> UploadReport:
        audience_id = plan.audience_id
        if answer is not None and plan.operation == "create":
            audience_id = self._new_id(plan, answer, attempts)
        report = UploadReport(
            audience_id=audience_id,
            rows_uploaded=plan.payload.rows,
            members_uploaded=plan.members,
            bytes_uploaded=len(plan.payload.content),
            sha256=plan.payload.sha256,
            status_code=None if answer is None else answer.status_code,
            description=None if answer is None else answer.description,
            response_time=None if answer is None else answer.response_time,
            attempts=attempts,
            elapsed_s=round(time.monotonic() - started, 3),
            dry_run=answer is None,
            operation=plan.operation,
            filename=plan.payload.filename,
            name=plan.name,
            diff=None if plan.ledger is None else plan.ledger.diff,
            rollback_of=None if plan.ledger is None else plan.ledger.draft.rollback_of,
        )
        logger.info("Done: %r", report)
        return report


def _prepared_counts(data: AudienceData) -> SupportsRowCounts | None:
    """The preparation report's counts of a prepared audience; None for a file or bytes."""
    return data.report if isinstance(data, SupportsAudienceBytes) else None

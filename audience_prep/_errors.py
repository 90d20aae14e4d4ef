"""The exception hierarchy of audience_prep.

Every error the library raises derives from :class:`AudiencePrepError`. Subclasses are chosen by
what the caller does next; structured attributes carry the facts, and the message is built in
``__init__`` so that it always says what to do. No exception ever holds the API token.

::

    AudiencePrepError
    ├── ConfigurationError            fix the call: bad option value, missing token, unsafe URL
    │   └── UnknownRegionError        a region code phonenumbers does not know
    ├── InputError                    fix the input file or frame
    │   ├── SourceReadError           unreadable, empty, unknown format, corrupt Excel, no sheet;
    │   │                             past a size limit (sheet, archive, input), not a regular file
    │   ├── NoValidRowsError          the input holds no row that can go to CommBox (CLI gate)
    │   └── InvalidAudienceFileError  a file the uploader did not prepare fails validation
    ├── MappingError                  fix the column mapping (``columns=`` / ``--map``)
    │   ├── MissingColumnError        no column can feed phone1
    │   └── AmbiguousColumnsError     two columns claim one canonical name with equal standing
    ├── SchemaFileError               the audience schema file is missing or malformed
    ├── InternalValidationError       the output failed its own pandera model: a bug, please report
    ├── LedgerError                   the replacement ledger cannot be read or written
    ├── GuardError                    an upload refused by a safety guard; allow it explicitly
    │   ├── EmptyAudienceError        zero members (no phone1 value) would wipe the audience
    │   ├── RejectedShareError        too much of the input was rejected
    │   └── ShrinkGuardError          the replacement would remove too many current members
    └── CommBoxError                  CommBox (or the network) said no
        ├── TerminalCommBoxError      retrying the same request will not help
        │   ├── AudienceRejectedError     400: dynamic audience, bad file, no phone1 column
        │   ├── AuthenticationError       401: invalid or missing token
        │   ├── AudienceNotFoundError     404: no audience with this id
        │   └── UnexpectedResponseError   a body that is not the documented JSON
        └── TransientCommBoxError     may succeed later; raised after retries are exhausted
            ├── RateLimitedError          429
            ├── CommBoxServerError        5xx
            └── CommBoxConnectionError    connect error, timeout, dropped connection
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

__all__ = [
    "AmbiguousColumnsError",
    "AudienceNotFoundError",
    "AudiencePrepError",
    "AudienceRejectedError",
    "AuthenticationError",
    "CommBoxConnectionError",
    "CommBoxError",
    "CommBoxServerError",
    "ConfigurationError",
    "EmptyAudienceError",
    "GuardError",
    "InputError",
    "InternalValidationError",
    "InvalidAudienceFileError",
    "LedgerError",
    "MappingError",
    "MissingColumnError",
    "NoValidRowsError",
    "RateLimitedError",
    "RejectedShareError",
    "SchemaFileError",
    "ShrinkGuardError",
    "SourceReadError",
    "TerminalCommBoxError",
    "TransientCommBoxError",
    "UnexpectedResponseError",
    "UnknownRegionError",
]


class AudiencePrepError(Exception):
    """Root of every error raised by audience_prep."""


class ConfigurationError(AudiencePrepError):
    """An option, URL or credential given to the library cannot be used."""


class UnknownRegionError(ConfigurationError):
    """A region code that phonenumbers does not know."""

    def __init__(self, region: str, *, suggestions: Sequence[str] = ()) -> None:
        self.region = region
        self.suggestions = tuple(suggestions)
        hint = f" Did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(
            f"Unknown region {region!r}: pass an ISO 3166 alpha-2 code such as 'IL', 'US' or "
            f"'GB'.{hint}"
        )


class InputError(AudiencePrepError):
    """The input cannot give an audience as it is; fix the file or frame."""


class SourceReadError(InputError):
    """The source could not be read as a table."""

    def __init__(
        self,
        source: str,
        reason: str,
        *,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.source = source
        self.reason = reason
        self.row = row
        self.column = column
        self.hint = hint
        where = source
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column!r}"
        message = f"Cannot read {where}: {reason}"
        if hint:
            message += f" {hint}"
        super().__init__(message)


class NoValidRowsError(InputError):
    """The input was read, but not one row can go to CommBox."""

    def __init__(self, source: str, rows_read: int, rejected_by_reason: dict[str, int]) -> None:
        self.source = source
        self.rows_read = rows_read
        self.rejected_by_reason = dict(rejected_by_reason)
        if rows_read == 0:
            detail = "it has a header but no data rows"
        else:
            reasons = ", ".join(f"{k}={v}" for k, v in sorted(self.rejected_by_reason.items()))
            detail = f"all {rows_read} rows were rejected ({reasons})"
        super().__init__(
            f"No valid audience in {source}: {detail}. Check the region and the column mapping."
        )


class InvalidAudienceFileError(InputError):
    """An audience file the uploader did not prepare fails validation; nothing was sent."""

    def __init__(
        self,
        source: str,
        *,
        rows: int,
        phone_format: str,
        counts: Mapping[str, int],
        first: Sequence[str],
    ) -> None:
        self.source = source
        self.rows = rows
        #: The phone1 form the file was checked against: its own (see ``ap.validate``).
        self.phone_format = phone_format
        #: Failures by check, as ``ValidationReport.counts``.
        self.counts = dict(counts)
        #: The first failures, one line each (``ValidationReport.first()``).
        self.first = tuple(" ".join(line.split()) for line in first)
        self.failures = sum(self.counts.values())
        by_check = ", ".join(f"{check}={n}" for check, n in self.counts.items())
        shown = "; ".join(self.first)
        more = self.failures - len(self.first)
        if more > 0:
            shown += f"; and {more} more"
        form = "E.164 (+ and digits)" if phone_format == "e164" else "digits (no +)"
        super().__init__(
            f"Refusing to upload {source}: it is not a compliant audience file "
            f"({self.failures} failures in {rows} rows: {by_check}; phone1 checked as "
            f"{form}, the form of most of its cells): {shown}. Fix the file "
            "(audience_prep.validate() or `audience-prep validate FILE` lists every failure), "
            "or prepare the export with audience_prep.prepare()."
        )


class MappingError(AudiencePrepError):
    """The source columns cannot be mapped onto the schema without help."""


class MissingColumnError(MappingError):
    """No source column can feed a required canonical column."""

    def __init__(
        self,
        source: str,
        canonical: str,
        headers: Sequence[str],
        closest: Sequence[str] = (),
        *,
        likely_header: str | None = None,
        sheets: Sequence[str] = (),
    ) -> None:
        self.source = source
        self.canonical = canonical
        self.headers = tuple(headers)
        self.closest = tuple(closest)
        self.likely_header = likely_header
        #: A workbook's sheets, none of which had the column (the headers are its first's).
        self.sheets = tuple(sheets)
        found = ", ".join(repr(h) for h in self.headers) or "none"
        message = f"No column for {canonical!r} in {source}"
        if self.sheets:
            listed = ", ".join(repr(s) for s in self.sheets)
            message += f" (none of its sheets has one: {listed}; pass sheet=, CLI --sheet)"
            found += f" (sheet {self.sheets[0]!r})"
        message += f". Headers found: {found}."
        if self.closest:
            message += f" Closest known aliases: {', '.join(repr(c) for c in self.closest)}."
        example = likely_header or "YOUR HEADER"
        message += (
            f" Map one explicitly: columns={{{example!r}: {canonical!r}}} "
            f'(CLI: --map "{example}={canonical}").'
        )
        super().__init__(message)


class AmbiguousColumnsError(MappingError):
    """Two or more source columns claim one canonical column with equal standing."""

    def __init__(self, source: str, canonical: str, headers: Sequence[str]) -> None:
        self.source = source
        self.canonical = canonical
        self.headers = tuple(headers)
        names = " and ".join(repr(h) for h in self.headers)
        first = self.headers[0]
        super().__init__(
            f"Columns {names} in {source} both map to {canonical!r}; refusing to guess. "
            f"Choose one: columns={{{first!r}: {canonical!r}}} "
            f'(CLI: --map "{first}={canonical}").'
        )


class SchemaFileError(AudiencePrepError):
    """An audience schema file is missing or malformed."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"Schema {path}: {reason}")


class InternalValidationError(AudiencePrepError):
    """The prepared audience failed its own pandera model: a bug in an earlier stage."""

    def __init__(self, failures: str) -> None:
        self.failures = failures
        super().__init__(
            "The prepared audience failed its schema; this is a bug in audience_prep, please "
            f"report it with these failure cases:\n{failures}"
        )


class LedgerError(AudiencePrepError):
    """The replacement ledger cannot be read or written; fix its directory or turn it off."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        super().__init__(message)


class GuardError(AudiencePrepError):
    """An upload was refused by a safety guard; the caller may allow it explicitly."""


class EmptyAudienceError(GuardError):
    """The upload holds zero members (no phone1 value) and would remove every member."""

    def __init__(self, audience_id: str) -> None:
        self.audience_id = audience_id
        super().__init__(
            f"Refusing to replace audience {audience_id} with zero members (no phone1 value): "
            "that would remove every member. Pass allow_empty=True (CLI: --allow-empty) if "
            "that is intended."
        )


class RejectedShareError(GuardError):
    """The prepared audience rejected more of its input than the caller allowed."""

    def __init__(self, audience_id: str, rows_read: int, rows_rejected: int, limit: float) -> None:
        self.audience_id = audience_id
        self.rows_read = rows_read
        self.rows_rejected = rows_rejected
        self.limit = limit
        share = rows_rejected / rows_read if rows_read else 0.0
        super().__init__(
            f"Refusing to replace audience {audience_id}: {rows_rejected} of {rows_read} input "
            f"rows ({share:.1%}) were rejected, above the allowed {limit:.1%}. Inspect the "
            "rejects, or raise max_rejected_share (CLI: --max-rejected-share)."
        )


class ShrinkGuardError(GuardError):
    """The replacement would remove too many current members, or leave too few members."""

    def __init__(
        self,
        audience_id: str,
        *,
        members: int,
        previous_members: int = 0,
        removed: int = 0,
        max_removed_share: float = 1.0,
        min_rows: int = 0,
    ) -> None:
        self.audience_id = audience_id
        #: The members (distinct non-empty phone1 values) of the refused file.
        self.members = members
        self.previous_members = previous_members
        self.removed = removed
        self.max_removed_share = max_removed_share
        #: The fewest members the caller allowed (``min_rows=``).
        self.min_rows = min_rows
        if members < min_rows:
            why = f"the new audience has {members} members, fewer than the required {min_rows}"
        else:
            share = removed / previous_members if previous_members else 0.0
            why = (
                f"it would remove {removed} of its {previous_members} current members "
                f"({share:.1%}), above the allowed {max_removed_share:.1%}"
            )
        super().__init__(
            f"Refusing to replace audience {audience_id}: {why}. Check that the export is "
            "complete (not a filtered view or a half-synced table); if the shrink is intended, "
            "pass allow_shrink=True (CLI: --allow-shrink)."
        )


class CommBoxError(AudiencePrepError):
    """CommBox, or the network on the way to it, refused or failed a request."""

    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        description: str | None = None,
        response_time: str | None = None,
        attempts: int = 1,
    ) -> None:
        self.status_code = status_code
        self.description = description
        self.response_time = response_time
        self.attempts = attempts
        super().__init__(message)


class TerminalCommBoxError(CommBoxError):
    """Retrying the same request will not help; fix the request, file or credentials."""


class AudienceRejectedError(TerminalCommBoxError):
    """400: CommBox rejected the file or the audience (dynamic, bad file, no phone1)."""


class AuthenticationError(TerminalCommBoxError):
    """401: the API token is invalid or missing."""


class AudienceNotFoundError(TerminalCommBoxError):
    """404: no audience exists with the given id."""


class UnexpectedResponseError(TerminalCommBoxError):
    """CommBox answered with a status or body outside the documented contract."""


class TransientCommBoxError(CommBoxError):
    """The request may succeed later; raised once retries are exhausted."""

    retryable: ClassVar[bool] = True


class RateLimitedError(TransientCommBoxError):
    """429: CommBox throttled the requests."""


class CommBoxServerError(TransientCommBoxError):
    """5xx: CommBox failed internally."""


class CommBoxConnectionError(TransientCommBoxError):
    """The request did not complete: connect error, timeout or dropped connection."""

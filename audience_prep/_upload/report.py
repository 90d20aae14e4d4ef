"""UploadReport: what one upload sent and what CommBox answered."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from audience_prep._ledger.diff import ReplacementDiff

__all__ = ["UploadReport"]


@dataclass(frozen=True, repr=False)
class UploadReport:
    """What one upload sent and what CommBox answered; ``to_dict()`` for JSON output.

    ``rows_uploaded`` (data rows) and ``members_uploaded`` (distinct non-empty ``phone1``
    values: the members the audience will hold) are counted from the bytes sent, never taken
    from the caller. ``description`` and ``response_time`` are CommBox's, with any echo of the
    API token redacted. A dry run has
    ``dry_run=True``, ``status_code=None`` and ``attempts=0``. For ``create_audience`` the
    ``audience_id`` is the id CommBox returned (None on a dry run). With a ledger, ``diff`` is
    what the replacement adds and removes (also on a dry run) and ``ledger_entry`` the id of
    the entry that recorded the upload (None on a dry run).
    """

    audience_id: str | None
    rows_uploaded: int
    bytes_uploaded: int
    sha256: str
    status_code: int | None
    description: str | None
    response_time: str | None
    attempts: int
    elapsed_s: float
    dry_run: bool
    operation: Literal["replace", "create"]
    filename: str
    name: str | None = None
    diff: ReplacementDiff | None = None
    ledger_entry: int | None = None
    rollback_of: int | None = None
    members_uploaded: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready values (the diff as counts, never phones)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["diff"] = None if self.diff is None else self.diff.to_dict()
        return data

    def _repr_html_(self) -> str:
        from audience_prep._display import upload_html

        return upload_html(self)

    def __repr__(self) -> str:
        outcome = "dry run" if self.dry_run else f"status {self.status_code}"
        return (
            f"<UploadReport {self.operation} audience={self.audience_id!r} "
            f"rows={self.rows_uploaded} bytes={self.bytes_uploaded} {outcome} "
            f"attempts={self.attempts} elapsed={self.elapsed_s:.2f}s>"
        )

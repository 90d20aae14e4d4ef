"""The upload guards: one frozen object holding the caller's choices, checked in one place.

A replacement of a CommBox audience removes every member the file does not hold, so before
anything is sent the uploader refuses, unless the caller explicitly allows it:

- an upload of zero data rows (``allow_empty``), which would empty the audience;
- a prepared audience that rejected more than ``max_rejected_share`` of its input rows;
- fewer than ``min_rows`` data rows (``allow_shrink`` lets it through);
- a replacement that removes more than ``max_removed_share`` of the previous members the ledger
  recorded (``allow_shrink`` lets it through; a first upload has nothing to remove).

The values are validated when the object is built, so a bad value fails before any file is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from audience_prep._errors import (
    ConfigurationError,
    EmptyAudienceError,
    RejectedShareError,
    ShrinkGuardError,
)

__all__ = ["Guards", "ShrinkBasis", "SupportsRowCounts"]


class SupportsRowCounts(Protocol):
    """The part of a preparation report the rejected-share guard reads."""

    @property
    def rows_read(self) -> int: ...

    @property
    def rows_rejected(self) -> int: ...


class ShrinkBasis(Protocol):
    """What the shrink guard reads of a replacement diff (the ledger's ``ReplacementDiff``)."""

    @property
    def previous_members(self) -> int: ...

    @property
    def removed(self) -> int: ...

    @property
    def removed_share(self) -> float: ...


@dataclass(frozen=True, slots=True)
class Guards:
    """The safety guards of one upload (see the module docstring for each)."""

    allow_empty: bool = False
    max_rejected_share: float = 0.5
    max_removed_share: float = 0.3
    min_rows: int = 0
    allow_shrink: bool = False

    def __post_init__(self) -> None:
        for name in ("max_rejected_share", "max_removed_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigurationError(f"{name} must be between 0 and 1, got {value!r}.")
        if self.min_rows < 0:
            raise ConfigurationError(f"min_rows must not be negative, got {self.min_rows}.")

    def check(
        self,
        *,
        audience_id: str,
        rows: int,
        prepared: SupportsRowCounts | None,
        diff: ShrinkBasis | None,
    ) -> None:
        """Raise the first guard the upload breaks: empty, rejected share, then shrink.

        ``rows`` are the data rows of the file about to be sent, ``prepared`` the report of a
        prepared audience (None for a file), ``diff`` the comparison with the ledger (None
        without a ledger, or for a create).
        """
        if rows == 0 and not self.allow_empty:
            raise EmptyAudienceError(audience_id)
        if prepared is not None and prepared.rows_read:
            read, rejected = prepared.rows_read, prepared.rows_rejected
            if rejected / read > self.max_rejected_share:
                raise RejectedShareError(audience_id, read, rejected, self.max_rejected_share)
        if self.allow_shrink:
            return
        if rows < self.min_rows:
            raise ShrinkGuardError(audience_id, rows=rows, min_rows=self.min_rows)
        if diff is not None and diff.removed_share > self.max_removed_share:
            raise ShrinkGuardError(
                audience_id,
                rows=rows,
                previous_members=diff.previous_members,
                removed=diff.removed,
                max_removed_share=self.max_removed_share,
            )

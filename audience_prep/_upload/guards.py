"""The upload guards: one frozen object holding the caller's choices, checked in one place.

A replacement of a CommBox audience removes every member the file does not hold, so before
anything is sent the uploader refuses, unless the caller explicitly allows it:

- an upload of zero members (``allow_empty``), which would empty the audience;
- a prepared audience that rejected more than ``max_rejected_share`` of its input rows;
- fewer than ``min_rows`` members (``allow_shrink`` lets it through);
- a replacement that removes more than ``max_removed_share`` of the members of the last
  confirmed upload the ledger recorded, or of any upload the audience may hold instead (one
  never confirmed): ``allow_shrink`` lets it through; a first upload has nothing to remove.

Members, not rows, are counted: the distinct non-empty ``phone1`` values of the file (the
ledger's ``read_members`` rules), with or without a ledger. A row without a phone adds nobody,
so a file whose every ``phone1`` is blank is an empty audience however many rows it has.

The values are validated when the object is built, so a bad value fails before any file is read.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    """What the shrink guard reads of one state the audience may be in.

    The ledger's ``ReplacementDiff`` (against the last confirmed upload) and its
    ``UncertainBasis`` (against an upload never confirmed) both are one.
    """

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
        members: int | None = None,
        uncertain: Sequence[ShrinkBasis] = (),
    ) -> None:
        """Raise the first guard the upload breaks: empty, rejected share, then shrink.

        ``rows`` are the data rows of the file about to be sent and ``members`` its members;
        the empty guard and ``min_rows`` count members (when ``members`` is None, each row
        counts as one). ``prepared`` is the report of a prepared audience (None for a file),
        ``diff`` the comparison with the last confirmed upload in the ledger (None without a
        ledger, or for a create), ``uncertain`` the comparisons with the uploads the audience
        may hold instead; the upload is refused when any of them removes too much, and the
        error names the largest removal.
        """
        count = rows if members is None else members
        if count == 0 and not self.allow_empty:
            raise EmptyAudienceError(audience_id)
        if prepared is not None and prepared.rows_read:
            read, rejected = prepared.rows_read, prepared.rows_rejected
            if rejected / read > self.max_rejected_share:
                raise RejectedShareError(audience_id, read, rejected, self.max_rejected_share)
        if self.allow_shrink:
            return
        if count < self.min_rows:
            raise ShrinkGuardError(audience_id, members=count, min_rows=self.min_rows)
        bases = [*([] if diff is None else [diff]), *uncertain]
        worst = max(bases, key=lambda basis: basis.removed_share, default=None)
        if worst is not None and worst.removed_share > self.max_removed_share:
            raise ShrinkGuardError(
                audience_id,
                members=count,
                previous_members=worst.previous_members,
                removed=worst.removed,
                max_removed_share=self.max_removed_share,
            )

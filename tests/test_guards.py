"""The upload guards as a table: one frozen object, checked in one place."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass

import pytest

import audience_prep as ap
from audience_prep._upload.guards import Guards


@dataclass(frozen=True)
class Counts:
    rows_read: int
    rows_rejected: int


@dataclass(frozen=True)
class Diff:
    previous_members: int
    removed: int

    @property
    def removed_share(self) -> float:
        return self.removed / self.previous_members if self.previous_members else 0.0


CASES = [
    # guards, rows, prepared, diff, expected error (None: passes)
    (Guards(), 10, None, None, None),
    (Guards(), 0, None, None, ap.EmptyAudienceError),
    (Guards(allow_empty=True), 0, None, None, None),
    (Guards(), 10, Counts(100, 50), None, None),  # exactly the share allowed
    (Guards(), 10, Counts(100, 51), None, ap.RejectedShareError),
    (Guards(max_rejected_share=0.6), 10, Counts(100, 51), None, None),
    (Guards(), 10, Counts(0, 0), None, None),
    (Guards(min_rows=11), 10, None, None, ap.ShrinkGuardError),
    (Guards(min_rows=11, allow_shrink=True), 10, None, None, None),
    (Guards(), 10, None, Diff(100, 30), None),
    (Guards(), 10, None, Diff(100, 31), ap.ShrinkGuardError),
    (Guards(allow_shrink=True), 10, None, Diff(100, 100), None),
    (Guards(max_removed_share=1.0), 10, None, Diff(100, 100), None),
    # the empty guard comes first, even when the shrink is allowed
    (Guards(allow_shrink=True), 0, None, Diff(100, 100), ap.EmptyAudienceError),
    # allow_shrink does not lift the rejected-share guard
    (Guards(allow_shrink=True), 10, Counts(10, 9), None, ap.RejectedShareError),
]


@pytest.mark.parametrize(("guards", "rows", "prepared", "diff", "error"), CASES)
def test_guards(
    guards: Guards,
    rows: int,
    prepared: Counts | None,
    diff: Diff | None,
    error: type[ap.GuardError] | None,
) -> None:
    check = {"audience_id": "1", "rows": rows, "prepared": prepared, "diff": diff}
    if error is None:
        guards.check(**check)  # type: ignore[arg-type]
    else:
        with pytest.raises(error):
            guards.check(**check)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "options",
    [
        {"max_rejected_share": -0.1},
        {"max_rejected_share": 1.5},
        {"max_removed_share": 2},
        {"min_rows": -1},
    ],
)
def test_bad_values_fail_when_the_guards_are_built(options: dict[str, float]) -> None:
    with pytest.raises(ap.ConfigurationError):
        Guards(**options)  # type: ignore[arg-type]


def test_guards_are_frozen() -> None:
    with pytest.raises(FrozenInstanceError):
        Guards().allow_empty = True  # type: ignore[misc]

"""The dedupe stage: one row per phone, recording which kept row each duplicate duplicated.

Policies (``keep=``):

- ``"first"``: the earliest row (lowest source row) of each phone is kept;
- ``"last"``: the latest row is kept;
- ``"most_complete"``: the row with the most non-empty cells is kept; ties go to the earliest.

Kept rows stay in source order. Every other row of a phone is returned as a duplicate with
``duplicate_of`` set to the source row of the kept one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

import polars as pl

from audience_prep._errors import ConfigurationError

Keep = Literal["first", "last", "most_complete"]
KEEP_POLICIES: Final = ("first", "last", "most_complete")
DUPLICATE_OF = "duplicate_of"


def check_keep(keep: str) -> None:
    """Raise ConfigurationError unless ``keep`` is a known policy."""
    if keep not in KEEP_POLICIES:
        raise ConfigurationError(f"keep must be one of {', '.join(KEEP_POLICIES)}, not {keep!r}.")


def dedupe(
    frame: pl.DataFrame,
    *,
    key: str,
    row: str,
    keep: Keep = "first",
    completeness: Sequence[str] = (),
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split ``frame`` (sorted by ``row``) into kept rows and duplicates (with DUPLICATE_OF).

    ``completeness`` names the cells counted by ``"most_complete"``.
    """
    check_keep(keep)
    winner = _winner(key, row, keep, completeness).alias(DUPLICATE_OF)
    marked = frame.with_columns(winner)
    is_kept = pl.col(DUPLICATE_OF) == pl.col(row)
    kept = marked.filter(is_kept).drop(DUPLICATE_OF)
    duplicates = marked.filter(~is_kept)
    return kept, duplicates


def _winner(key: str, row: str, keep: Keep, completeness: Sequence[str]) -> pl.Expr:
    """The source row of the kept row of each key, broadcast to every row of that key."""
    if keep == "first":
        return pl.col(row).min().over(key)
    if keep == "last":
        return pl.col(row).max().over(key)
    filled = (
        pl.sum_horizontal(
            (pl.col(c).is_not_null() & (pl.col(c).str.strip_chars() != "")).cast(pl.Int32)
            for c in completeness
        )
        if completeness
        else pl.lit(0)
    )
    return pl.col(row).sort_by([filled, pl.col(row)], descending=[True, False]).first().over(key)

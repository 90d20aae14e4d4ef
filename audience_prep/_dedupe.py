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
DUPLICATE_OF_FILE = "__duplicate_of_file"
_ORDINAL = "__ordinal"


def check_keep(keep: str) -> None:
    """Raise ConfigurationError unless ``keep`` is a known policy."""
    if keep not in KEEP_POLICIES:
        raise ConfigurationError(f"keep must be one of {', '.join(KEEP_POLICIES)}, not {keep!r}.")


def dedupe(
    frame: pl.DataFrame,
    *,
    key: str,
    row: str,
    file: str,
    keep: Keep = "first",
    completeness: Sequence[str] = (),
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split ``frame`` (in source order) into kept rows and duplicates.

    Duplicates carry DUPLICATE_OF (the kept row's ``row``) and DUPLICATE_OF_FILE (its
    ``file``): with several input files, row numbers alone are not unique. ``completeness``
    names the cells counted by ``"most_complete"``.
    """
    check_keep(keep)
    numbered = frame.with_row_index(_ORDINAL)
    winner = _winner(key, keep, completeness)
    marked = numbered.with_columns(winner.alias(_ORDINAL + "_kept"))
    is_kept = pl.col(_ORDINAL + "_kept") == pl.col(_ORDINAL)
    kept = marked.filter(is_kept).drop(_ORDINAL, _ORDINAL + "_kept")
    lookup = marked.filter(is_kept).select(
        pl.col(_ORDINAL).alias(_ORDINAL + "_kept"),
        pl.col(row).alias(DUPLICATE_OF),
        pl.col(file).alias(DUPLICATE_OF_FILE),
    )
    duplicates = (
        marked.filter(~is_kept)
        .join(lookup, on=_ORDINAL + "_kept", how="left", maintain_order="left")
        .drop(_ORDINAL, _ORDINAL + "_kept")
    )
    return kept, duplicates


def _winner(key: str, keep: Keep, completeness: Sequence[str]) -> pl.Expr:
    """The ordinal of the kept row of each key, broadcast to every row of that key."""
    ordinal = pl.col(_ORDINAL)
    if keep == "first":
        return ordinal.min().over(key)
    if keep == "last":
        return ordinal.max().over(key)
    filled = (
        pl.sum_horizontal(
            (pl.col(c).is_not_null() & (pl.col(c).str.strip_chars() != "")).cast(pl.Int32)
            for c in completeness
        )
        if completeness
        else pl.lit(0)
    )
    return ordinal.sort_by([filled, ordinal], descending=[True, False]).first().over(key)

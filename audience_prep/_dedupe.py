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
    if keep == "most_complete":
        numbered = frame.with_row_index(_ORDINAL)
        is_kept = _winner(key, completeness) == pl.col(_ORDINAL)
        marked = numbered.with_columns(is_kept.alias("__kept")).drop(_ORDINAL)
    else:
        distinct = (
            pl.col(key).is_first_distinct() if keep == "first" else pl.col(key).is_last_distinct()
        )
        marked = frame.with_columns(distinct.alias("__kept"))
    kept = marked.filter(pl.col("__kept")).drop("__kept")
    lookup = kept.select(
        pl.col(key), pl.col(row).alias(DUPLICATE_OF), pl.col(file).alias(DUPLICATE_OF_FILE)
    )
    duplicates = (
        marked.filter(~pl.col("__kept"))
        .drop("__kept")
        .join(lookup, on=key, how="left", maintain_order="left")
    )
    return kept, duplicates


def _winner(key: str, completeness: Sequence[str]) -> pl.Expr:
    """The ordinal of the most complete row of each key (ties: the earliest)."""
    ordinal = pl.col(_ORDINAL)
    filled = (
        pl.sum_horizontal(
            (pl.col(c).is_not_null() & (pl.col(c).str.strip_chars() != "")).cast(pl.Int32)
            for c in completeness
        )
        if completeness
        else pl.lit(0)
    )
    return ordinal.sort_by([filled, ordinal], descending=[True, False]).first().over(key)

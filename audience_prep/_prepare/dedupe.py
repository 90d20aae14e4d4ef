"""The dedupe stage: one row per phone, recording which kept row each duplicate duplicated.

Policies (``keep=``):

- ``"first"``: the earliest row (lowest source row) of each phone is kept;
- ``"last"``: the latest row is kept;
- ``"most_complete"``: the row with the most non-empty cells is kept; ties go to the earliest.

The stage decides by row positions (:class:`DedupePlan`): kept rows in source order, and each
other row of a phone as a duplicate of the kept one. The pipeline gathers the rows' cells once
and sets ``duplicate_of`` to the source row of the kept one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, get_args

import polars as pl

from audience_prep._errors import ConfigurationError
from audience_prep._options import Keep

KEEP_POLICIES: Final = get_args(Keep)
_ORDINAL = "__ordinal"
_KEY = "__key"


def check_keep(keep: str) -> None:
    """Raise ConfigurationError unless ``keep`` is a known policy."""
    if keep not in KEEP_POLICIES:
        raise ConfigurationError(f"keep must be one of {', '.join(KEEP_POLICIES)}, not {keep!r}.")


@dataclass(frozen=True, slots=True)
class DedupePlan:
    """Which rows of a frame the dedupe keeps, as row positions (UInt32, source order).

    ``duplicate_of[i]`` is the position of the kept row that ``duplicates[i]`` duplicates.
    Rows whose key is null are in neither (they have no phone to dedupe on).
    """

    kept: pl.Series
    duplicates: pl.Series
    duplicate_of: pl.Series


def plan_dedupe(
    frame: pl.DataFrame, *, key: str, keep: Keep = "first", completeness: Sequence[str] = ()
) -> DedupePlan:
    """The :class:`DedupePlan` of ``frame`` (in source order) by ``key`` under ``keep``.

    Only the key (and, for ``"most_complete"``, the ``completeness`` cells) are read: the
    caller gathers each part's columns once.
    """
    check_keep(keep)
    column = frame.get_column(key)
    present = column.is_not_null()
    at = present.arg_true().cast(pl.UInt32)
    keys = _compact_key(column.filter(present) if column.null_count() else column)
    if keep == "most_complete":
        cells = frame.select(*completeness)
        if column.null_count():
            cells = cells.filter(present)
        ranked = cells.with_columns(keys.alias(_KEY))
        winner = ranked.with_row_index(_ORDINAL).select(_winner(_KEY, completeness)).to_series()
        winner = winner.cast(pl.UInt32)
    else:
        winner = _first_or_last(keys, keep)
    is_kept = winner == pl.int_range(len(keys), dtype=pl.UInt32, eager=True)
    return DedupePlan(
        kept=at.filter(is_kept),
        duplicates=at.filter(~is_kept),
        duplicate_of=at.gather(winner.filter(~is_kept)),
    )


def _compact_key(keys: pl.Series) -> pl.Series:
    """``keys`` as unsigned integers when that keeps exactly the same groups (hashed much
    faster than text), else ``keys`` itself.

    That is when every key is 1 to 19 digits not starting with 0 (fits an unsigned 64-bit
    integer), all after a '+' or none: an E.164 or digits-only phone column.
    """
    if keys.dtype != pl.String:
        return keys
    plus = keys.str.starts_with("+")
    digits = keys.str.strip_prefix("+")
    same_form = bool(plus.all()) or not bool(plus.any())
    if not same_form or not bool(digits.str.contains(r"^[1-9][0-9]{0,18}$").all()):
        return keys
    return digits.cast(pl.UInt64)


def _first_or_last(keys: pl.Series, keep: Keep) -> pl.Series:
    """For ``"first"`` or ``"last"``: each row's kept row (the position of its key's first or
    last row).

    One hash window gives every row its key's first (or last) position. At 780k phones it
    measured 0.03 s, against 0.065 s for a hash aggregation joined back, and 0.19 s (at 750k)
    for a stable sort by key, which slows down further when keys repeat.
    """
    positions = pl.int_range(len(keys), dtype=pl.UInt32, eager=True)
    at = pl.col("at")
    pick = at.min() if keep == "first" else at.max()
    return pl.DataFrame({"key": keys, "at": positions}).select(pick.over("key")).to_series()


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

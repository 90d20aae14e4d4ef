"""Build the rejected-rows frame: where each dropped row came from, and why."""

from __future__ import annotations

import polars as pl

from audience_prep._prepare.read.table import RawTable
from audience_prep._prepare.working import (
    BROKEN_QUOTES,
    DUPLICATE_OF,
    DUPLICATE_OF_FILE,
    FILE,
    MALFORMED,
    PHONE,
    RAW,
    REASON,
    REGION,
    REGION_RAW,
    ROW,
    UNDECODABLE,
)
from audience_prep._reasons import Reason

#: Leading columns of ``Prepared.rejected``, before the row's original cells.
META_COLUMNS = ("source_file", "source_row", "raw_phone", "reason", "message", "duplicate_of")


def rejected_rows(invalid: pl.Series, duplicates: pl.Series, of: pl.Series) -> pl.DataFrame:
    """The rejected rows of the phone stage's frame, in source order: ``at`` (position) and
    ``of`` (for a duplicate, the position of the row it duplicates; else null).

    ``invalid`` are positions of rows without a phone, ``duplicates`` those of duplicates and
    ``of`` their kept rows' positions (as UInt32: polars' own index type is UInt64 on its
    64-bit runtime). The sort reads these narrow columns only.
    """
    no_phone = pl.DataFrame({"at": invalid.cast(pl.UInt32)}).with_columns(
        pl.lit(None, pl.UInt32).alias("of")
    )
    dropped = pl.DataFrame({"at": duplicates.cast(pl.UInt32), "of": of.cast(pl.UInt32)})
    return pl.concat([no_phone, dropped]).sort("at")


def build_rejected(rows: pl.DataFrame, malformed: pl.DataFrame, table: RawTable) -> pl.DataFrame:
    """One row per rejected input row, in source order, with meta columns then original cells.

    ``rows`` are the rows the phone stage rejected or the dedupe dropped, in source order;
    a duplicate has DUPLICATE_OF and DUPLICATE_OF_FILE set. ``malformed`` rows are merged in.
    An original header that collides with a meta column is kept as ``"<header> (source)"``.
    """
    rows = _rechunked(rows, RAW, REGION, REGION_RAW, PHONE, DUPLICATE_OF_FILE)
    originals = [
        pl.col(h).alias(f"{h} (source)" if h in META_COLUMNS else h) for h in table.headers
    ]
    is_duplicate = pl.col(DUPLICATE_OF).is_not_null()
    rows = rows.with_columns(
        pl.when(is_duplicate)
        .then(pl.lit(Reason.DUPLICATE.value))
        .otherwise(pl.col(REASON))
        .alias(REASON)
    )
    rejected = rows.select(
        pl.col(FILE).alias("source_file"),
        pl.col(ROW).alias("source_row"),
        pl.col(RAW).alias("raw_phone"),
        pl.col(REASON).alias("reason"),
        _messages(rows, several_files=len(table.files) > 1),
        pl.col(DUPLICATE_OF).cast(pl.Int64).alias("duplicate_of"),
        *originals,
    )
    if not malformed.height and len(table.files) == 1:
        return rejected  # already in source order
    undecodable = pl.col(MALFORMED) == UNDECODABLE
    malformed_part = malformed.select(
        pl.col(FILE).alias("source_file"),
        pl.col(ROW).alias("source_row"),
        pl.lit(None, pl.String).alias("raw_phone"),
        pl.when(undecodable)
        .then(pl.lit(Reason.UNDECODABLE.value))
        .otherwise(pl.lit(Reason.MALFORMED_ROW.value))
        .alias("reason"),
        pl.when(undecodable)
        .then(_undecodable_message(table.headers))
        .when(pl.col(MALFORMED) == BROKEN_QUOTES)
        .then(
            pl.lit(
                "a quote in the row is not written as CSV allows (text after a closing quote, "
                "or a quote left open); its cells are shown as written, split at each delimiter"
            )
        )
        .otherwise(
            pl.lit(
                f"the row does not have the header's {len(table.headers)} fields "
                "(a stray delimiter or quote)"
            )
        )
        .alias("message"),
        pl.lit(None, pl.Int64).alias("duplicate_of"),
        *originals,
    )
    order = {name: position for position, name in enumerate(table.files)}
    file_order = pl.col("source_file").replace_strict(order, default=0, return_dtype=pl.Int64)
    return pl.concat([malformed_part, rejected], how="vertical").sort(file_order, "source_row")


def _undecodable_message(headers: tuple[str, ...]) -> pl.Expr:
    """Which column of an undecodable row holds the first byte its encoding could not decode
    (shown as U+FFFD in the rejected cells)."""
    if not headers:
        return pl.lit("the row holds bytes that are not UTF-8")
    first = pl.coalesce(
        pl.when(pl.col(h).str.contains("\ufffd", literal=True)).then(pl.lit(h)) for h in headers
    )
    return pl.format(
        'the cell in column "{}" holds bytes that are not UTF-8 (shown as \ufffd); the row '
        "is not uploaded garbled",
        first.fill_null("?"),
    )


def _rechunked(frame: pl.DataFrame, *names: str) -> pl.DataFrame:
    """``frame`` with the text columns that ``pl.format`` reads in one chunk each.

    polars 2.1 panics formatting a String column whose first chunk is empty (as a filter of
    a column built from several chunks leaves it); one chunk each avoids that, and these
    columns are narrow.
    """
    present = [name for name in names if name in frame.columns]
    return frame.with_columns(frame.select(present).rechunk())


def _duplicate_message(several_files: bool) -> pl.Expr:
    """Which kept row a duplicate duplicated; with several files, in which file."""
    if several_files:
        return pl.format(
            "duplicate of row {} of {} ({})",
            pl.col(DUPLICATE_OF),
            pl.col(DUPLICATE_OF_FILE),
            pl.col(PHONE),
        )
    return pl.format("duplicate of row {} ({})", pl.col(DUPLICATE_OF), pl.col(PHONE))


def _messages(rows: pl.DataFrame, *, several_files: bool) -> pl.Series:
    """``message`` for every row of ``rows``: each reason's sentence is formatted on that
    reason's rows only (formatting every sentence for every row and picking one per row
    would build all of them: 1.5 GB for 3.6M rejects)."""
    order = "__order"
    numbered = rows.lazy().with_columns(pl.int_range(pl.len(), dtype=pl.UInt32).alias(order))
    reasons = rows.get_column(REASON).unique().to_list()
    parts = [
        numbered.filter(pl.col(REASON).eq_missing(reason)).select(
            order, _message(reason, rows.columns, several_files).cast(pl.String).alias("message")
        )
        for reason in reasons
    ]
    empty = pl.LazyFrame(schema={order: pl.UInt32, "message": pl.String})
    return pl.concat([empty, *parts]).sort(order).collect().get_column("message")


def _message(reason: str | None, columns: list[str], several_files: bool) -> pl.Expr:
    """The one-line explanation of ``reason``, naming the cell text and region."""
    region_cell = pl.col(REGION_RAW).fill_null("") if REGION_RAW in columns else pl.lit("")
    raw = pl.col(RAW).fill_null("")
    region = (
        pl.when(pl.col(REGION) == "").then(pl.lit("none")).otherwise(pl.col(REGION).fill_null("?"))
    )
    if reason == Reason.DUPLICATE:
        return _duplicate_message(several_files)
    if reason == Reason.MISSING_PHONE:
        return pl.lit("no phone number in the phone columns")
    if reason == Reason.UNPARSEABLE:
        return pl.format("'{}' cannot be read as a phone number (region {})", raw, region)
    if reason == Reason.INVALID_NUMBER:
        return pl.format("'{}' is not a valid phone number (region {})", raw, region)
    if reason == Reason.TOO_LONG:
        return pl.format("'{}' is longer than the 15 digits E.164 allows", raw)
    if reason == Reason.NOT_MOBILE:
        return pl.format("'{}' is valid but not a mobile number", raw)
    if reason == Reason.SCIENTIFIC_NOTATION:
        return pl.format("'{}' is in scientific notation: digits were lost; re-export as text", raw)
    if reason == Reason.NO_REGION:
        return pl.format("'{}' has no country code and no region was given", raw)
    if reason == Reason.UNKNOWN_REGION:
        return pl.format("region '{}' names no known country and no default region", region_cell)
    return pl.lit(reason, pl.String)

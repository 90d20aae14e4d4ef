"""Build the rejected-rows frame: where each dropped row came from, and why."""

from __future__ import annotations

import polars as pl

from audience_prep._dedupe import DUPLICATE_OF, DUPLICATE_OF_FILE
from audience_prep._normalize import PHONE, RAW, REASON, REGION, REGION_RAW
from audience_prep._sources import FILE, ROW, RawTable

#: Leading columns of ``Prepared.rejected``, before the row's original cells.
META_COLUMNS = ("source_file", "source_row", "raw_phone", "reason", "message", DUPLICATE_OF)


def rejected_rows(invalid: pl.Series, duplicates: pl.Series, of: pl.Series) -> pl.DataFrame:
    """The rejected rows of the phone stage's frame, in source order: ``at`` (position) and
    ``of`` (for a duplicate, the position of the row it duplicates; else null).

    ``invalid`` are positions of rows without a phone, ``duplicates`` those of duplicates and
    ``of`` their kept rows' positions (all UInt32). The sort reads these narrow columns only.
    """
    no_phone = pl.DataFrame({"at": invalid}).with_columns(pl.lit(None, pl.UInt32).alias("of"))
    return pl.concat([no_phone, pl.DataFrame({"at": duplicates, "of": of})]).sort("at")


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
    rejected = rows.select(
        pl.col(FILE).alias("source_file"),
        pl.col(ROW).alias("source_row"),
        pl.col(RAW).alias("raw_phone"),
        pl.when(is_duplicate).then(pl.lit("duplicate")).otherwise(pl.col(REASON)).alias("reason"),
        pl.when(is_duplicate)
        .then(_duplicate_message(len(table.files) > 1))
        .otherwise(_message(rows.columns))
        .alias("message"),
        pl.col(DUPLICATE_OF).cast(pl.Int64),
        *originals,
    )
    if not malformed.height:
        return rejected
    malformed_part = malformed.select(
        pl.col(FILE).alias("source_file"),
        pl.col(ROW).alias("source_row"),
        pl.lit(None, pl.String).alias("raw_phone"),
        pl.lit("malformed_row").alias("reason"),
        pl.lit(
            f"the row does not have the header's {len(table.headers)} fields "
            "(a stray delimiter or quote)"
        ).alias("message"),
        pl.lit(None, pl.Int64).alias(DUPLICATE_OF),
        *originals,
    )
    order = {name: position for position, name in enumerate(table.files)}
    file_order = pl.col("source_file").replace_strict(order, default=0, return_dtype=pl.Int64)
    return pl.concat([malformed_part, rejected], how="vertical").sort(file_order, "source_row")


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


def _message(columns: list[str]) -> pl.Expr:
    """A one-line explanation per reason, naming the cell text and region."""
    region_cell = pl.col(REGION_RAW).fill_null("") if REGION_RAW in columns else pl.lit("")
    raw = pl.col(RAW).fill_null("")
    region = pl.col(REGION).fill_null("?")
    return (
        pl.when(pl.col(REASON) == "missing_phone")
        .then(pl.lit("no phone number in the phone columns"))
        .when(pl.col(REASON) == "unparseable")
        .then(pl.format("'{}' cannot be read as a phone number (region {})", raw, region))
        .when(pl.col(REASON) == "invalid_number")
        .then(pl.format("'{}' is not a valid phone number (region {})", raw, region))
        .when(pl.col(REASON) == "not_mobile")
        .then(pl.format("'{}' is valid but not a mobile number", raw))
        .when(pl.col(REASON) == "scientific_notation")
        .then(pl.format("'{}' is in scientific notation: digits were lost; re-export as text", raw))
        .when(pl.col(REASON) == "unknown_region")
        .then(pl.format("region '{}' names no known country and no default region", region_cell))
        .otherwise(pl.col(REASON))
    )

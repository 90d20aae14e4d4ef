"""Delimited text into a RawTable: decode, sniff, find the header, flag ragged rows."""

from __future__ import annotations

import csv
import logging
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import polars as pl

from audience_prep._errors import ConfigurationError, SourceReadError
from audience_prep._prepare.read.csvtext import (
    NO_HEADER,
    is_ragged,
    leading_records,
    line_count,
    locate_header,
    malformed_rows,
    no_ragged_rows,
    read_records_checked,
    sniff_delimiter,
)
from audience_prep._prepare.read.decode import CsvBody, DecodedBody, open_body
from audience_prep._prepare.read.table import RawTable, table_from_rows
from audience_prep._prepare.working import BROKEN_QUOTES, CLEAN, RAGGED, UNDECODABLE

__all__ = ["read_csv_table"]

log = logging.getLogger("audience_prep")

_NOT_TABULAR_SHARE = 0.5


def read_csv_table(
    data: CsvBody,
    name: str,
    *,
    encoding: str | None,
    delimiter: str | None,
    header_row: int | None,
    is_header: Callable[[Sequence[str]], bool] | None,
    region: str | None,
) -> RawTable:
    """Read delimited text: decode, sniff, find the header, flag ragged rows.

    UTF-8 is trusted first and checked by polars as it parses; only when polars finds an
    invalid byte is the body scanned in Python (for the offset) and re-detected.
    """
    with tempfile.TemporaryDirectory(prefix="audience_prep-") as workdir:
        for validate in (False, True):
            decoded = open_body(
                data, name, encoding, region=region, workdir=Path(workdir), validate=validate
            )
            try:
                parsed = _parse(decoded, name, delimiter, header_row, is_header)
            except _InvalidUtf8:
                if validate:
                    raise SourceReadError(name, "invalid UTF-8 that Python accepts.") from None
                continue
            break
    sep, skip, rows, malformed, headerless = parsed
    if rows.height == 0 and header_row:
        raise SourceReadError(name, f"header_row={header_row} is past the end of the file.")
    _check_tabular(name, malformed, rows.width)
    if headerless:  # the first record is data too, and sets the width: never ragged
        malformed = pl.concat([pl.Series([CLEAN], dtype=pl.UInt8), malformed.cast(pl.UInt8)])
    if decoded.replaced:
        malformed = _reject_replaced(rows, malformed, name, skip, headerless=headerless)
    table = table_from_rows(
        rows, name, "csv", 0 if headerless else 1, None, malformed=malformed, row_offset=skip
    )
    return replace(table, encoding=decoded.encoding, delimiter=sep)


def _reject_replaced(
    rows: pl.DataFrame, malformed: pl.Series, name: str, skip: int, *, headerless: bool
) -> pl.Series:
    """The data rows' fault codes: the rows holding a U+FFFD that replaced a byte that is not
    UTF-8 are UNDECODABLE (their text is not what the file meant, so they are rejected rather
    than uploaded garbled), unless their field count already makes them RAGGED."""
    cells = rows if headerless else rows.slice(1)
    replaced = cells.select(
        pl.any_horizontal(pl.all().str.contains("\ufffd", literal=True)).fill_null(False)
    ).to_series()
    at = replaced.arg_true()
    log.warning(
        "%s: rows holding bytes that are not UTF-8 are rejected as undecodable: %d (rows %s)",
        name,
        at.len(),
        ", ".join(str(skip + (1 if headerless else 2) + i) for i in at.head(10).to_list())
        + (", ..." if at.len() > 10 else ""),
    )
    flags = pl.DataFrame({"fault": malformed.cast(pl.UInt8), "replaced": replaced})
    return flags.select(
        pl.when(pl.col("fault") != CLEAN)
        .then("fault")
        .when("replaced")
        .then(pl.lit(UNDECODABLE, pl.UInt8))
        .otherwise(pl.lit(CLEAN, pl.UInt8))
        .alias("malformed")
    ).to_series()


class _InvalidUtf8(Exception):
    """polars met a byte that is not UTF-8 in a body that was not checked yet."""


def _parse(
    decoded: DecodedBody,
    name: str,
    delimiter: str | None,
    header_row: int | None,
    is_header: Callable[[Sequence[str]], bool] | None,
) -> tuple[str, int, pl.DataFrame, pl.Series, bool]:
    """The delimiter, the records above the header (or above the first record, for a file
    without a header), the records from there on, the fault codes of those below the first,
    and whether the file has no header row."""
    sep = delimiter or sniff_delimiter(decoded.head)
    if len(sep) != 1 or not sep.isascii() or sep in '"\r\n':
        raise ConfigurationError(f"delimiter must be one ASCII character, not {sep!r}.")
    leading = leading_records(decoded.head, sep)
    skip = locate_header(leading, header_row, is_header)
    headerless = skip == NO_HEADER
    if headerless:  # from the first non-empty record
        skip = locate_header(leading, None, None)
    # polars keeps a CR not followed by LF inside the cell; the csv module ends the record
    # there, as Excel does: a body holding one is read by the csv module alone
    rows, malformed = (None, None) if decoded.bare_cr else _fast_rows(decoded.body, name, sep, skip)
    if rows is None or malformed is None or malformed.len() != max(rows.height - 1, 0):
        try:
            rows, malformed = _exact_rows(decoded.body, sep, skip)
        except csv.Error as exc:
            raise _not_delimited(name, str(exc)) from exc
    return sep, skip, rows, malformed, headerless


def _fast_rows(
    body: CsvBody, name: str, sep: str, skip: int
) -> tuple[pl.DataFrame | None, pl.Series | None]:
    """polars reads the records; ragged rows are flagged without reading the lines again
    when polars' own field count settles it (see :func:`_strict_read`), else by a vectorised
    line scan."""
    try:
        # Below title rows, polars' skip_rows may count records differently from the csv
        # module (a quote inside a title opens a quoted field for polars): the line scan
        # and its count check then catch it.
        rows = _strict_read(body, sep, skip) if skip == 0 else None
        if (
            rows is not None
            and rows.width
            and not rows.get_column(rows.columns[-1]).null_count()
            and line_count(body) == rows.height
        ):
            return rows, no_ragged_rows(rows.height - 1)
        if rows is None:
            rows = _polars_records(body, sep, skip, ragged=True)
        malformed = malformed_rows(body, sep, skip, rows.width) if rows.width else None
    except pl.exceptions.PolarsError as exc:
        if _is_invalid_utf8(exc):
            raise _InvalidUtf8 from exc
        # polars refuses some quoting that is sound (a lone quote inside a cell, a"b) and
        # some that is not (an exporter's unescaped quote): the csv module reads the file,
        # each record it cannot read without guessing becoming one malformed row
        log.debug("%s: polars cannot parse it (%s); the csv module reads it", name, exc)
        return None, None
    return rows, malformed


def _strict_read(body: CsvBody, sep: str, skip: int) -> pl.DataFrame | None:
    """The records, when no record has more fields than the header; else None.

    polars refuses a record with more fields than the first (the header) and pads one with
    fewer with nulls. So when this read succeeds, every record's last cell is non-null, and
    every record is one line (:func:`line_count`: polars reads a quote inside a cell, a"b,
    as opening a quoted field, where the csv module reads it as text), every record has
    exactly the header's fields: no row is ragged, and the lines need no second reading. A
    file with a longer record is read twice (the second time truncating).
    """
    try:
        return _polars_records(body, sep, skip, ragged=False)
    except pl.exceptions.PolarsError as exc:
        if _is_invalid_utf8(exc):
            raise
        return None


def _is_invalid_utf8(exc: pl.exceptions.PolarsError) -> bool:
    """polars met a byte that is not UTF-8 (the body is then re-decoded)."""
    return "utf-8" in str(exc).lower()


def _not_delimited(name: str, detail: str) -> SourceReadError:
    return SourceReadError(
        name,
        f"not a well-formed delimited file ({detail}).",
        hint="Check the delimiter (delimiter=) and the quoting.",
    )


def _polars_records(body: CsvBody, sep: str, skip: int, *, ragged: bool) -> pl.DataFrame:
    """Every record after ``skip``, header first, as String columns; ``ragged`` truncates the
    records longer than the header instead of refusing them."""
    return pl.read_csv(
        body,
        has_header=False,
        infer_schema=False,
        separator=sep,
        quote_char='"',
        skip_rows=skip,
        truncate_ragged_lines=ragged,
        raise_if_empty=False,
        null_values=[""],  # a quoted empty cell ("") is empty too, as the csv module reads it
    )


def _exact_rows(body: CsvBody, sep: str, skip: int) -> tuple[pl.DataFrame, pl.Series]:
    """The csv module reads every record: exact field counts when quotes span lines, and a
    record whose quoting it cannot read flagged BROKEN_QUOTES (read from its line alone)."""
    records, broken = read_records_checked(body, sep)
    records = records[skip:]
    broken_at = {at - skip for at in broken}
    width = len(records[0]) if records else 0
    flags: list[int] = []
    columns: list[list[str | None]] = [[] for _ in range(width)]
    for number, record in enumerate(records):
        if number:
            flags.append(
                BROKEN_QUOTES
                if number in broken_at
                else RAGGED
                if is_ragged(record, width)
                else CLEAN
            )
        for i in range(width):
            value = record[i] if i < len(record) else ""
            columns[i].append(value or None)
    frame = pl.DataFrame(
        {f"column_{i + 1}": col for i, col in enumerate(columns)},
        schema={f"column_{i + 1}": pl.String for i in range(width)},
    )
    return frame, pl.Series("malformed", flags, dtype=pl.UInt8)


def _check_tabular(name: str, malformed: pl.Series, width: int) -> None:
    """Most rows at odds with the header: the delimiter is wrong or the file is not a table."""
    bad = int(malformed.cast(pl.Boolean).sum() or 0)
    if bad >= 5 and bad > _NOT_TABULAR_SHARE * malformed.len():
        raise SourceReadError(
            name,
            f"{bad} of {malformed.len()} rows do not have the header's {width} fields; "
            "this is not a table with that delimiter.",
            hint="Pass delimiter= (and header_row= if titles sit above the header).",
        )

"""A table of text: ``RawTable``, and rows of text (from a CSV, a sheet or a frame) made into
one with its header found, its rows numbered and its blank rows skipped."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import polars as pl

from audience_prep._errors import SourceReadError
from audience_prep._prepare.read.csvtext import HEADER_SEARCH_ROWS, NO_HEADER, locate_header
from audience_prep._prepare.working import CLEAN, FILE, MALFORMED, RESERVED, ROW
from audience_prep._text import strip_text

__all__ = ["RawTable", "table_from_rows"]


@dataclass(frozen=True, slots=True)
class RawTable:
    """A source read as text: headers, data rows (with ROW, FILE, MALFORMED) and provenance."""

    source: str
    headers: tuple[str, ...]
    frame: pl.DataFrame
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_row: int = 1
    empty_rows_skipped: int = 0
    files: tuple[str, ...] = ()
    #: A workbook's sheet names, in order (the one read is ``sheet``).
    sheets: tuple[str, ...] = ()


def table_from_rows(
    rows: pl.DataFrame,
    name: str,
    fmt: str,
    header_row: int | None,
    is_header: Callable[[Sequence[str]], bool] | None,
    *,
    malformed: pl.Series | None = None,
    row_offset: int = 0,
) -> RawTable:
    """Find the header among ``rows`` (all text), then number and clean the data rows.

    ``malformed`` is each data row's fault code (``working.RAGGED``, ``UNDECODABLE``; a
    Boolean series means ragged) and ``row_offset`` the number of rows above ``rows`` in the
    file (already skipped). Without a header row (``header_row=0``, or the first row holds
    data: see ``locate_header``) every row is data, the columns are named ``column_1``,
    ``column_2``, ... and the table's ``header_row`` is 0.
    """
    if rows.height == 0 or rows.width == 0:
        raise SourceReadError(name, "the file has no header row.", hint="Export it with headers.")
    # Files are read in many chunks; the row number and file columns below come in one, and
    # polars puts every column of such a frame in one chunk before each query on it. Doing
    # it once here copies the cells once instead of per query.
    rows = rows.rechunk()
    index = locate_header(rows.head(HEADER_SEARCH_ROWS).rows(), header_row, is_header)
    if not NO_HEADER <= index < rows.height:
        raise SourceReadError(
            name, f"header_row={header_row} is past the end of the file ({rows.height} rows)."
        )
    if index == NO_HEADER:
        cells = [""] * rows.width  # named column_1, column_2, ... below
    else:
        cells = [strip_text(c) if c is not None else "" for c in rows.row(index)]
    data = rows.slice(index + 1)
    names = rows.columns  # once: polars builds the list anew on every call
    keep = [i for i, c in enumerate(cells) if c or _has_data(data, names[i])]
    headers = _unique_headers([cells[i] for i in keep])
    frame = data.select(
        *(pl.col(names[i]).alias(h) for i, h in zip(keep, headers, strict=True)),
        pl.int_range(pl.len(), dtype=pl.Int64).add(row_offset + index + 2).alias(ROW),
        pl.lit(name, pl.String).alias(FILE),
        (malformed.cast(pl.UInt8) if malformed is not None else pl.lit(CLEAN, pl.UInt8)).alias(
            MALFORMED
        ),
    )
    table = RawTable(
        source=name,
        headers=tuple(headers),
        frame=frame,
        format=fmt,
        header_row=0 if index == NO_HEADER else row_offset + index + 1,
        files=(name,),
    )
    return _drop_empty(table)


def _has_data(frame: pl.DataFrame, column: str) -> bool:
    """A column with an empty header is kept only when some row has a value in it."""
    return frame.get_column(column).null_count() < frame.height


def _drop_empty(table: RawTable) -> RawTable:
    """Skip rows whose every cell is empty; they are counted, not rejected.

    Only rows whose first cell is empty can be blank, so the full check runs on those alone.
    """
    cells = list(table.headers)
    if not cells:
        return table

    def empty(column: str) -> pl.Expr:
        return pl.col(column).is_null() | pl.col(column).str.contains(r"^\s*$")

    candidates = table.frame.with_row_index("__at").filter(empty(cells[0]))
    blank_at = candidates.filter(
        pl.all_horizontal(empty(c) for c in cells[1:]) if cells[1:] else pl.lit(True),
        pl.col(MALFORMED) == CLEAN,
    ).get_column("__at")
    if not blank_at.len():
        return table
    keep = pl.Series("keep", [], dtype=pl.Boolean).extend_constant(True, table.frame.height)
    keep = keep.scatter(blank_at, False)
    frame = table.frame.filter(keep)
    return replace(table, frame=frame, empty_rows_skipped=blank_at.len())


def _unique_headers(headers: list[str]) -> list[str]:
    """Name empty headers ``column_N`` and number repeated ones ``Name (2)``, ``Name (3)``."""
    out: list[str] = []
    seen: set[str] = set()
    for index, header in enumerate(headers, start=1):
        base = header or f"column_{index}"
        candidate, n = base, 1
        while candidate in seen or candidate in RESERVED:
            n += 1
            candidate = f"{base} ({n})"
        seen.add(candidate)
        out.append(candidate)
    return out

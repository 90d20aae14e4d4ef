"""Delimited text in UTF-8: detect the delimiter, find the header, count fields per row."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

import polars as pl

from audience_prep._prepare.read.decode import SAMPLE_BYTES, CsvBody

#: Delimiters the sniffer may choose from, most common first.
DELIMITERS = ",;\t|"
#: How many leading records may hold titles or blank lines before the header.
HEADER_SEARCH_ROWS = 20


def sniff_delimiter(data: bytes) -> str:
    """Guess the delimiter from the first lines of UTF-8 ``data`` (a file's head); a comma when
    unsure."""
    lines = _sample_text(data).splitlines()
    try:
        return csv.Sniffer().sniff("\n".join(lines[:50]), delimiters=DELIMITERS).delimiter
    except csv.Error:
        return _most_frequent(lines)


def _sample_text(data: bytes) -> str:
    sample = data[:SAMPLE_BYTES].decode("utf-8", errors="ignore")
    if len(data) > SAMPLE_BYTES and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # the last line of a cut sample is partial
    return sample


def _most_frequent(lines: list[str]) -> str:
    """The delimiter seen most often in the first non-empty lines (titles have none)."""
    text = "\n".join(line for line in lines[:HEADER_SEARCH_ROWS] if line.strip())
    counts = {d: text.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def leading_records(data: bytes, sep: str) -> list[list[str]]:
    """The first HEADER_SEARCH_ROWS records of UTF-8 ``data``, parsed by the csv module."""
    reader = csv.reader(io.StringIO(_sample_text(data)), delimiter=sep)
    records = []
    try:
        for record in reader:
            records.append(record)
            if len(records) == HEADER_SEARCH_ROWS:
                break
    except csv.Error:
        pass
    return records


#: ``locate_header``'s answer for a file without a header row (``header_row=0``, or found so).
NO_HEADER: Final = -1

#: A cell no header holds: a phone-shaped number (7 to 15 digits with phone punctuation, a
#: number in scientific notation) or an e-mail address.
_DATA_CELL = re.compile(
    r"\+?[\d\s().\-/]*\d[\d\s().\-/]*|\d(?:\.\d+)?[eE]\+\d+|[^@\s]+@[^@\s]+\.[^@\s]+"
)


def data_cell(record: Sequence[str | None]) -> str | None:
    """The first cell of ``record`` that holds data no header holds (a phone-shaped number of
    7 to 15 digits, a number in scientific notation, an e-mail address), or None."""
    for cell in record:
        text = (cell or "").strip()
        if not text or not _DATA_CELL.fullmatch(text):
            continue
        if "@" in text or "e+" in text.lower() or 7 <= sum(c.isdigit() for c in text) <= 15:
            return text
    return None


def locate_header(
    records: Sequence[Sequence[str | None]],
    header_row: int | None,
    is_header: Callable[[Sequence[str]], bool] | None,
) -> int:
    """The 0-based index of the header among ``records``, or NO_HEADER.

    ``header_row`` (1-based; 0 for a file without one) wins; else the first of the leading
    records for which ``is_header`` is true (a row that matches the schema's words); else,
    when ``is_header`` is given and the first non-empty record holds a :func:`data_cell`
    (a phone number, an e-mail address: what no header holds), NO_HEADER: the file starts
    with its data; else the first non-empty record.
    """
    if header_row is not None:
        return header_row - 1 if header_row else NO_HEADER
    cells = [[c or "" for c in record] for record in records[:HEADER_SEARCH_ROWS]]
    if is_header is not None:
        for index, record in enumerate(cells):
            if is_header(record):
                return index
    first = next((i for i, record in enumerate(cells) if any(c.strip() for c in record)), 0)
    if is_header is not None and first < len(cells) and data_cell(cells[first]) is not None:
        return NO_HEADER
    return first


def _scan_lines(data: CsvBody, skip: int = 0) -> pl.LazyFrame:
    """The lines of ``data`` after ``skip``, one String column, quotes not read (an empty line
    is an empty string)."""
    return pl.scan_csv(
        data,
        has_header=False,
        separator="\x1f",
        quote_char=None,
        infer_schema=False,
        skip_rows=skip,
        empty_string_is_null=False,
        truncate_ragged_lines=True,
        raise_if_empty=False,
    )


def line_count(data: CsvBody) -> int:
    """The lines of ``data``, quotes ignored (polars counts them without reading cells)."""
    return int(_scan_lines(data).select(pl.len()).collect().item())


def malformed_rows(data: CsvBody, sep: str, skip: int, width: int) -> pl.Series | None:
    """A Boolean per data row (after ``skip`` records and the header): wrong number of fields.

    A row is malformed when it has fewer fields than the header, or more with any extra
    field non-empty; blank lines are not. Returns None when a quoted field spans lines (the
    caller then counts fields with the csv module). The file is scanned as lines by polars'
    streaming engine, so this holds only a batch of lines at a time.
    """
    lines = _scan_lines(data, skip + 1)
    names = lines.collect_schema().names()
    if not names:
        return no_ragged_rows(0)
    line = pl.col(names[0]).fill_null("")
    quotes = line.str.count_matches('"', literal=True)
    unquoted = pl.when(quotes > 0).then(line.str.replace_all(_quoted(sep), "$1")).otherwise(line)
    fields = unquoted.str.count_matches(sep, literal=True) + 1
    summary = lines.select(
        pl.len().alias("rows"),
        (quotes % 2 == 1).any().alias("odd"),
        (fields != width).arg_true().implode().alias("suspects"),
    ).collect(engine="streaming")
    if summary.item(0, "odd"):
        return None
    suspects = summary.item(0, "suspects")
    bad = no_ragged_rows(summary.item(0, "rows"))
    if suspects.len():
        flagged = _flag_suspects(lines, line, suspects, sep, width)
        if flagged.len():
            bad = bad.scatter(flagged, True)
    return bad


def no_ragged_rows(rows: int) -> pl.Series:
    """The flags of ``rows`` data rows none of which is ragged."""
    return pl.Series("malformed", [], dtype=pl.Boolean).extend_constant(False, rows)


def _escaped(sep: str) -> str:
    """``sep`` as a regex escape (any ASCII delimiter, inside a character class or not)."""
    return f"\\x{{{ord(sep):x}}}"


def _quoted(sep: str, *, text: bool = False) -> str:
    """A quoted field (its quotes doubled inside) with what precedes it (the line's start or
    ``sep``) as group 1: as the csv module reads, a quote opens a field only at its start.
    ``text``: only a field that holds more than whitespace."""
    inner = r'(?:[^"]|"")*(?:[^"\s]|"")(?:[^"]|"")*' if text else r'(?:[^"]|"")*'
    return f'(^|{_escaped(sep)})"{inner}"'


def _flag_suspects(
    lines: pl.LazyFrame, line: pl.Expr, suspects: pl.Series, sep: str, width: int
) -> pl.Series:
    """Among rows whose field count differs from the header's, the ragged ones, as
    :func:`is_ragged` judges the record the csv module reads from the line (a whole record:
    its quotes are balanced). Each quoted field becomes ``x`` when it holds more than
    whitespace, else nothing, so what is left shows which fields are blank."""
    marked = line.str.replace_all(_quoted(sep, text=True), "${1}x").str.replace_all(
        _quoted(sep), "$1"
    )
    fields = marked.str.count_matches(sep, literal=True) + 1
    # separators before the last non-blank character: a field past the header's is non-blank
    trailing = f"[\\s{_escaped(sep)}]+$"  # whitespace and separators at the end
    filled = marked.str.replace(trailing, "").str.count_matches(sep, literal=True)
    blank = marked.str.strip_chars() == ""
    return (
        lines.with_row_index("at")
        .filter(pl.col("at").is_in(suspects.implode()))
        .filter(~blank, (fields < width) | (filled >= width))
        .select("at")
        .collect()
        .get_column("at")
    )


def is_ragged(record: Sequence[str], width: int) -> bool:
    """A record (as the csv module reads it) is ragged when it has fewer fields than the
    header's ``width``, or more with any extra field non-blank. A blank line (no field, or one
    field of nothing but spaces) is not."""
    if not record or (len(record) == 1 and not record[0].strip()):
        return False
    return len(record) < width or any(cell.strip() for cell in record[width:])


#: A file whose broken records made the reader scan this many times its lines is not read
#: on (each broken record is re-read from its next line; see :func:`read_records_checked`).
_MAX_RESCAN_FACTOR = 4


def read_records_checked(data: CsvBody, sep: str) -> tuple[list[list[str]], list[int]]:
    """Every record of UTF-8 ``data``, and the indexes of those whose quoting is broken.

    The csv module reads strictly; a record it cannot read (text after a closing quote, a
    quote left open) is taken as its first line alone, split at each delimiter with its
    quotes as written, and flagged; reading resumes on the next line. So one exporter's
    unescaped quote (``"Acme Ltd"s",...``) costs that row, never the file, and a quote left
    open does not swallow the lines after it.
    Raises csv.Error when the re-reading passes ``_MAX_RESCAN_FACTOR`` times the file's lines
    (quotes broken everywhere: not a table).
    """
    raw = data.read_bytes() if isinstance(data, Path) else data
    lines = io.StringIO(raw.decode("utf-8-sig"), newline="").readlines()
    del raw
    feed = _Lines(lines)
    records: list[list[str]] = []
    broken: list[int] = []
    budget = _MAX_RESCAN_FACTOR * max(len(lines), 1)
    while True:
        reader = csv.reader(feed, delimiter=sep, strict=True)
        start = feed.at
        try:
            for record in reader:
                records.append(record)
                start = feed.at
            return records, broken
        except csv.Error:
            if feed.served > budget:
                raise
            broken.append(len(records))
            records.append(lines[start].rstrip("\r\n").split(sep))  # as written
            feed.at = start + 1


class _Lines:
    """The lines of a text from ``at`` on, counting how many were served in all."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.at = 0
        self.served = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.at >= len(self.lines):
            raise StopIteration
        self.at += 1
        self.served += 1
        return self.lines[self.at - 1]

"""How the emulator reads an uploaded audience file, as strictly as CommBox documents it.

- CSV: UTF-8 (a BOM is allowed), RFC 4180 records; blank lines are skipped; a record shorter than
  the header is padded with empty cells, a longer one is refused (its extra cells would be lost).
- Excel (.xlsx/.xlsm/.xls by name, or zip/OLE bytes): first sheet, every cell read as text, an
  empty cell becomes ``""``.
- The header must be unique and must hold a ``phone1`` column.
- A cell may be of any length (CommBox documents no limit, and polars writes any): the csv
  module's default limit of 131,072 characters is raised, see ``CSV_FIELD_LIMIT``.

Anything else raises ``AudienceFileError``, which the emulator answers with 400 Bad Request.
"""

from __future__ import annotations

import csv
import io

__all__ = ["AudienceFileError", "parse_audience_file"]

#: The csv module's field size limit is process-wide: it is raised to this value when the
#: emulator first reads a CSV upload, and never lowered, so no other code in the process gets a
#: smaller limit than it had. The reader holds the whole upload in memory, so a cell is bounded
#: by the upload anyway. 2**31 - 1 is the largest value every platform accepts. (The same value
#: and reasoning as audience_prep's own readers; the emulator imports no stage of the library.)
CSV_FIELD_LIMIT = 2**31 - 1
_EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
_EXCEL_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")


class AudienceFileError(ValueError):
    """The uploaded file is not an audience CommBox would accept."""


def parse_audience_file(content: bytes, filename: str | None) -> list[dict[str, str]]:
    """Return the rows of an uploaded audience file as dicts keyed by its header."""
    name = (filename or "").lower()
    if name.endswith(_EXCEL_SUFFIXES) or content.startswith(_EXCEL_MAGIC):
        header, records = _excel_records(content)
    else:
        header, records = _csv_records(content)
    if len(set(header)) != len(header):
        raise AudienceFileError(f"duplicate column names in the header {header!r}")
    if "phone1" not in header:
        raise AudienceFileError(f"no phone1 column (header: {header!r})")
    return [dict(zip(header, record, strict=True)) for record in records]


def _csv_records(content: bytes) -> tuple[list[str], list[list[str]]]:
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AudienceFileError(f"the CSV is not UTF-8: {exc}") from exc
    try:
        records = [record for record in csv.reader(io.StringIO(text, newline="")) if record]
    except csv.Error as exc:
        raise AudienceFileError(f"malformed CSV: {exc}") from exc
    if not records:
        raise AudienceFileError("the file is empty")
    header, rows = records[0], records[1:]
    for number, row in enumerate(rows, start=2):
        if len(row) > len(header):
            raise AudienceFileError(f"record {number} has more cells than the header")
    return header, [row + [""] * (len(header) - len(row)) for row in rows]


def _excel_records(content: bytes) -> tuple[list[str], list[list[str]]]:
    import fastexcel  # only Excel uploads need it

    try:
        sheet = fastexcel.read_excel(content).load_sheet(0, dtypes="string")
        frame = sheet.to_polars()
    except fastexcel.FastExcelError as exc:
        raise AudienceFileError(f"unreadable Excel file: {exc}") from exc
    rows = [["" if cell is None else str(cell) for cell in row] for row in frame.iter_rows()]
    return list(frame.columns), rows

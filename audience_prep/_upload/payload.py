"""What the uploader sends: the file bytes, their name and type, and the rows they hold.

The uploader never trusts a row count from its caller: it counts the records in the bytes it is
about to send. It never imports polars; a prepared audience is anything with ``to_csv()`` and a
``report`` holding ``rows_read`` and ``rows_rejected``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeAlias, runtime_checkable

from audience_prep._errors import SourceReadError
from audience_prep._ledger.members import allow_long_csv_fields
from audience_prep._upload.guards import SupportsRowCounts

__all__ = [
    "AudienceData",
    "AudiencePayload",
    "SupportsAudienceBytes",
    "count_csv_rows",
    "count_xlsx_rows",
    "load_payload",
]

CSV_CONTENT_TYPE = "text/csv"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ZIP_MAGIC = b"PK\x03\x04"
_EXCEL_SUFFIXES = {".xlsx": XLSX_CONTENT_TYPE, ".xlsm": XLSX_CONTENT_TYPE}


@runtime_checkable
class SupportsAudienceBytes(Protocol):
    """A prepared audience: CSV bytes to upload plus the counts of its preparation.

    ``audience_prep.Prepared`` satisfies it; so does any object with a ``to_csv() -> bytes``
    method and a ``report`` whose ``rows_read`` and ``rows_rejected`` are ints.
    """

    @property
    def report(self) -> SupportsRowCounts: ...

    def to_csv(self) -> bytes: ...


AudienceData: TypeAlias = "SupportsAudienceBytes | bytes | str | os.PathLike[str]"


@dataclass(frozen=True, repr=False)
class AudiencePayload:
    """One file as it goes on the wire, with the data rows counted from its bytes."""

    content: bytes
    filename: str
    content_type: str
    rows: int
    sha256: str

    def __repr__(self) -> str:
        return (
            f"AudiencePayload(filename={self.filename!r}, rows={self.rows}, "
            f"bytes={len(self.content)}, sha256={self.sha256[:12]}…)"
        )


def load_payload(data: AudienceData) -> AudiencePayload:
    """Build the payload for ``data``: a prepared audience, CSV bytes, or a .csv/.xlsx path.

    Bytes are sent as CSV unless they are an Excel (zip) file. A ``str`` is always a path.
    """
    if isinstance(data, SupportsAudienceBytes):
        return _csv_payload(data.to_csv(), source="the prepared audience")
    if isinstance(data, bytes | bytearray | memoryview):
        content = bytes(data)
        if content.startswith(_ZIP_MAGIC):
            return _xlsx_payload(content, source="the given bytes")
        return _csv_payload(content, source="the given bytes")
    if isinstance(data, str | os.PathLike):
        return _file_payload(Path(data))
    raise TypeError(
        "data must be a prepared audience, CSV bytes, or a path to a .csv or .xlsx file; "
        f"got {type(data).__name__}"
    )


def _file_payload(path: Path) -> AudiencePayload:
    suffix = path.suffix.lower()
    if suffix != ".csv" and suffix not in _EXCEL_SUFFIXES:
        raise SourceReadError(
            str(path),
            f"the uploader sends .csv or .xlsx files, not {suffix or 'files without a suffix'!r}.",
            hint="Prepare it first: audience_prep.prepare(path).",
        )
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise SourceReadError(str(path), exc.strerror or str(exc)) from exc
    if suffix == ".csv":
        return _csv_payload(content, source=str(path))
    return _xlsx_payload(content, source=str(path), content_type=_EXCEL_SUFFIXES[suffix])


def _csv_payload(content: bytes, *, source: str) -> AudiencePayload:
    return AudiencePayload(
        content=content,
        filename="audience.csv",
        content_type=CSV_CONTENT_TYPE,
        rows=count_csv_rows(content, source=source),
        sha256=hashlib.sha256(content).hexdigest(),
    )


def _xlsx_payload(
    content: bytes, *, source: str, content_type: str = XLSX_CONTENT_TYPE
) -> AudiencePayload:
    return AudiencePayload(
        content=content,
        filename="audience.xlsx",
        content_type=content_type,
        rows=count_xlsx_rows(content, source=source),
        sha256=hashlib.sha256(content).hexdigest(),
    )


def count_csv_rows(content: bytes, *, source: str = "CSV bytes") -> int:
    """Count the data records in CSV bytes: RFC 4180 records, minus the header, minus blank lines.

    A newline inside a quoted field is part of its record, so it is not counted twice. The count
    does not depend on the encoding (undecodable bytes are replaced, never dropped). A cell may
    be of any length (see ``CSV_FIELD_LIMIT`` in the ledger's ``diff``).
    """
    allow_long_csv_fields()
    text = content.decode("utf-8-sig", errors="replace")
    try:
        records = sum(1 for record in csv.reader(io.StringIO(text, newline="")) if record)
    except csv.Error as exc:
        raise SourceReadError(source, f"malformed CSV: {exc}") from exc
    return max(records - 1, 0)


def count_xlsx_rows(content: bytes, *, source: str = "Excel bytes") -> int:
    """Count the data rows of the first sheet of an Excel file, header excluded."""
    import fastexcel  # imported here: only Excel uploads need it

    try:
        sheet = fastexcel.read_excel(content).load_sheet(0)
    except fastexcel.FastExcelError as exc:
        raise SourceReadError(source, f"unreadable Excel file: {exc}") from exc
    return int(sheet.height)

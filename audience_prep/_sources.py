"""Open any supported source as a table of text with spreadsheet row numbers.

Supported sources: a path (CSV/TSV/TXT, XLSX/XLSM/XLSB/XLS/ODS, Parquet), ``bytes``, a binary
file object, a polars DataFrame or LazyFrame, and a pandas DataFrame (pandas is imported only
when one is given). Every cell comes out as text (``pl.String``); a phone never passes through a
float on our side.

Rows are numbered as a spreadsheet user counts them: the header is row 1, the first data row is
row 2, and a quoted cell with line breaks is still one row.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeAlias

import polars as pl

from audience_prep._errors import SourceReadError
from audience_prep._text import first_line, strip_text

if TYPE_CHECKING:
    import pandas as pd

from audience_prep._csvtext import decode_csv_bytes, sniff_delimiter
from audience_prep._excel import read_excel_bytes

Source: TypeAlias = "str | Path | bytes | IO[bytes] | pl.DataFrame | pl.LazyFrame | pd.DataFrame"

#: Name of the hidden column that carries each row's 1-based spreadsheet row number.
ROW = "__source_row"

EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"})
CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ".tab"})
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})


@dataclass(frozen=True, slots=True)
class RawTable:
    """A source read as text: original headers, data rows and where each row came from."""

    source: str
    headers: tuple[str, ...]
    frame: pl.DataFrame
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    empty_rows_skipped: int = 0


def read_source(
    source: Source,
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> RawTable:
    """Read ``source`` into a :class:`RawTable`; raise SourceReadError when it is not a table."""
    if isinstance(source, pl.LazyFrame):
        return _from_frame(source.collect(), "<polars.LazyFrame>", "polars")
    if isinstance(source, pl.DataFrame):
        return _from_frame(source, "<polars.DataFrame>", "polars")
    if _is_pandas(source):
        return _from_frame(_pandas_to_polars(source), "<pandas.DataFrame>", "pandas")
    if isinstance(source, str | Path):
        path = Path(source)
        return _read_bytes(
            _read_path(path), str(path), path.suffix.lower(), sheet, encoding, delimiter
        )
    if isinstance(source, bytes | bytearray | memoryview):
        return _read_bytes(bytes(source), "<bytes>", "", sheet, encoding, delimiter)
    if hasattr(source, "read"):
        name = str(getattr(source, "name", "<file object>"))
        data = source.read()
        if not isinstance(data, bytes):
            raise SourceReadError(
                name, "the file object is in text mode.", hint="Open it with 'rb'."
            )
        return _read_bytes(data, name, Path(name).suffix.lower(), sheet, encoding, delimiter)
    raise SourceReadError(
        repr(type(source).__name__),
        "unsupported source type.",
        hint="Pass a path, bytes, a binary file object, or a polars or pandas DataFrame.",
    )


def _read_path(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise SourceReadError(str(path), "no such file.") from exc
    except IsADirectoryError as exc:
        raise SourceReadError(str(path), "is a directory, not a file.") from exc
    except OSError as exc:
        raise SourceReadError(str(path), f"cannot open it ({exc.strerror}).") from exc


def _sniff_format(data: bytes, suffix: str) -> str:
    """The format of ``data``: by its magic bytes first, then by the file suffix."""
    if data.startswith(b"PAR1"):
        return "parquet"
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return "excel"
    if suffix in EXCEL_SUFFIXES:
        return "excel"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix and suffix not in CSV_SUFFIXES:
        return "unknown"
    return "csv"


def _read_bytes(
    data: bytes,
    name: str,
    suffix: str,
    sheet: str | int | None,
    encoding: str | None,
    delimiter: str | None,
) -> RawTable:
    if not data.strip():
        raise SourceReadError(name, "the file is empty.", hint="Export it again with a header row.")
    kind = _sniff_format(data, suffix)
    if kind == "excel":
        sheet_name, rows = read_excel_bytes(data, name, sheet)
        return _from_rows(rows, name, "excel", sheet=sheet_name)
    if kind == "parquet":
        return _from_frame(_read_parquet(data, name), name, "parquet")
    if kind == "unknown":
        raise SourceReadError(
            name,
            f"unknown file type {suffix!r}.",
            hint="Supported: .csv .tsv .txt .xlsx .xlsm .xlsb .xls .ods .parquet.",
        )
    return _read_csv(data, name, suffix, encoding, delimiter)


def _read_csv(
    data: bytes, name: str, suffix: str, encoding: str | None, delimiter: str | None
) -> RawTable:
    text_bytes, used_encoding = decode_csv_bytes(data, name, encoding)
    sep = delimiter or ("\t" if suffix in {".tsv", ".tab"} else sniff_delimiter(text_bytes))
    try:
        rows = pl.read_csv(
            text_bytes,
            has_header=False,
            infer_schema=False,
            separator=sep,
            quote_char='"',
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError as exc:
        raise SourceReadError(
            name,
            f"not a well-formed delimited file ({first_line(exc)}).",
            hint="Check the delimiter (delimiter=) and the quoting.",
        ) from exc
    table = _from_rows(rows, name, "csv")
    return replace(table, encoding=used_encoding, delimiter=sep)


def _read_parquet(data: bytes, name: str) -> pl.DataFrame:
    try:
        return pl.read_parquet(io.BytesIO(data))
    except pl.exceptions.PolarsError as exc:
        raise SourceReadError(name, f"not a readable Parquet file ({first_line(exc)}).") from exc


def _from_rows(rows: pl.DataFrame, name: str, fmt: str, *, sheet: str | None = None) -> RawTable:
    """Split a header-less frame of text into headers (its first row) and numbered data rows."""
    if rows.height == 0 or rows.width == 0:
        raise SourceReadError(name, "the file has no header row.", hint="Export it with headers.")
    first = rows.row(0)
    headers = _unique_headers([strip_text(h) if h is not None else "" for h in first])
    data = rows.slice(1).with_row_index(ROW, offset=2)
    data = data.rename(dict(zip(rows.columns, headers, strict=True)))
    return _drop_empty(RawTable(name, tuple(headers), data, fmt, sheet=sheet))


def _from_frame(frame: pl.DataFrame, name: str, fmt: str) -> RawTable:
    """A DataFrame given by the caller: every column cast to text, rows numbered from 2."""
    headers = [str(c) for c in frame.columns]
    text = frame.select(pl.all().cast(pl.String)).with_row_index(ROW, offset=2)
    return _drop_empty(RawTable(name, tuple(headers), text, fmt))


def _drop_empty(table: RawTable) -> RawTable:
    """Skip rows whose every cell is empty; they are counted, not rejected."""
    cells = [c for c in table.frame.columns if c != ROW]
    if not cells:
        return table
    blank = pl.all_horizontal(
        pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "") for c in cells
    )
    skipped = table.frame.select(blank.sum()).item()
    if not skipped:
        return replace(table, frame=table.frame.with_columns(pl.col(ROW).cast(pl.Int64)))
    kept = table.frame.filter(~blank).with_columns(pl.col(ROW).cast(pl.Int64))
    return replace(table, frame=kept, empty_rows_skipped=int(skipped))


def _unique_headers(headers: list[str]) -> list[str]:
    """Name empty headers ``column_N`` and number repeated ones ``Name (2)``, ``Name (3)``."""
    out: list[str] = []
    seen: set[str] = set()
    for index, header in enumerate(headers, start=1):
        base = header or f"column_{index}"
        candidate, n = base, 1
        while candidate in seen or candidate == ROW:
            n += 1
            candidate = f"{base} ({n})"
        seen.add(candidate)
        out.append(candidate)
    return out


def _is_pandas(obj: object) -> bool:
    module = type(obj).__module__
    return module.startswith("pandas") and type(obj).__name__ == "DataFrame"


def _pandas_to_polars(frame: Any) -> pl.DataFrame:
    """Convert a pandas DataFrame; columns polars cannot take directly go through Python text."""
    try:
        return pl.from_pandas(frame)
    except ImportError:
        import pandas as pd

        columns = {
            str(name): [None if pd.isna(v) else str(v) for v in frame[name].tolist()]
            for name in frame.columns
        }
        return pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String))

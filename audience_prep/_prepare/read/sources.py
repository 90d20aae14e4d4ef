"""Open any supported source as a table of text with spreadsheet row numbers.

Supported sources: a path (CSV/TSV/TXT, XLSX/XLSM/XLSB/XLS/ODS, Parquet), a glob pattern or a
list of paths (concatenated, each row remembering its file), ``bytes``, a binary file object, a
polars DataFrame or LazyFrame, and a pandas DataFrame (pandas is imported only when one is
given). Every cell comes out as text (``pl.String``); a phone never passes through a float on
our side.

Rows are numbered as a spreadsheet user counts them: in a file, the sheet's or file's first
line is row 1 (so the header is row 1 unless title rows sit above it), a quoted cell with line
breaks is still one row; in a DataFrame the header counts as row 1 and the first data row is 2.
"""

from __future__ import annotations

import glob
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeAlias

import polars as pl

from audience_prep._errors import ConfigurationError, SourceReadError
from audience_prep._prepare.read.csvread import read_csv_table
from audience_prep._prepare.read.decode import CsvBody
from audience_prep._prepare.read.table import RawTable, table_from_rows
from audience_prep._prepare.working import FILE, MALFORMED, ROW
from audience_prep._progress import ProgressCallback, ignore
from audience_prep._text import first_line

if TYPE_CHECKING:
    import pandas as pd

from audience_prep._prepare.read.excel import read_excel_bytes

Source: TypeAlias = (
    "str | Path | bytes | IO[bytes] | pl.DataFrame | pl.LazyFrame | pd.DataFrame"
    " | Sequence[str | Path]"
)

EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"})
CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ".tab"})
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})

__all__ = ["ReadOptions", "Source", "read_source"]


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How to read a source; every field is optional."""

    sheet: str | int | None = None
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int | None = None
    is_header: Callable[[Sequence[str]], bool] | None = None
    region: str | None = None
    progress: ProgressCallback | None = None


def read_source(source: Source, options: ReadOptions | None = None) -> RawTable:
    """Read ``source`` into a :class:`RawTable`; raise SourceReadError when it is not a table."""
    options = options or ReadOptions()
    if options.header_row is not None and options.header_row < 1:
        raise ConfigurationError(f"header_row is 1-based, not {options.header_row}.")
    if isinstance(source, pl.LazyFrame):
        return _from_frame(source.collect(), "<polars.LazyFrame>", "polars")
    if isinstance(source, pl.DataFrame):
        return _from_frame(source, "<polars.DataFrame>", "polars")
    if _is_pandas(source):
        return _from_frame(_pandas_to_polars(source), "<pandas.DataFrame>", "pandas")
    if isinstance(source, str) and glob.has_magic(source):
        return _read_many(sorted(glob.glob(source)), source, options)
    if isinstance(source, list | tuple):
        return _read_many(list(source), ", ".join(str(s) for s in source), options)
    if isinstance(source, str | Path):
        return _read_path(Path(source), options)
    if isinstance(source, bytes | bytearray | memoryview):
        return _read_bytes(bytes(source), "<bytes>", "", options)
    if hasattr(source, "read"):
        return _read_file_object(source, options)
    raise SourceReadError(
        repr(type(source).__name__),
        "unsupported source type.",
        hint="Pass a path, a list of paths, bytes, a binary file object, or a DataFrame.",
    )


def _read_file_object(source: Any, options: ReadOptions) -> RawTable:
    name = str(getattr(source, "name", "<file object>"))
    data = source.read()
    if not isinstance(data, bytes):
        raise SourceReadError(name, "the file object is in text mode.", hint="Open it with 'rb'.")
    return _read_bytes(data, name, Path(name).suffix.lower(), options)


def _read_many(paths: list[str | Path], label: str, options: ReadOptions) -> RawTable:
    """Read several files and stack them; columns are matched by header name."""
    if not paths:
        raise SourceReadError(label, "no file matches.", hint="Check the pattern or the list.")
    tables = [read_source(p, options) for p in paths]
    if len(tables) == 1:
        return tables[0]
    headers = list(dict.fromkeys(h for t in tables for h in t.headers))
    frame = pl.concat([t.frame for t in tables], how="diagonal")
    first = tables[0]
    return replace(
        first,
        source=label,
        headers=tuple(headers),
        frame=frame.select(*headers, ROW, FILE, MALFORMED),
        empty_rows_skipped=sum(t.empty_rows_skipped for t in tables),
        files=tuple(f for t in tables for f in t.files),
    )


def _read_path(path: Path, options: ReadOptions) -> RawTable:
    """A file: CSV is handed to polars as a path (no copy in Python); others are read whole."""
    progress = options.progress or ignore
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(8)
        progress("read", 0, size)
        suffix = path.suffix.lower()
        if _sniff_format(head, suffix) == "csv" and size:
            table = _read_csv(path, str(path), suffix, options)
        else:
            table = _read_bytes(path.read_bytes(), str(path), suffix, options)
    except FileNotFoundError as exc:
        raise SourceReadError(str(path), "no such file.") from exc
    except IsADirectoryError as exc:
        raise SourceReadError(str(path), "is a directory, not a file.") from exc
    except PermissionError as exc:
        raise SourceReadError(str(path), f"cannot open it ({exc.strerror}).") from exc
    progress("read", size, size)
    return table


def _sniff_format(data: bytes, suffix: str) -> str:
    """The format of ``data``: by its magic bytes first, then by the file suffix."""
    if data.startswith(b"PAR1"):
        return "parquet"
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")) or suffix in EXCEL_SUFFIXES:
        return "excel"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix and suffix not in CSV_SUFFIXES:
        return "unknown"
    return "csv"


def _read_bytes(data: bytes, name: str, suffix: str, options: ReadOptions) -> RawTable:
    if not data.strip():
        raise SourceReadError(name, "the file is empty.", hint="Export it again with a header row.")
    kind = _sniff_format(data, suffix)
    if kind == "excel":
        sheet_name, rows = read_excel_bytes(data, name, options.sheet)
        table = table_from_rows(rows, name, "excel", options.header_row, options.is_header)
        return replace(table, sheet=sheet_name)
    if kind == "parquet":
        return _from_frame(_read_parquet(data, name), name, "parquet")
    if kind == "unknown":
        raise SourceReadError(
            name,
            f"unknown file type {suffix!r}.",
            hint="Supported: .csv .tsv .txt .xlsx .xlsm .xlsb .xls .ods .parquet.",
        )
    return _read_csv(data, name, suffix, options)


def _read_csv(data: CsvBody, name: str, suffix: str, options: ReadOptions) -> RawTable:
    tab = suffix in {".tsv", ".tab"}
    return read_csv_table(
        data,
        name,
        encoding=options.encoding,
        delimiter=options.delimiter or ("\t" if tab else None),
        header_row=options.header_row,
        is_header=options.is_header,
        region=options.region,
    )


def _read_parquet(data: bytes, name: str) -> pl.DataFrame:
    try:
        return pl.read_parquet(io.BytesIO(data))
    except pl.exceptions.PolarsError as exc:
        raise SourceReadError(name, f"not a readable Parquet file ({first_line(exc)}).") from exc


def _from_frame(frame: pl.DataFrame, name: str, fmt: str) -> RawTable:
    """A DataFrame given by the caller: every column cast to text, rows numbered from 2."""
    try:
        text = frame.select(pl.all().cast(pl.String))
    except pl.exceptions.PolarsError as exc:
        raise SourceReadError(
            name,
            f"a column cannot be read as text ({first_line(exc)}).",
            hint="Flatten list and struct columns before passing the frame.",
        ) from exc
    header = pl.DataFrame([pl.Series(c, [str(c)], dtype=pl.String) for c in text.columns])
    rows = pl.concat([header, text], how="vertical") if text.width else header
    return table_from_rows(rows, name, fmt, header_row=1, is_header=None)


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

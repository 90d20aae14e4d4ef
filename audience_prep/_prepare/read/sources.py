"""Open any supported source as a table of text with spreadsheet row numbers.

Supported sources: a path (CSV/TSV/TXT, XLSX/XLSM/XLSB/XLS/ODS, Parquet), a glob pattern or a
list of paths (concatenated, each row remembering its file), ``bytes``, a binary file object, a
polars DataFrame or LazyFrame, and a pandas DataFrame (pandas is imported only when one is
given). Every cell comes out as text (``pl.String``); a phone never passes through a float on
our side.

Rows are numbered as a spreadsheet user counts them: in a file, the sheet's or file's first
line is row 1 (so the header is row 1 unless title rows sit above it), a quoted cell with line
breaks is still one row; in a DataFrame the header counts as row 1 and the first data row is 2.

No source can hang or exhaust the process (see :mod:`.limits`):

- a path must be a regular file: a FIFO, socket or device is refused before it is opened
  (opening a FIFO blocks until a writer comes; ``/dev/zero`` never ends);
- a file object over a device is refused before it is read; any other is read in chunks and
  refused past MAX_INPUT_BYTES, so an endless stream stops there;
- a file, ``bytes`` or file object larger than MAX_INPUT_BYTES is refused;
- a workbook is checked before the Excel reader allocates it (:mod:`.excel`).
"""

from __future__ import annotations

import glob
import io
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeAlias

import polars as pl

from audience_prep._errors import ConfigurationError, SourceReadError
from audience_prep._prepare.read.csvread import read_csv_table
from audience_prep._prepare.read.decode import CsvBody
from audience_prep._prepare.read.frames import is_frame, read_frame, table_from_frame
from audience_prep._prepare.read.limits import MAX_INPUT_BYTES, describe_bytes, input_too_large
from audience_prep._prepare.read.table import RawTable, table_from_rows
from audience_prep._prepare.read.urls import fetched, is_url
from audience_prep._prepare.working import FILE, MALFORMED, ROW
from audience_prep._progress import ProgressCallback, ignore
from audience_prep._text import first_line

if TYPE_CHECKING:
    import pandas as pd

from audience_prep._prepare.read.excel import open_workbook

Source: TypeAlias = (
    "str | Path | bytes | IO[bytes] | pl.DataFrame | pl.LazyFrame | pd.DataFrame"
    " | Sequence[str | Path]"
)

EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"})
CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ".tab"})
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})

__all__ = ["ReadOptions", "Source", "read_source"]

_READ_CHUNK = 16 * 1024**2


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
    #: Without ``sheet``: whether a sheet's table is one the caller can use (prepare(): it has
    #: a phone column); the first such sheet of a workbook is read, else its first sheet.
    usable: Callable[[RawTable], bool] | None = None


def read_source(source: Source, options: ReadOptions | None = None) -> RawTable:
    """Read ``source`` into a :class:`RawTable`; raise SourceReadError when it is not a table."""
    options = options or ReadOptions()
    if options.header_row is not None and options.header_row < 0:
        raise ConfigurationError(
            f"header_row is 1-based (0 for a file without a header row), not {options.header_row}."
        )
    if is_frame(source):
        return read_frame(source)
    if is_url(source):
        return _read_url(str(source), options)
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
    _check_stream(source, name)
    data = _read_bounded(source, name)
    return _read_bytes(data, name, Path(name).suffix.lower(), options)


def _check_stream(source: Any, name: str) -> None:
    """A file object over a device (``/dev/zero``, a terminal) is refused before it is read;
    one over a regular file, a pipe or a socket is read (and bounded by MAX_INPUT_BYTES)."""
    try:
        mode = os.fstat(source.fileno()).st_mode
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return  # no descriptor (BytesIO, a wrapper): the read below is bounded
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        raise _not_regular(name, mode)


def _read_bounded(source: Any, name: str) -> bytes:
    """Everything ``source`` returns, refused past MAX_INPUT_BYTES (checked as it is read)."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = source.read(_READ_CHUNK)
        if isinstance(chunk, str):
            raise SourceReadError(
                name, "the file object is in text mode.", hint="Open it with 'rb'."
            )
        if not isinstance(chunk, bytes | bytearray):
            raise SourceReadError(name, f"read() returned {type(chunk).__name__}, not bytes.")
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > MAX_INPUT_BYTES:
            raise input_too_large(name, f"more than {describe_bytes(MAX_INPUT_BYTES)}")
        chunks.append(bytes(chunk))


def _not_regular(name: str, mode: int) -> SourceReadError:
    kinds = (
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    )
    kind = next((k for test, k in kinds if test(mode)), "a special file")
    return SourceReadError(
        name,
        f"it is {kind}, not a regular file, and may never end.",
        hint="Save the data to a file and pass that file's path (or pass the bytes).",
    )


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


def _read_url(url: str, options: ReadOptions) -> RawTable:
    """A URL: fetched into a temporary file (see :mod:`.urls`), read as a path named by the
    URL's label."""
    with fetched(url) as (path, label):
        return _read_path(path, options, name=label)


def _read_path(path: Path, options: ReadOptions, *, name: str | None = None) -> RawTable:
    """A file: CSV is handed to polars as a path (no copy in Python); others are read whole.
    ``name`` is how the table and errors name it (default: the path)."""
    progress = options.progress or ignore
    label = name or str(path)
    try:
        size, head = _open_regular(path, label)
        progress("read", 0, size)
        suffix = path.suffix.lower()
        if _sniff_format(head, suffix) == "csv" and size:
            table = _read_csv(path, label, suffix, options)
        else:
            with path.open("rb") as handle:  # bounded, should the file grow meanwhile
                data = handle.read(size + 1)
            table = _read_bytes(data, label, suffix, options)
    except FileNotFoundError as exc:
        raise SourceReadError(label, "no such file.") from exc
    except IsADirectoryError as exc:
        raise SourceReadError(label, "is a directory, not a file.") from exc
    except PermissionError as exc:
        raise SourceReadError(label, f"cannot open it ({exc.strerror}).") from exc
    progress("read", size, size)
    return table


def _open_regular(path: Path, label: str) -> tuple[int, bytes]:
    """The size and first 8 bytes of ``path``, refused unless it is a regular file within
    MAX_INPUT_BYTES.

    The mode is checked before the file is opened (opening a FIFO for reading blocks until a
    writer comes), and again on the descriptor, opened non-blocking, in case the path changed.
    """
    mode = os.stat(path).st_mode
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(path)
    if not stat.S_ISREG(mode):
        raise _not_regular(label, mode)
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise _not_regular(label, status.st_mode)
        if status.st_size > MAX_INPUT_BYTES:
            raise input_too_large(label, describe_bytes(status.st_size))
        return status.st_size, os.read(descriptor, 8)
    finally:
        os.close(descriptor)


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
    if len(data) > MAX_INPUT_BYTES:
        raise input_too_large(name, describe_bytes(len(data)))
    if not data.strip():
        raise SourceReadError(name, "the file is empty.", hint="Export it again with a header row.")
    kind = _sniff_format(data, suffix)
    if kind == "excel":
        return _read_workbook(data, name, options)
    if kind == "parquet":
        return table_from_frame(_read_parquet(data, name), name, "parquet")
    if kind == "unknown":
        raise SourceReadError(
            name,
            f"unknown file type {suffix!r}.",
            hint="Supported: .csv .tsv .txt .xlsx .xlsm .xlsb .xls .ods .parquet.",
        )
    return _read_csv(data, name, suffix, options)


def _read_workbook(data: bytes, name: str, options: ReadOptions) -> RawTable:
    """The sheet ``options.sheet`` names; without one, the first sheet ``options.usable``
    accepts (sheets that cannot be read as a table, such as empty ones, are passed over), or
    the first sheet when none is accepted. The table records every sheet's name."""
    book = open_workbook(data, name)

    def table_of(sheet: str) -> RawTable:
        rows = book.cells(sheet)
        table = table_from_rows(rows, name, "excel", options.header_row, options.is_header)
        return replace(table, sheet=sheet, sheets=book.sheet_names)

    if options.sheet is not None or options.usable is None or len(book.sheet_names) < 2:
        return table_of(book.choose(options.sheet))
    first: RawTable | SourceReadError | None = None
    for sheet in book.sheet_names:
        try:
            table = table_of(sheet)
        except SourceReadError as exc:
            first = first or exc
            continue
        if options.usable(table):
            return table
        first = first or table
    if isinstance(first, RawTable):
        return first  # the mapping says what it lacks
    assert first is not None  # a workbook has a sheet (choose() refuses one without)
    raise first


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

"""Read one sheet of a workbook (XLSX, XLSM, XLSB, XLS, ODS) as text, via fastexcel.

The reader (calamine, in Rust) holds a sheet as one dense grid from A1 to its last cell, and
aborts the whole process when it cannot allocate it. So before it opens a workbook, what can
be checked is (see :mod:`.limits`): a zip archive's sizes (:mod:`.archive`); every sheet of an
ODS or XLS file (the reader parses them all when it opens one); and, once a sheet is chosen,
that sheet of an XLSX or XLSB file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import fastexcel
import polars as pl

from audience_prep._errors import SourceReadError
from audience_prep._prepare.read.archive import open_archive
from audience_prep._prepare.read.binscan import xls_sheet_sizes, xlsb_sheet_size
from audience_prep._prepare.read.limits import check_sheet
from audience_prep._prepare.read.odsscan import ods_sheet_sizes
from audience_prep._prepare.read.sheetscan import check_shared_strings, xlsx_sheet_size
from audience_prep._text import first_line

__all__ = ["Workbook", "open_workbook", "read_excel_bytes"]

log = logging.getLogger("audience_prep")

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class Workbook:
    """An open workbook: its sheet names, and each sheet's cells on demand (see
    :meth:`cells`). Opened once, so a caller looking for the right sheet does not pay the
    opening (for XLS and ODS, the parsing of every sheet) again per sheet."""

    def __init__(self, data: bytes, name: str) -> None:
        self.name = name
        self._check_sheet = _check_before_opening(data, name)
        with _translated(name, "not a readable workbook ({}).", "Re-save it in Excel."):
            self._reader = fastexcel.read_excel(data)
        self.sheet_names: tuple[str, ...] = tuple(self._reader.sheet_names)

    def choose(self, sheet: str | int | None) -> str:
        """The sheet ``sheet`` names (a name or a 0-based index; None is the first); a
        SourceReadError listing the sheets when there is none such."""
        return _choose_sheet(list(self.sheet_names), self.name, sheet)

    def cells(self, sheet: str) -> pl.DataFrame:
        """The sheet's cells as text, header row included.

        Numbers come out as calamine formats them (``972502345678``); formulas give their
        cached values. A sheet past a limit of :mod:`.limits` is refused before the reader
        allocates it. A NUL character (XLS, XLSB and ODS can hold one) is removed from every
        cell, as from a CSV body: it is never part of a name or a phone, and must not reach
        the audience file.
        """
        self._check_sheet(sheet)
        with _translated(self.name, f"sheet {sheet!r} cannot be read ({{}}).", "Re-save it."):
            # skip_rows=0 keeps the leading empty rows: row i of the frame is sheet row i + 1.
            loaded = self._reader.load_sheet(sheet, header_row=None, skip_rows=0, dtypes="string")
            frame = loaded.to_polars()
        return _without_nul(frame.select(pl.all().cast(pl.String)), self.name)


def open_workbook(data: bytes, name: str) -> Workbook:
    """``data`` opened as a workbook (XLSX, XLSM, XLSB, XLS, ODS), its limits checked first."""
    return Workbook(data, name)


def read_excel_bytes(data: bytes, name: str, sheet: str | int | None) -> tuple[str, pl.DataFrame]:
    """The chosen sheet's name and its cells as text (see :meth:`Workbook.cells`); ``sheet``
    is a sheet name or a 0-based index, ``None`` the first sheet."""
    book = open_workbook(data, name)
    chosen = book.choose(sheet)
    return chosen, book.cells(chosen)


def _check_before_opening(data: bytes, name: str) -> Callable[[str], None]:
    """Check what the reader reads when it opens ``data``; return the check of one sheet.

    The reader tries XLS, then XLSX, XLSB and ODS, whatever the file's name: every format
    an archive could be read as is checked.
    """
    if data.startswith(_OLE):
        for sheet, size in xls_sheet_sizes(data, name):
            check_sheet(size, name, sheet)
        return _nothing
    try:
        archive = open_archive(data, name)
    except SourceReadError:
        if data.startswith(b"PK"):
            raise
        return _nothing  # not a zip archive: the reader refuses it, or reads it whole
    members = archive.members()
    ods = "content.xml" in members  # the reader parses every ODS sheet when it opens one
    archive.verify(scanned=frozenset({"content.xml"}) if ods else frozenset())
    check_shared_strings(archive)
    if ods:
        for sheet, size in ods_sheet_sizes(archive):
            check_sheet(size, name, sheet)
    sizes = []
    if archive.office_document() is not None:
        sizes.append(xlsx_sheet_size)
    if "xl/workbook.bin" in members:
        sizes.append(xlsb_sheet_size)

    def check_chosen(sheet: str) -> None:
        for size in sizes:
            check_sheet(size(archive, sheet), name, sheet)

    return check_chosen


def _without_nul(cells: pl.DataFrame, name: str) -> pl.DataFrame:
    """``cells`` with the NUL characters removed, and a warning if any was."""
    if not cells.width:
        return cells
    found = cells.select(pl.all().str.contains("\x00", literal=True).any()).row(0, named=True)
    columns = [column for column, hit in found.items() if hit]
    if not columns:
        return cells
    count = cells.select(
        pl.sum_horizontal(pl.col(columns).str.count_matches("\x00", literal=True).sum())
    ).item()
    log.warning("%s: %d NUL characters removed (a NUL is never part of a cell)", name, count)
    return cells.with_columns(pl.col(columns).str.replace_all("\x00", "", literal=True))


def _nothing(sheet: str) -> None:
    """No check left for the chosen sheet."""


@contextmanager
def _translated(name: str, reason: str, hint: str) -> Iterator[None]:
    """fastexcel's errors, and the Rust panics it passes on (which derive from BaseException),
    as SourceReadError; ``reason`` gets the error's first line."""
    try:
        yield
    except Exception as exc:  # fastexcel raises its own hierarchy
        raise SourceReadError(name, reason.format(first_line(exc)), hint=hint) from exc
    except BaseException as exc:
        if type(exc).__name__ != "PanicException":
            raise
        raise SourceReadError(name, reason.format(first_line(exc)), hint=hint) from exc


def _choose_sheet(names: list[str], name: str, sheet: str | int | None) -> str:
    listed = ", ".join(repr(n) for n in names)
    if not names:
        raise SourceReadError(name, "the workbook has no sheets.")
    if sheet is None:
        return names[0]
    if isinstance(sheet, int):
        if 0 <= sheet < len(names):
            return names[sheet]
        raise SourceReadError(
            name,
            f"no sheet at index {sheet} (it has {len(names)}: {listed}).",
            hint="Pass sheet= a 0-based index or a sheet name.",
        )
    if sheet in names:
        return sheet
    if sheet.isascii() and sheet.isdigit() and int(sheet) < len(names):
        return names[int(sheet)]  # "--sheet 1" from a shell: an index when no sheet has that name
    raise SourceReadError(
        name, f"no sheet named {sheet!r}. Sheets: {listed}.", hint="Pass sheet= one of them."
    )

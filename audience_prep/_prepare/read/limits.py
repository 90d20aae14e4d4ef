"""The documented size limits of reading: checked before the expensive step, never after.

A source past a limit is refused with a :class:`~audience_prep.SourceReadError` that names the
file (and the sheet), the limit and its value, and what to do. The limits are generous for real
exports (a 10-million-row, 10-column CSV is about 1.5 GB; Excel itself stops at 1,048,576 rows
by 16,384 columns) and far below what exhausts a 24 GB machine or makes the Excel reader abort
the process (it allocates the whole used range of a sheet as one dense grid, about 32 bytes a
cell, before anything is returned).

- ``MAX_INPUT_BYTES`` (4 GiB): the most bytes one file, ``bytes`` object or file object may
  hold. A path's size is checked before it is opened; a file object is counted while it is
  read, so an endless stream stops there.
- ``MAX_ARCHIVE_MEMBERS`` (10,000), ``MAX_INFLATED_BYTES`` (4 GiB), ``MAX_COMPRESSION_RATIO``
  (500, for members over 16 MiB): a workbook that is a zip archive (XLSX, XLSM, XLSB, ODS) is
  checked before it is read: its number of members, their declared uncompressed sizes
  together, and each large member's ratio of uncompressed to compressed size (sheets compress
  5 to 50 times; deflate cannot pass about 1,030, where zip bombs sit). The members the
  reader parses are inflated once, counted as they are (sizes in an archive can lie), and
  their checksums checked.
- ``MAX_SHEET_ROWS`` (1,048,576), ``MAX_SHEET_COLUMNS`` (16,384): the largest row and column
  number a sheet's cells may use (Excel's own limits).
- ``MAX_SHEET_AREA`` (100 million): rows times columns of the sheet's used range, from A1 to
  its last row and column: the dense grid the reader allocates (about 3.2 GB at the limit),
  or what the file makes it reserve at once (an XLS DIMENSIONS record).
- ``MAX_SHEET_CELLS`` (100 million): the cells a sheet lists (with their repeats in an ODS
  sheet), and the strings an XLSX shared string table declares (the reader reserves room for
  them at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from audience_prep._errors import SourceReadError

__all__ = [
    "MAX_ARCHIVE_MEMBERS",
    "MAX_COMPRESSION_RATIO",
    "MAX_INFLATED_BYTES",
    "MAX_INPUT_BYTES",
    "MAX_SHEET_AREA",
    "MAX_SHEET_CELLS",
    "MAX_SHEET_COLUMNS",
    "MAX_SHEET_ROWS",
    "RATIO_CHECKED_FROM",
    "SheetSize",
    "check_sheet",
    "describe_bytes",
    "input_too_large",
]

#: The most bytes one input (a file, ``bytes``, or what a file object returns) may hold.
MAX_INPUT_BYTES: Final = 4 * 1024**3
#: The most members a workbook archive may list.
MAX_ARCHIVE_MEMBERS: Final = 10_000
#: The most bytes the members of a workbook archive may inflate to, together.
MAX_INFLATED_BYTES: Final = 4 * 1024**3
#: The highest ratio of uncompressed to compressed size of one archive member ...
MAX_COMPRESSION_RATIO: Final = 500
#: ... checked for members that inflate to more than this (small files compress freely).
RATIO_CHECKED_FROM: Final = 16 * 1024**2
#: The largest row number a sheet may use (Excel's limit).
MAX_SHEET_ROWS: Final = 1_048_576
#: The largest column number a sheet may use (Excel's limit, column XFD).
MAX_SHEET_COLUMNS: Final = 16_384
#: The most rows x columns of a sheet's used range (A1 to its last row and column).
MAX_SHEET_AREA: Final = 100_000_000
#: The most cells one sheet may list.
MAX_SHEET_CELLS: Final = 100_000_000


@dataclass(frozen=True, slots=True)
class SheetSize:
    """What a sheet's cells use: the largest row and column numbers (1-based) and how many
    cells it lists."""

    rows: int = 0
    columns: int = 0
    cells: int = 0
    #: Cells the reader reserves at once because the file declares them (an XLS DIMENSIONS).
    reserved: int = 0

    @property
    def area(self) -> int:
        """The cells of the dense grid the reader allocates."""
        return max(self.rows * self.columns, self.reserved)


def check_sheet(size: SheetSize, name: str, sheet: str) -> None:
    """Refuse a sheet past MAX_SHEET_ROWS, MAX_SHEET_COLUMNS, MAX_SHEET_AREA or
    MAX_SHEET_CELLS, naming the file, the sheet and the limit."""
    where = f"sheet {sheet!r}"
    area = size.area
    if size.rows > MAX_SHEET_ROWS:
        why = f"uses row {size.rows:,}, past the limit of {MAX_SHEET_ROWS:,} (MAX_SHEET_ROWS)"
    elif size.columns > MAX_SHEET_COLUMNS:
        why = (
            f"uses column {size.columns:,}, past the limit of {MAX_SHEET_COLUMNS:,} "
            "(MAX_SHEET_COLUMNS)"
        )
    elif area > MAX_SHEET_AREA:
        why = (
            f"needs a grid of {area:,} cells (rows x columns from A1 to its last cell, "
            f"{size.rows:,} x {size.columns:,}, or what the file declares), past the limit "
            f"of {MAX_SHEET_AREA:,} (MAX_SHEET_AREA)"
        )
    elif size.cells > MAX_SHEET_CELLS:
        why = f"lists {size.cells:,} cells, past the limit of {MAX_SHEET_CELLS:,} (MAX_SHEET_CELLS)"
    else:
        return
    raise SourceReadError(
        name,
        f"{where} {why}; reading it would exhaust memory.",
        hint="Delete the stray cells far from the data (Ctrl+End shows the last one) and "
        "re-save, or export the sheet as CSV.",
    )


def describe_bytes(size: int) -> str:
    """``size`` for a message: ``4 GiB``, ``512 MiB``, ``2,048 bytes``."""
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale:
            value = size / scale
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size:,} bytes"


def input_too_large(name: str, size: str) -> SourceReadError:
    """The error for an input past MAX_INPUT_BYTES; ``size`` says how much it holds."""
    return SourceReadError(
        name,
        f"it holds {size}, past the limit of {describe_bytes(MAX_INPUT_BYTES)} per input "
        "(MAX_INPUT_BYTES).",
        hint="Split the export into several files and pass them as a list.",
    )

"""How much of each sheet an ODS workbook uses, read from its ``content.xml`` before the Excel
reader opens it (it reads every sheet when it opens the file).

An ODS cell or row may be repeated (``table:number-columns-repeated``,
``table:number-rows-repeated``), so a few bytes can stand for millions of cells. The sheet is
counted as the reader expands it:

- in a row, empty cells count only before a cell with a value (trailing empty cells, which
  LibreOffice writes by the thousand, cost nothing), and a row is at most 16,384 cells wide;
- the cells listed are the expanded width of every row element, summed;
- the rows span from the first row to the last with a value, repeats expanded (at most
  1,048,576); the used range is that many rows by the widest row.

A cell has a value when it has a value, value type or formula attribute, or any child element.
"""

from __future__ import annotations

from audience_prep._prepare.read.archive import Archive
from audience_prep._prepare.read.limits import MAX_SHEET_COLUMNS, MAX_SHEET_ROWS, SheetSize
from audience_prep._prepare.read.sheetscan import parse_xml

__all__ = ["ods_sheet_sizes"]

_VALUE_ATTRIBUTES = frozenset(
    {
        "office:value",
        "office:value-type",
        "office:string-value",
        "office:boolean-value",
        "office:date-value",
        "office:time-value",
        "table:formula",
    }
)
_CELLS = frozenset({"table:table-cell", "table:covered-table-cell"})


def ods_sheet_sizes(archive: Archive) -> list[tuple[str, SheetSize]]:
    """Each sheet of the ODS ``archive``, by name, with what the reader would allocate."""
    counter = _OdsCounter()
    parse_xml(
        archive.chunks("content.xml"), counter.start, counter.end, archive.name, "content.xml"
    )
    return counter.sheets


def _repeats(attrs: dict[str, str], key: str) -> int:
    value = attrs.get(key, "1")
    return int(value) if value.isascii() and value.isdigit() else 1


class _OdsCounter:
    """Follows content.xml element by element, sheet by sheet, as the reader expands it."""

    def __init__(self) -> None:
        self.sheets: list[tuple[str, SheetSize]] = []
        self._depth = 0  # nesting of table:table (a table inside a cell is part of its sheet)
        self._open: int | None = None  # repeats of a cell without a value attribute, yet
        self._new_sheet("")
        self._new_row(1)

    def _new_sheet(self, name: str) -> None:
        self._sheet = name
        self._total_rows = 0  # rows so far, repeats expanded and capped as the reader does
        self._rows_to_last = 0  # rows up to the last row with a value
        self._widest = 0
        self._cells = 0

    def _new_row(self, repeats: int) -> None:
        self._total_rows += min(repeats, max(MAX_SHEET_ROWS - self._total_rows, 0))
        self._width = 0  # cells the reader keeps in this row: up to its last value
        self._pending = 0  # empty cells since, which count only if a value follows

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if self._open is not None:  # a child element: the open cell has a value after all
            self._valued(self._open)
        if tag == "table:table":
            self._depth += 1
            if self._depth == 1:
                self._new_sheet(attrs.get("table:name", f"Sheet{len(self.sheets) + 1}"))
        elif tag == "table:table-row" and self._depth:
            self._new_row(_repeats(attrs, "table:number-rows-repeated"))
        elif tag in _CELLS and self._depth:
            repeats = _repeats(attrs, "table:number-columns-repeated")
            if _VALUE_ATTRIBUTES.intersection(attrs):
                self._valued(repeats)
            else:
                self._open = repeats

    def _valued(self, repeats: int) -> None:
        """A cell with a value: it and the empty cells before it count."""
        self._open = None
        width = min(self._width + self._pending + repeats, MAX_SHEET_COLUMNS)
        self._cells += width - self._width
        self._width = width
        self._pending = 0
        self._widest = max(self._widest, width)
        self._rows_to_last = self._total_rows

    def end(self, tag: str) -> None:
        if tag in _CELLS and self._open is not None:
            self._pending += self._open
            self._open = None
        elif tag == "table:table" and self._depth:
            self._depth -= 1
            if not self._depth:
                size = SheetSize(rows=self._rows_to_last, columns=self._widest, cells=self._cells)
                self.sheets.append((self._sheet, size))

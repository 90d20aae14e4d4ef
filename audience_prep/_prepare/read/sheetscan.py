"""How much of a sheet an XLSX/XLSM worksheet uses, read from its XML before the Excel reader
allocates it (as one dense grid from A1 to the last row and column any cell names).

The cells are read as the reader reads them: a ``<c>`` with an ``r`` attribute sits where
``r`` says; one without sits right of the previous cell, in the row its ``<row>`` names (or the
row after the previous one). An empty cell (``<c r="XFD9" s="1"/>``, which some tools write for
every styled cell of a row) is skipped, as the reader skips it; a cell with any content counts.

Three ways, from the quickest; each answers only when it can tell:

- the declared ``<dimension>`` box, verified by one regular expression (:mod:`.dimension`): a
  file may declare A1:B2 and hold XFD3, so the box is never trusted unchecked;
- every reference, for the XML that Excel and the usual libraries write (every cell's first
  attribute is ``r="A1"``, attributes in double quotes without ``>`` in them, and no comment,
  CDATA or processing instruction): polars finds the cells' start tags with one regular
  expression per 16 MiB, in Rust, and skips the empty ones;
- every element, for anything else: expat reads the sheet (several times slower).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from xml.parsers import expat

import polars as pl

from audience_prep._errors import SourceReadError
from audience_prep._prepare.read.archive import Archive, member_name
from audience_prep._prepare.read.dimension import verified_size
from audience_prep._prepare.read.limits import MAX_SHEET_CELLS, SheetSize
from audience_prep._text import first_line

__all__ = [
    "check_shared_strings",
    "column_number",
    "parse_xml",
    "sheet_parts",
    "xlsx_sheet_size",
]

#: A cell's start tag (``r="..."`` right after the name when it is its first attribute); or
#: the start of a comment, CDATA section, DTD or processing instruction (which send the sheet
#: to expat). No ``<`` can stand inside a tag, so the tag ends at the first ``>``, unless one
#: stands in an attribute value: then its quotes are odd, and expat reads the sheet.
_TOKEN = r"""<(?:[A-Za-z_][\w.\-]*:)?c(?:\s+r="[A-Za-z]*[0-9]*"|[\s/>])[^<>]*>?|<[!?]"""
#: A tag cut by the end of a chunk is carried into the next one; a longer tail holds no tag
#: start the scan needs (those are short), so it is not carried.
_CARRY_MAX = 4096
_UNIQUE_COUNT = re.compile(r"""<(?:[\w.\-]+:)?sst\b[^>]*?\suniqueCount\s*=\s*["']([0-9]+)""")


def xlsx_sheet_size(archive: Archive, sheet: str) -> SheetSize:
    """What the worksheet of ``archive`` named ``sheet`` uses (every worksheet together when
    the workbook does not say which part is that sheet)."""
    sizes = [_part_size(archive, part) for part in sheet_parts(archive, sheet)]
    return SheetSize(
        rows=max((s.rows for s in sizes), default=0),
        columns=max((s.columns for s in sizes), default=0),
        cells=max((s.cells for s in sizes), default=0),
    )


def sheet_parts(archive: Archive, sheet: str) -> list[str]:
    """The archive parts of the worksheets named ``sheet``, found as the reader finds them
    (``workbook.xml`` and its relations in the folder of the package's officeDocument);
    every XML part when they do not say (no other part holds a ``<c>`` cell)."""
    members = archive.members()
    every = sorted(m for m in members if m.endswith(".xml"))
    target = archive.office_document()
    if target is None:
        return every
    folder = target[: target.rfind("/") + 1].lstrip("/")
    try:
        root = ET.fromstring(archive.read(f"{folder}workbook.xml"))
    except (ET.ParseError, SourceReadError, KeyError):
        return every
    ids = [
        value
        for element in root.iter()
        if _local(element.tag) == "sheet" and element.get("name") == sheet
        for key, value in element.attrib.items()
        if key == "id" or key.endswith(("}id", ":id"))
    ]
    relations = archive.relations(f"{folder}_rels/workbook.xml.rels")
    targets = [relations[i] for i in ids if i in relations]
    parts = [member_name(t[1:] if t.startswith("/") else folder + t) for t in targets]
    return parts if parts and all(p in members for p in parts) else every


def check_shared_strings(archive: Archive) -> None:
    """Refuse a shared string table whose ``uniqueCount`` the reader would reserve room for
    at once, past MAX_SHEET_CELLS (a few bytes could ask for terabytes)."""
    for member in sorted(m for m in archive.members() if m.endswith("sharedstrings.xml")):
        head = archive.first_chunk(member)[:65536].decode("latin-1")
        found = _UNIQUE_COUNT.search(head)
        if found and int(found.group(1)) > MAX_SHEET_CELLS:
            raise SourceReadError(
                archive.name,
                f"{member} declares {int(found.group(1)):,} distinct strings, past the limit "
                f"of {MAX_SHEET_CELLS:,} (MAX_SHEET_CELLS).",
                hint="Re-save it in Excel.",
            )


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _part_size(archive: Archive, part: str) -> SheetSize:
    """The quickest scan that can tell: the declared box verified (:mod:`.dimension`), then
    every reference by regular expression, then every element by expat."""
    for scan in (verified_size, _fast_scan):
        size = scan(archive.chunks(part))
        if size is not None:
            return size
    return _exact_scan(archive.chunks(part), archive.name, part)


def column_number(letters: str) -> int:
    """``A`` -> 1, ``Z`` -> 26, ``AA`` -> 27, ``XFD`` -> 16384 (any case); ``""`` -> 0."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


@dataclass
class _Extent:
    """The largest row and column numbers seen and the cells counted, as a scan goes."""

    rows: int = 0
    columns: int = 0
    cells: int = 0

    def size(self) -> SheetSize:
        return SheetSize(rows=self.rows, columns=self.columns, cells=self.cells)


def _fast_scan(chunks: Iterable[bytes]) -> SheetSize | None:
    """The sheet's extent by regular expression; None when its XML is not the usual kind."""
    extent = _Extent()
    for text in _texts(chunks):
        if not _scan_text(text, extent):
            return None
    return extent.size()


def _texts(chunks: Iterable[bytes]) -> Iterator[str]:
    """The XML as text (latin-1: every byte one character), cut before the last tag start of
    each chunk, without its prolog (``<?xml ...?>``)."""
    carry = ""
    first = True
    for chunk in chunks:
        text = carry + chunk.decode("latin-1")
        if first:
            text = _without_prolog(text)
            first = False
        cut = text.rfind("<")
        if cut < 0 or len(text) - cut > _CARRY_MAX:
            carry = ""
            yield text
        else:
            carry = text[cut:]
            yield text[:cut]
    if carry:
        yield carry


def _without_prolog(text: str) -> str:
    text = text.removeprefix("\xef\xbb\xbf").lstrip()  # a UTF-8 BOM, as latin-1
    if text.startswith("<?xml"):
        end = text.find("?>")
        return text[end + 2 :] if end >= 0 else text
    return text


def _scan_text(text: str, extent: _Extent) -> bool:
    """Add the cells of ``text`` to ``extent``; False when it needs the exact scan."""
    tag = pl.col("t")
    ref = tag.str.extract(r'^<[^\s/>]+\s+r="([A-Za-z]*[0-9]*)"', 1)
    odd = ref.is_null() | tag.str.contains("'", literal=True)
    odd = odd | (tag.str.count_matches('"', literal=True) % 2 == 1)
    letters = pl.col("ref").str.extract(r"^([A-Za-z]*)", 1).str.to_uppercase()
    width = letters.str.len_bytes()
    digits = pl.col("ref").str.extract(r"([0-9]*)$", 1)
    stats = (
        pl.DataFrame({"t": pl.Series([text]).str.extract_all(_TOKEN).explode().drop_nulls()})
        .lazy()
        .select(ref.alias("ref"), odd.alias("odd"), tag.str.ends_with("/>").alias("empty"))
        .filter(pl.col("odd") | ~pl.col("empty"))
        .select(
            cells=pl.len(),
            odd=pl.col("odd").sum(),
            width=width.max(),
            letters=letters.filter(width == width.max()).max(),
            digits=digits.str.len_bytes().max(),
            row=digits.cast(pl.UInt64, strict=False).max(),
        )
        .collect()
        .row(0, named=True)
    )
    if stats["odd"]:
        return False
    extent.cells += stats["cells"]
    extent.columns = max(
        extent.columns, _bounded(column_number(stats["letters"] or ""), 3, stats["width"])
    )
    extent.rows = max(extent.rows, _bounded(stats["row"] or 0, 7, stats["digits"]))
    return True


def _bounded(value: int, digits_allowed: int, digits: int | None) -> int:
    """``value``, or a number past every limit when it was written with more than
    ``digits_allowed`` letters or digits (and so may not fit polars' integers)."""
    return 10**12 if (digits or 0) > digits_allowed else value


def _exact_scan(chunks: Iterable[bytes], name: str, part: str) -> SheetSize:
    """The sheet's extent by expat, element by element, placing cells as the reader does."""
    cursor = _Cursor()
    parse_xml(chunks, cursor.start, cursor.end, name, part)
    return cursor.extent.size()


def parse_xml(
    chunks: Iterable[bytes],
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None],
    name: str,
    part: str,
) -> None:
    """Feed the XML of ``part`` to expat, calling ``start(tag, attributes)`` and
    ``end(tag)`` (tags as written, prefix included); a DTD or malformed XML is refused."""
    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = _refuse_dtd
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except (expat.ExpatError, _DtdError) as exc:
        raise SourceReadError(
            name,
            f"{part} is not a well-formed workbook part ({first_line(exc)}).",
            hint="Re-save it.",
        ) from exc


class _DtdError(Exception):
    """A sheet declares a DTD: no spreadsheet writes one, and its entities could expand."""


def _refuse_dtd(*_: Any) -> None:
    raise _DtdError("it declares a DTD")


class _Cursor:
    """Where the reader puts each cell: ``r`` when a cell has it, else right of the last; a
    cell counts when anything stands inside it."""

    def __init__(self) -> None:
        self.extent = _Extent()
        self.row = 0  # 0-based, as the reader counts
        self.column = 0
        self.open: tuple[int, int] | None = None  # a cell seen, its content not yet

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if self.open is not None:  # something inside the open cell: it is not empty
            self._count(*self.open)
        local = tag.rpartition(":")[2]
        if local == "row" and "r" in attrs:
            self.row = _digits(attrs["r"]) - 1
        elif local == "c":
            row, column = _reference(attrs["r"]) if "r" in attrs else (self.row, self.column)
            self.column = column + 1
            self.open = (row, column)

    def _count(self, row: int, column: int) -> None:
        self.open = None
        self.extent.cells += 1
        self.extent.rows = max(self.extent.rows, row + 1)
        self.extent.columns = max(self.extent.columns, column + 1)

    def end(self, tag: str) -> None:
        local = tag.rpartition(":")[2]
        if local == "c":
            self.open = None
        elif local == "row":
            self.row += 1
            self.column = 0


def _reference(ref: str) -> tuple[int, int]:
    """``B3`` -> (2, 1), 0-based; text the reader refuses counts as A1 (it fails there)."""
    letters = ref.rstrip("0123456789")
    if not letters.isascii() or not letters.isalpha():
        return 0, 0
    return _digits(ref[len(letters) :]) - 1, column_number(letters) - 1


def _digits(text: str) -> int:
    return int(text) if text.isascii() and text.isdigit() else 1

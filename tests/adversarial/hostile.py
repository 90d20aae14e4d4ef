"""Hostile inputs, built at test time (nothing large is kept on disk): XLSX and ODS workbooks
and zip archives written by hand, so that their dimensions, cell references and sizes say
exactly what a test needs, and text in broken encodings. The binary workbooks (XLS, XLSB) are
in :mod:`hostile_binary`.

Every workbook here is small on disk; what makes it hostile is what it asks the reader to
allocate or inflate.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from io import BytesIO

GIB = 1024**3
MIB = 1024**2

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


# --- XLSX ------------------------------------------------------------------------------------


def cell(ref: str, text: str) -> str:
    """An inline-string cell ``<c r="ref">`` holding ``text``."""
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def sheet_xml(rows: str, *, dimension: str = "A1") -> bytes:
    """A worksheet whose ``<sheetData>`` is ``rows`` (raw XML) and declared ``dimension``."""
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<worksheet xmlns="{_MAIN}" xmlns:r="{REL}"><dimension ref="{dimension}"/>'
        f"<sheetData>{rows}</sheetData></worksheet>"
    ).encode()


def header_rows() -> str:
    """A header and one valid Israeli mobile, as rows 1 and 2."""
    return (
        f'<row r="1">{cell("A1", "phone")}{cell("B1", "name")}</row>'
        f'<row r="2">{cell("A2", "0502345678")}{cell("B2", "Dana")}</row>'
    )


def _workbook_parts(sheet_part: str = "worksheets/sheet1.xml") -> dict[str, bytes]:
    return {
        "[Content_Types].xml": (
            b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            b'<Default Extension="rels" '
            b'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            b'<Default Extension="xml" ContentType="application/xml"/>'
            b'<Override PartName="/xl/workbook.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ).encode(),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" xmlns:r="{REL}">'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="{sheet_part}"/>'
            "</Relationships>"
        ).encode(),
    }


def xlsx(sheet: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal valid workbook: one sheet, ``Sheet1``, whose XML is ``sheet``, and the
    ``extra`` parts (by archive path)."""
    parts = {**_workbook_parts(), "xl/worksheets/sheet1.xml": sheet, **(extra or {})}
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in parts.items():
            archive.writestr(path, data)
    return buffer.getvalue()


def far_corners_xlsx() -> bytes:
    """2 KB: one cell at XFD3 and one at A1048576, so the reader's grid would be 1,048,576 x
    16,384 cells (about 550 GB)."""
    rows = (
        header_rows()
        + f'<row r="3">{cell("XFD3", "far right")}</row>'
        + f'<row r="1048576">{cell("A1048576", "far down")}</row>'
    )
    return xlsx(sheet_xml(rows, dimension="A1:B2"))


def far_corners_unusual_xml() -> dict[str, bytes]:
    """The far corners written in ways the quick scan leaves to the exact one."""
    far = cell("A1048576", "far down")
    return {
        "r-not-first": xlsx(
            sheet_xml(
                header_rows() + f'<row r="3"><c t="inlineStr" r="XFD3"><is><t>x</t></is>'
                f'</c></row><row r="1048576">{far}</row>'
            )
        ),
        "single-quotes": xlsx(
            sheet_xml(
                header_rows() + "<row r='3'><c r='XFD3' t='inlineStr'><is><t>x</t></is>"
                f"</c></row><row r='1048576'>{far}</row>"
            )
        ),
        "cells-without-r": xlsx(
            sheet_xml(
                header_rows() + '<row r="3">' + "<c><v>1</v></c>" * 16_384 + "</row>"
                f'<row r="1048576">{far}</row>'
            )
        ),
        "comment-and-prefix": xlsx(
            sheet_xml(
                header_rows() + '<!-- <c r="A1"> --><row r="3"><x:c xmlns:x="'
                f'{_MAIN}" r="XFD3"><x:v>1</x:v></x:c></row><row r="1048576">{far}</row>'
            )
        ),
        "gt-in-attribute": xlsx(
            sheet_xml(
                header_rows() + '<row r="3"><c r="XFD3" x="/>"><v>1</v></c></row>'
                f'<row r="1048576">{far}</row>'
            )
        ),
    }


def huge_shared_strings_xlsx() -> bytes:
    """A shared string table that declares 10**12 distinct strings (the reader reserves room
    for them at once) and holds one."""
    sst = (
        f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}" count="1" '
        'uniqueCount="1000000000000"><si><t>phone</t></si></sst>'
    ).encode()
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    return xlsx(sheet_xml(rows), {"xl/sharedStrings.xml": sst})


# --- zip archives written by hand: sizes that are not what zipfile would write ----------------


@dataclass(frozen=True)
class Member:
    """An archive member: its raw deflate stream, CRC and the sizes to declare."""

    name: str
    deflated: bytes
    crc: int
    size: int


def deflated(data: bytes, name: str) -> Member:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    raw = compressor.compress(data) + compressor.flush()
    return Member(name, raw, zlib.crc32(data), len(data))


def repeated(head: bytes, filler: bytes, times: int, tail: bytes, name: str) -> Member:
    """``head + filler * times + tail``, deflated without ever holding it: ``filler`` is
    compressed once as an independent block (a full flush resets the dictionary), and that
    block is repeated ``times``."""

    def block(data: bytes, final: bool = False) -> bytes:
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        return compressor.compress(data) + compressor.flush(
            zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH
        )

    crc = zlib.crc32(head)
    view = memoryview(filler)
    for _ in range(times):
        crc = zlib.crc32(view, crc)
    crc = zlib.crc32(tail, crc)
    raw = block(head) + block(filler) * times + block(tail, final=True)
    return Member(name, raw, crc, len(head) + len(filler) * times + len(tail))


def zip_archive(members: Iterable[Member], *, declare: dict[str, int] | None = None) -> bytes:
    """A zip archive of ``members`` (deflated), declaring each one's true size unless
    ``declare`` names another."""
    declare = declare or {}
    out = BytesIO()
    central = []
    for member in members:
        size = declare.get(member.name, member.size)
        name = member.name.encode()
        offset = out.tell()
        fields = (20, 0, 8, 0, 0x21, member.crc, len(member.deflated), size, len(name))
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields, 0) + name + member.deflated)
        central.append(
            struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, *fields, 0, 0, 0, 0, 0, offset) + name
        )
    start = out.tell()
    directory = b"".join(central)
    out.write(directory)
    out.write(
        struct.pack(
            "<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), len(directory), start, 0
        )
    )
    return out.getvalue()


def zip_bomb_xlsx(inflated: int = 2 * GIB, *, lie: bool = False) -> bytes:
    """About ``inflated / 1000`` bytes: a workbook whose sheet XML inflates to ``inflated``
    bytes of whitespace between two rows. ``lie`` declares the sheet 1 MiB, so only what is
    read, not what is declared, can tell."""
    head = sheet_xml(header_rows() + "\n").split(b"</sheetData>")[0]
    filler = b" " * MIB
    sheet = repeated(
        head, filler, inflated // MIB, b"</sheetData></worksheet>", "xl/worksheets/sheet1.xml"
    )
    parts = [deflated(data, path) for path, data in _workbook_parts().items()]
    declare = {sheet.name: MIB} if lie else None
    return zip_archive([*parts, sheet], declare=declare)


# --- ODS ---------------------------------------------------------------------------------------

_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def ods(rows: str) -> bytes:
    """A minimal ODS workbook with one sheet whose rows are ``rows`` (raw XML)."""
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS} '
        'office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Sheet1">'
        f"{rows}</table:table></office:spreadsheet></office:body></office:document-content>"
    ).encode()
    manifest = (
        b'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:'
        b'names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry '
        b'manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.'
        b'spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" '
        b'manifest:media-type="text/xml"/></manifest:manifest>'
    )
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def ods_text(text: str, repeats: int = 1) -> str:
    extra = f' table:number-columns-repeated="{repeats}"' if repeats > 1 else ""
    return (
        f'<table:table-cell office:value-type="string"{extra}><text:p>{text}</text:p>'
        "</table:table-cell>"
    )


def ods_rows() -> str:
    """A header and one valid Israeli mobile."""
    return (
        f"<table:table-row>{ods_text('phone')}{ods_text('name')}</table:table-row>"
        f"<table:table-row>{ods_text('0502345678')}{ods_text('Dana')}</table:table-row>"
    )


def repeated_ods(rows: int = 10_000) -> bytes:
    """About 2 KB zipped: ``rows`` rows, each a value repeated across all 16,384 columns; the
    reader expands every row element before it looks at the total (10,000 rows: 164 million
    cells, about 9 GB)."""
    row = f"<table:table-row>{ods_text('x', 16_384)}</table:table-row>"
    return ods(ods_rows() + row * rows)


def repeated_rows_ods() -> bytes:
    """1 KB: one row of 16,384 values, repeated 1,048,574 times (the reader caps and refuses
    this one itself)."""
    row = (
        '<table:table-row table:number-rows-repeated="1048574">'
        f"{ods_text('x', 16_384)}</table:table-row>"
    )
    return ods(ods_rows() + row)


def trailing_empty_ods() -> bytes:
    """What LibreOffice writes: thousands of empty cells and rows after the data (fine)."""
    empty_cells = '<table:table-cell table:number-columns-repeated="16382"/>'
    rows = (
        f"<table:table-row>{ods_text('phone')}{ods_text('name')}{empty_cells}</table:table-row>"
        f"<table:table-row>{ods_text('0502345678')}{ods_text('Dana')}{empty_cells}"
        "</table:table-row>"
        '<table:table-row table:number-rows-repeated="1048574"><table:table-cell '
        'table:number-columns-repeated="16384"/></table:table-row>'
    )
    return ods(rows)


# --- text ----------------------------------------------------------------------------------

HEBREW_NAMES = ("דנה כהן", "אלי לוי", "מיכל אברהם", "יוסי מזרחי", "נועה פרץ")


def hebrew_csv(rows: int = 400) -> str:
    """A UTF-8-worthy export: valid Israeli mobiles and Hebrew names."""
    lines = ["phone,name"]
    lines += [f"05{2345678 + i:08d},{HEBREW_NAMES[i % len(HEBREW_NAMES)]} {i}" for i in range(rows)]
    return "\n".join(lines) + "\n"


def utf8_with_stray_bytes(rows: int = 400, stray: Sequence[int] = (17, 250)) -> bytes:
    """:func:`hebrew_csv` in UTF-8 with one byte that is not UTF-8 in the name of each data
    row in ``stray`` (0-based)."""
    lines = hebrew_csv(rows).encode().split(b"\n")
    for index in stray:
        lines[index + 1] += b"\xff"
    return b"\n".join(lines)

"""Hostile binary workbooks, built at test time: XLS (BIFF8 records in an OLE compound file)
and XLSB (binary records in a zip archive), written record by record so that a test controls
every row, column and size the file declares.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Sequence
from io import BytesIO

from hostile import PKG, REL

# --- XLS: BIFF8 records in an OLE compound file -------------------------------------------------


def _record(kind: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def _label(row: int, column: int, text: str) -> bytes:
    return _record(0x0204, struct.pack("<HHHHB", row, column, 15, len(text), 0) + text.encode())


def _number(row: int, column: int, value: float) -> bytes:
    return _record(0x0203, struct.pack("<HHHd", row, column, 15, value))


def biff_workbook(cells: Sequence[bytes], *, dimensions: tuple[int, int, int, int]) -> bytes:
    """The BIFF8 workbook stream of one sheet, ``Sheet1``, holding ``cells`` (records), with a
    DIMENSIONS record of (first row, last row + 1, first column, last column + 1)."""
    bof_globals = _record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0))
    bof_sheet = _record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0, 0, 0, 0))
    name = b"Sheet1"

    def globals_at(position: int) -> bytes:
        sheet = struct.pack("<IBBBB", position, 0, 0, len(name), 0) + name
        return (
            bof_globals
            + _record(0x0042, struct.pack("<H", 1200))
            + _record(0x0085, sheet)
            + _record(0x000A)
        )

    head = globals_at(0)
    sheet = (
        bof_sheet
        + _record(0x0200, struct.pack("<IIHHH", *dimensions, 0))
        + b"".join(cells)
        + _record(0x000A)
    )
    stream = globals_at(len(head)) + sheet
    return stream + b"\0" * max(0, 4096 - len(stream))  # no mini stream below 4096 bytes


def compound_file(stream: bytes, *, stream_name: str = "Workbook") -> bytes:
    """An OLE compound file (version 3, 512-byte sectors) holding ``stream``: sector 0 is
    the FAT, sector 1 the directory, then the stream."""
    sectors = -(-len(stream) // 512)
    fat = [0xFFFFFFFD, 0xFFFFFFFE, *range(3, 2 + sectors), 0xFFFFFFFE]
    fat += [0xFFFFFFFF] * (128 - len(fat))
    header = (
        bytes.fromhex("d0cf11e0a1b11ae1")
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
        + struct.pack("<109I", 0, *[0xFFFFFFFF] * 108)
    )

    def entry(label: str, kind: int, child: int, start: int, size: int) -> bytes:
        encoded = (label + "\0").encode("utf-16-le")
        return (
            encoded.ljust(64, b"\0")
            + struct.pack("<HBB", len(encoded), kind, 1)
            + struct.pack("<III", 0xFFFFFFFF, 0xFFFFFFFF, child)
            + b"\0" * 36
            + struct.pack("<IQ", start, size)
        )

    directory = (
        entry("Root Entry", 5, 1, 0xFFFFFFFE, 0)
        + entry(stream_name, 2, 0xFFFFFFFF, 2, len(stream))
        + b"\0" * 256
    )
    body = stream + b"\0" * (sectors * 512 - len(stream))
    return header + struct.pack("<128I", *fat) + directory + body


def xls(
    cells: Sequence[bytes] = (),
    *,
    dimensions: tuple[int, int, int, int] = (0, 2, 0, 2),
    name: str = "Dana",
) -> bytes:
    """A minimal XLS workbook: a header and one valid Israeli mobile named ``name``, then
    ``cells``."""
    table = [
        _label(0, 0, "phone"),
        _label(0, 1, "name"),
        _label(1, 0, "0502345678"),
        _label(1, 1, name),
    ]
    return compound_file(biff_workbook([*table, *cells], dimensions=dimensions))


def far_corner_xls() -> bytes:
    """A number at row 65,536, column 65,536: a grid of 4.3 billion cells."""
    return xls([_number(65_535, 65_535, 1.0)])


def huge_dimensions_xls() -> bytes:
    """A DIMENSIONS record declaring 4 billion rows by 255 columns: reserved at once."""
    return xls(dimensions=(0, 0xFFFFFFFF, 0, 0xFF))


# --- XLSB: binary records in a zip archive -------------------------------------------------


def _xlsb_record(kind: int, data: bytes = b"") -> bytes:
    """A record: its type in one or two bytes, its length in 7-bit groups, its data."""
    head = bytes([kind]) if kind < 0x80 else bytes([(kind & 0x7F) | 0x80, kind >> 7])
    length, size = len(data), b""
    while True:
        size += bytes([(length & 0x7F) | (0x80 if length > 0x7F else 0)])
        length >>= 7
        if not length:
            return head + size + data


def _wide(text: str) -> bytes:
    return struct.pack("<I", len(text)) + text.encode("utf-16-le")


def xlsb_text(row: int, column: int, text: str) -> bytes:
    """A row header for ``row`` and a text cell (BrtCellSt) at ``column`` (both 0-based)."""
    return _xlsb_record(0x00, struct.pack("<I", row) + b"\0" * 13) + _xlsb_record(
        0x06, struct.pack("<II", column, 0) + _wide(text)
    )


def xlsb(cells: bytes = b"") -> bytes:
    """A minimal XLSB workbook: a header and one valid Israeli mobile, then ``cells``."""
    table = (
        xlsb_text(0, 0, "phone")
        + _xlsb_record(0x06, struct.pack("<II", 1, 0) + _wide("name"))
        + xlsb_text(1, 0, "0502345678")
        + _xlsb_record(0x06, struct.pack("<II", 1, 0) + _wide("Dana"))
    )
    sheet = (
        _xlsb_record(0x81)
        + _xlsb_record(0x94, struct.pack("<IIII", 0, 1, 0, 1))
        + _xlsb_record(0x91)
        + table
        + cells
        + _xlsb_record(0x92)
        + _xlsb_record(0x82)
    )
    return _xlsb_package(sheet)


def _xlsb_package(sheet: bytes) -> bytes:
    """The zip archive around one XLSB sheet part, ``Sheet1``."""
    bundle = struct.pack("<II", 0, 1) + _wide("rId1") + _wide("Sheet1")
    workbook = (
        _xlsb_record(0x83)
        + _xlsb_record(0x8F)
        + _xlsb_record(0x9C, bundle)
        + _xlsb_record(0x90)
        + _xlsb_record(0x84)
    )
    relation = f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.bin"/>'
    parts = {
        "[Content_Types].xml": b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://'
        b'schemas.openxmlformats.org/package/2006/content-types"><Default Extension="bin" '
        b'ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>',
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.bin"/>'
            "</Relationships>"
        ).encode(),
        "xl/workbook.bin": workbook,
        "xl/_rels/workbook.bin.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}">{relation}'
            "</Relationships>"
        ).encode(),
        "xl/worksheets/sheet1.bin": sheet,
    }
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in parts.items():
            archive.writestr(path, data)
    return buffer.getvalue()


def far_corners_xlsb() -> bytes:
    """Text at row 3, column 16,384 and at row 1,048,576, column 1: the same grid as
    :func:`far_corners_xlsx`."""
    return xlsb(xlsb_text(2, 16_383, "far right") + xlsb_text(1_048_575, 0, "far down"))

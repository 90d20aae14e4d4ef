"""How much of a sheet a binary workbook uses, read from its records before the Excel reader
allocates it: XLSB (records in a zip archive) and legacy XLS (BIFF records in an OLE
compound file).

Cells are placed as the reader places them:

- XLSB: a row header (record 0) sets the row; a cell record (2 to 11) names its column in
  its first four bytes; a row past 1,048,576 or the end of the sheet data (146) ends the
  sheet. A short record reuses the bytes a longer one left in the reader's buffer, and so it
  does here.
- XLS: every sheet is read when the workbook opens. A DIMENSIONS record (512) reserves its
  rows x columns at once; cell records (NUMBER, LABEL, RSTRING, BOOLERR, RK, LABELSST,
  FORMULA) name a row and a column in their first four bytes; MULRK names a run of columns.
  The used ranges of all sheets count together too, as they are all held at once.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from audience_prep._prepare.read.archive import Archive, member_name
from audience_prep._prepare.read.limits import (
    MAX_SHEET_AREA,
    MAX_SHEET_CELLS,
    MAX_SHEET_ROWS,
    SheetSize,
)
from audience_prep._prepare.read.olefile import workbook_stream

__all__ = ["xls_sheet_sizes", "xlsb_sheet_size"]

_XLSB_ROW, _XLSB_END_DATA, _XLSB_SHEET = 0x0000, 0x0092, 0x009C
_XLSB_CELLS = frozenset(range(2, 12))
_XLS_BOUNDSHEET, _XLS_EOF, _XLS_DIMENSIONS, _XLS_MULRK = 0x0085, 0x000A, 0x0200, 0x00BD
_XLS_FILEPASS, _XLS_BOF = 0x002F, 0x0809
_XLS_CELLS = frozenset({0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD, 0x0006})


def xlsb_sheet_size(archive: Archive, sheet: str) -> SheetSize:
    """What the XLSB worksheet named ``sheet`` uses (every worksheet together when the
    workbook does not say which part is that sheet). A part is read whole (binary sheets
    are compact: about 15 bytes a cell)."""
    sizes = [_xlsb_part_size(archive.read(part)) for part in _xlsb_parts(archive, sheet)]
    return SheetSize(
        rows=max((s.rows for s in sizes), default=0),
        columns=max((s.columns for s in sizes), default=0),
        cells=max((s.cells for s in sizes), default=0),
    )


def _xlsb_part_size(data: bytes) -> SheetSize:
    """Row headers and cells of one XLSB sheet part, as the reader places them (a loop over
    every record, tuned: a record's type and length are almost always one byte each)."""
    row = rows = columns = cells = pos = 0
    full = -1  # where the last record of 4 bytes or more starts: the reader's buffer head
    short: list[bytes] = []  # shorter records since, written over that head in turn
    end = len(data)
    while pos + 1 < end:
        kind, length, start = data[pos], data[pos + 1], pos + 2
        if kind & 0x80 or length & 0x80:
            header = _xlsb_header(data, pos)
            if header is None:
                break
            kind, length, start = header
        pos = start + length
        if length >= 4:
            full, short = start, []
        elif length:
            short.append(data[start : start + length])
        if kind > 11 or kind == 1:  # not a row header or a cell the reader keeps
            if kind == _XLSB_END_DATA:
                break
            continue
        value = int.from_bytes(_buffer_head(data, full, short), "little")
        if kind == _XLSB_ROW:
            row = value
            if row > MAX_SHEET_ROWS:
                break
            continue
        cells += 1
        rows = row + 1 if row >= rows else rows
        columns = value + 1 if value >= columns else columns
        if cells > MAX_SHEET_CELLS or value > MAX_SHEET_AREA:
            break  # refused anyway: no need to read on
    return SheetSize(rows=rows, columns=columns, cells=cells)


def _buffer_head(data: bytes, full: int, short: list[bytes]) -> bytes:
    """The first four bytes of the reader's record buffer (zeros before any record)."""
    if not short:
        return data[full : full + 4] if full >= 0 else bytes(4)
    head = bytearray(data[full : full + 4] if full >= 0 else bytes(4))
    for piece in short:
        head[: len(piece)] = piece
    return bytes(head)


def _xlsb_header(data: bytes, pos: int) -> tuple[int, int, int] | None:
    """A record's type, length and payload start at ``pos`` (type in 1-2 bytes, length in
    1-4, seven bits each); None at the end of ``data``."""
    try:
        kind = data[pos]
        pos += 1
        if kind & 0x80:
            kind = (kind & 0x7F) + ((data[pos] & 0x7F) << 7)
            pos += 1
        length = 0
        for shift in range(0, 28, 7):
            byte = data[pos]
            pos += 1
            length += (byte & 0x7F) << shift
            if not byte & 0x80:
                break
    except IndexError:
        return None
    return kind, length, pos


def _xlsb_parts(archive: Archive, sheet: str) -> list[str]:
    """The parts of the sheets named ``sheet``, found as the reader finds them (``xl/`` and
    the target its workbook's relations give the BrtBundleSh record's id); every binary part
    when they do not say."""
    members = archive.members()
    every = sorted(m for m in members if m.endswith(".bin"))
    if "xl/workbook.bin" not in members:
        return every
    relations = archive.relations("xl/_rels/workbook.bin.rels")
    ids = _bundle_sheet_ids(archive.read("xl/workbook.bin"), sheet)
    parts = [member_name(f"xl/{relations[i]}") for i in ids if i in relations]
    return parts if parts and all(p in members for p in parts) else every


def _bundle_sheet_ids(workbook: bytes, sheet: str) -> set[str]:
    """The relation ids of the BrtBundleSh records named ``sheet``."""
    ids = set()
    pos = 0
    while (header := _xlsb_header(workbook, pos)) is not None:
        kind, length, start = header
        payload = workbook[start : start + length]
        pos = start + length
        if kind == _XLSB_SHEET and len(payload) >= 12:
            relation, after = _wide_string(payload, 8)
            if _wide_string(payload, after)[0] == sheet and relation:
                ids.add(relation)
    return ids


def _wide_string(data: bytes, pos: int) -> tuple[str, int]:
    """An XLWideString (u32 count, UTF-16LE) at ``pos``; an empty one for a null or bad one."""
    if pos + 4 > len(data):
        return "", len(data)
    count = int.from_bytes(data[pos : pos + 4], "little")
    if count == 0xFFFFFFFF:
        return "", pos + 4
    end = pos + 4 + 2 * count
    return data[pos + 4 : end].decode("utf-16-le", errors="replace"), end


def xls_sheet_sizes(data: bytes, name: str) -> list[tuple[str, SheetSize]]:
    """Every sheet of the XLS ``data`` with what the reader allocates for it, then all of
    them together (the reader holds every sheet at once)."""
    stream = workbook_stream(data, name)
    sheets = [(label, _xls_sheet_size(stream, at)) for label, at in _bound_sheets(stream)]
    together = SheetSize(
        reserved=sum(s.area for _, s in sheets), cells=sum(s.cells for _, s in sheets)
    )
    return [*sheets, ("all sheets together", together)]


def _biff_records(stream: bytes, pos: int = 0) -> Iterator[tuple[int, bytes]]:
    while pos + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, pos)
        yield kind, stream[pos + 4 : pos + 4 + length]
        pos += 4 + length


def _bound_sheets(stream: bytes) -> list[tuple[str, int]]:
    """(name, stream offset of its BOF) of every BOUNDSHEET record in the globals; none in
    an encrypted workbook (the reader refuses it before it reads a sheet)."""
    sheets: list[tuple[str, int]] = []
    biff8 = True
    for kind, record in _biff_records(stream):
        if kind == _XLS_BOF and not sheets:
            biff8 = record[:2] != b"\x00\x05"  # BIFF5 names have no flags byte
        elif kind == _XLS_EOF:
            break
        elif kind == _XLS_FILEPASS and record[:2] != b"\x00\x00":
            return []
        elif kind == _XLS_BOUNDSHEET and len(record) >= 7:
            sheets.append((_sheet_label(record, biff8), int.from_bytes(record[:4], "little")))
    return sheets


def _sheet_label(record: bytes, biff8: bool) -> str:
    """A BOUNDSHEET's name, for messages: BIFF8 flags UTF-16 names; BIFF5 ones are 8-bit."""
    count = record[6]
    if biff8 and len(record) >= 8 and record[7] & 1:
        return record[8 : 8 + 2 * count].decode("utf-16-le", errors="replace")
    start = 8 if biff8 else 7
    return record[start : start + count].decode("latin-1")


def _xls_sheet_size(stream: bytes, at: int) -> SheetSize:
    rows = columns = cells = reserved = 0
    for kind, record in _biff_records(stream, at):
        if kind == _XLS_EOF:
            break
        if kind == _XLS_DIMENSIONS:
            reserved = max(reserved, _reserved(record))
        elif kind in _XLS_CELLS and len(record) >= 4:
            row, column = struct.unpack_from("<HH", record)
            cells += 1
            rows, columns = max(rows, row + 1), max(columns, column + 1)
        elif kind == _XLS_MULRK and len(record) >= 6:
            row, first = struct.unpack_from("<HH", record)
            count = (len(record) - 6) // 6
            cells += count
            rows, columns = max(rows, row + 1), max(columns, first + count)
    return SheetSize(rows=rows, columns=columns, cells=cells, reserved=reserved)


def _reserved(record: bytes) -> int:
    """The cells a DIMENSIONS record makes the reader reserve, with its 32-bit arithmetic."""
    if len(record) == 14:
        first_row, last_row = struct.unpack_from("<II", record)
        first_col, last_col = struct.unpack_from("<HH", record, 8)
    elif len(record) == 10:
        first_row, last_row, first_col, last_col = struct.unpack_from("<HHHH", record)
    else:
        return 0
    if first_col > 0xFF or last_col < first_col:
        first_col = 0
    if last_row < 1 or last_col < 1:
        return 1
    mask = 0xFFFFFFFF
    return int(((last_row - first_row) & mask) * ((last_col - first_col) & mask))

"""The workbook stream of a legacy XLS file: an OLE compound file (MS-CFB), read just far
enough to hand its BIFF records to :mod:`.binscan` before the Excel reader opens the file.

A compound file is sectors of 512 (or 4096) bytes; a file allocation table (FAT) chains them
into streams, and streams under 4096 bytes live in 64-byte mini sectors inside the root
entry's stream. Every chain is followed at most as many steps as the table has entries, and
every sector must lie inside the file, so a corrupt or hostile file is refused, never looped
over or read past its end.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from audience_prep._errors import SourceReadError

__all__ = ["workbook_stream"]

_NAMES = ("Workbook", "Book", "WORKBOOK", "BOOK")
_LAST_REGULAR = 0xFFFFFFF9  # sector numbers above are markers (free, end of chain, ...)
_ENTRY = 128
_MAX_TABLE = 1 << 26


class _Corrupt(Exception):
    """The compound file breaks its own structure."""


def workbook_stream(data: bytes, name: str) -> bytes:
    """The bytes of the workbook stream of XLS ``data``; empty when it has none (the reader
    then refuses the file)."""
    try:
        return _Compound(data).stream(_NAMES)
    except (_Corrupt, struct.error, IndexError, ValueError) as exc:
        raise SourceReadError(
            name, f"not a readable workbook (OLE: {exc}).", hint="Re-save it in Excel."
        ) from exc


class _Compound:
    """The sectors, allocation tables and directory of a compound file."""

    def __init__(self, data: bytes) -> None:
        if len(data) < 512:
            raise _Corrupt("shorter than its header")
        self.data = data
        _, _, shift, mini_shift = struct.unpack_from("<HHHH", data, 0x1A)
        if shift not in (9, 12):
            raise _Corrupt(f"sector size 2**{shift}")
        self.size: int = 1 << shift
        self.mini_size: int = 1 << mini_shift
        fat_count, self.directory, _, self.cutoff = struct.unpack_from("<IIII", data, 0x2C)
        self.mini_fat_start, _, difat_start = struct.unpack_from("<III", data, 0x3C)
        # The reader reserves room for these counts before it reads a sector: a few bytes of
        # header could ask for gigabytes. (It reads the second from bytes 62 to 66.)
        if fat_count > self._sectors() or struct.unpack_from("<I", data, 62)[0] > _MAX_TABLE:
            raise _Corrupt("its header declares more allocation sectors than the file holds")
        locations = list(struct.unpack_from("<109I", data, 0x4C))
        per = self.size // 4
        for sector in self._chain(difat_start, None, limit=self._sectors()):
            entries = struct.unpack_from(f"<{per}I", self._sector(sector))
            locations.extend(entries[:-1])
        fat_sectors = [s for s in locations if s <= _LAST_REGULAR][:fat_count]
        self.fat = [e for s in fat_sectors for e in struct.unpack_from(f"<{per}I", self._sector(s))]

    def _sectors(self) -> int:
        return max(len(self.data) // self.size - 1, 0)

    def _sector(self, number: int) -> bytes:
        start = (number + 1) * self.size
        if start >= len(self.data):
            raise _Corrupt(f"sector {number} lies past the end of the file")
        return self.data[start : start + self.size]

    def _chain(self, start: int, table: list[int] | None, *, limit: int) -> Iterator[int]:
        """The sectors of a chain from ``start``; ``table`` None follows the DIFAT (whose
        next sector is the last entry of each)."""
        steps = 0
        while start <= _LAST_REGULAR:
            yield start
            steps += 1
            if steps > limit:
                raise _Corrupt("a sector chain loops")
            if table is None:
                start = struct.unpack_from("<I", self._sector(start), self.size - 4)[0]
            elif start < len(table):
                start = table[start]
            else:
                raise _Corrupt(f"sector {start} is not in its allocation table")

    def _read(self, start: int, size: int) -> bytes:
        sectors = self._chain(start, self.fat, limit=len(self.fat))
        return b"".join(self._sector(s) for s in sectors)[:size]

    def stream(self, names: tuple[str, ...]) -> bytes:
        """The first stream named as the first of ``names`` that one is named, as the reader
        finds it: any entry (its type unchecked), its name up to the first NUL."""
        directory = self._read(self.directory, len(self.data))
        entries = [directory[i : i + _ENTRY] for i in range(0, len(directory) - _ENTRY + 1, _ENTRY)]
        if not entries:
            raise _Corrupt("no directory")
        labels = [e[:64].decode("utf-16-le", errors="replace").split("\x00")[0] for e in entries]
        for wanted in names:
            for entry, label in zip(entries, labels, strict=True):
                if label == wanted:
                    return self._stream(entry, entries[0])
        return b""

    def _stream(self, entry: bytes, root: bytes) -> bytes:
        start, size = self._place(entry)
        if size >= self.cutoff:
            return self._read(start, size)
        root_start, root_size = self._place(root)
        mini_stream = self._read(root_start, root_size)
        mini_fat_bytes = self._read(self.mini_fat_start, len(self.data))
        mini_fat = list(struct.unpack_from(f"<{len(mini_fat_bytes) // 4}I", mini_fat_bytes))
        pieces = []
        for sector in self._chain(start, mini_fat, limit=len(mini_fat)):
            offset = sector * self.mini_size
            if offset + self.mini_size > len(mini_stream):
                raise _Corrupt(f"mini sector {sector} lies past the mini stream")
            pieces.append(mini_stream[offset : offset + self.mini_size])
        return b"".join(pieces)[:size]

    def _place(self, entry: bytes) -> tuple[int, int]:
        """A directory entry's first sector and size (capped at the file's size); the size is
        32 bits with 512-byte sectors, as the reader reads it."""
        start, size = struct.unpack_from("<IQ", entry, 116)
        if self.size == 512:
            size &= 0xFFFFFFFF
        return start, min(size, len(self.data))

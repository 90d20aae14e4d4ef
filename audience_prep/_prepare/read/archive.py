"""Workbooks that are zip archives (XLSX, XLSM, XLSB, ODS), checked before the Excel reader
opens them, so that a zip bomb is refused instead of inflated.

Rules:

- the archive may list at most MAX_ARCHIVE_MEMBERS members, whose declared uncompressed sizes
  add up to at most MAX_INFLATED_BYTES;
- a member declared larger than RATIO_CHECKED_FROM may be at most MAX_COMPRESSION_RATIO times
  its compressed size;
- declared sizes can lie, so every member the reader parses is inflated here once (the
  chosen sheet by the sheet scan), counted against MAX_INFLATED_BYTES as it is read; Python's
  zipfile stops a member at its declared size and checks its CRC, so a member that inflates
  to more than it declares is refused as corrupt.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from audience_prep._errors import SourceReadError
from audience_prep._prepare.read.limits import (
    MAX_ARCHIVE_MEMBERS,
    MAX_COMPRESSION_RATIO,
    MAX_INFLATED_BYTES,
    RATIO_CHECKED_FROM,
    describe_bytes,
)
from audience_prep._text import first_line

__all__ = ["Archive", "member_name", "open_archive"]

_CHUNK = 16 * 1024**2
#: Parts of a workbook the reader does not parse when it opens the file: sheets (the chosen
#: one is scanned by itself) and embedded media.
_NOT_PARSED_AT_OPEN = (
    "xl/worksheets/",
    "xl/chartsheets/",
    "xl/media/",
    "xl/embeddings/",
    "xl/printersettings/",
    "pictures/",
    "thumbnails/",
)


@dataclass
class Archive:
    """An opened workbook archive and the bytes inflated from it so far. Members are named
    as the reader looks them up: ``/`` for ``\\`` (some tools write those), in lower case, and
    without a leading slash."""

    zip: zipfile.ZipFile
    name: str
    inflated: int = field(default=0)
    _names: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._names = {_normal(n): n for n in self.zip.namelist()}

    def members(self) -> set[str]:
        return set(self._names)

    def chunks(self, member: str) -> Iterator[bytes]:
        """The inflated bytes of ``member``, a chunk at a time, counted against
        MAX_INFLATED_BYTES; a member that lies about its size or checksum is refused."""
        try:
            with self.zip.open(self._names.get(_normal(member), member)) as handle:
                while chunk := handle.read(_CHUNK):
                    self.inflated += len(chunk)
                    if self.inflated > MAX_INFLATED_BYTES:
                        raise _too_much(self.name, f"{member} inflates past the limit")
                    yield chunk
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise SourceReadError(
                self.name,
                f"not a readable workbook ({member}: {first_line(exc)}).",
                hint="Re-save it in Excel.",
            ) from exc

    def read(self, member: str) -> bytes:
        return b"".join(self.chunks(member))

    def first_chunk(self, member: str) -> bytes:
        return next(iter(self.chunks(member)), b"")

    def verify(self, *, scanned: frozenset[str] = frozenset()) -> None:
        """Inflate (and so check) every member the reader parses when it opens the workbook,
        but those the caller inflates itself (``scanned``)."""
        for member in sorted(self._names):
            later = member in scanned or member.startswith(_NOT_PARSED_AT_OPEN)
            if not member.endswith("/") and not later:
                for _ in self.chunks(member):
                    pass

    def office_document(self) -> str | None:
        """The target of the package's officeDocument relation, as written
        (``xl/workbook.xml`` usually); None when there is none."""
        targets = self.relations("_rels/.rels", kind="/officeDocument")
        return next(iter(targets.values()), None)

    def relations(self, part: str, *, kind: str = "") -> dict[str, str]:
        """Relation id -> target, as written, of the relations part ``part``; those whose
        type ends with ``kind`` when given; none when it is missing or not XML."""
        if _normal(part) not in self._names:
            return {}
        try:
            root = ET.fromstring(self.read(part))
        except ET.ParseError:
            return {}
        return {
            element.get("Id", ""): element.get("Target", "")
            for element in root.iter()
            if element.tag.rpartition("}")[2] == "Relationship"
            and element.get("Type", "").endswith(kind)
        }


def member_name(name: str) -> str:
    """``name`` as :class:`Archive` names members (as the reader looks them up)."""
    return _normal(name)


def _normal(name: str) -> str:
    return name.replace("\\", "/").lstrip("/").lower()


def open_archive(data: bytes, name: str) -> Archive:
    """Open ``data`` as a zip archive and check what it declares (before anything inflates)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise SourceReadError(
            name, f"not a readable workbook ({first_line(exc)}).", hint="Re-save it in Excel."
        ) from exc
    _check_declared(infos, name)
    return Archive(archive, name)


def _check_declared(infos: list[zipfile.ZipInfo], name: str) -> None:
    if len(infos) > MAX_ARCHIVE_MEMBERS:
        raise SourceReadError(
            name,
            f"the workbook archive lists {len(infos):,} members, past the limit of "
            f"{MAX_ARCHIVE_MEMBERS:,} (MAX_ARCHIVE_MEMBERS).",
            hint="This is not a workbook a spreadsheet saves; re-save it in Excel.",
        )
    total = sum(info.file_size for info in infos)
    if total > MAX_INFLATED_BYTES:
        raise _too_much(name, f"its members declare {describe_bytes(total)} uncompressed")
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_CHECKED_FROM and ratio > MAX_COMPRESSION_RATIO:
            raise SourceReadError(
                name,
                f"{info.filename} inflates {ratio:,.0f} times ({describe_bytes(info.compress_size)}"
                f" to {describe_bytes(info.file_size)}), past the limit of "
                f"{MAX_COMPRESSION_RATIO} (MAX_COMPRESSION_RATIO): a zip bomb, not a workbook.",
                hint="Re-save it in Excel, or export the sheet as CSV.",
            )


def _too_much(name: str, what: str) -> SourceReadError:
    return SourceReadError(
        name,
        f"{what}, past the limit of {describe_bytes(MAX_INFLATED_BYTES)} inflated per workbook "
        "(MAX_INFLATED_BYTES).",
        hint="Export the sheet as CSV, or split the workbook.",
    )

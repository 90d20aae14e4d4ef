"""The members of an audience file: their keys, and the form the file writes them in.

Rules for a member key:

- it is the ``phone1`` cell of a data row, trimmed; an empty cell is no member;
- a leading ``+`` is dropped, so ``+972501234567`` and ``972501234567`` are one member and
  switching ``phone_format`` does not look like a replacement;
- a file holds a *set* of members: a repeated phone counts once;
- in the ledger's ``hashes`` mode a key is stored as ``sha256(salt + key)`` (hex), never as is.

What users see is never the key but the member as its file writes it (``PhoneForm``): with the
``+`` in an E.164 file, without it in a digits file, and each member as written in a file that
mixes the two (only a file uploaded with ``validate=False`` can).

CSV bytes are parsed with the ``csv`` module (no polars at import time), which accepts a cell
of any length polars writes (see ``CSV_FIELD_LIMIT``); an Excel payload is read with fastexcel,
imported only then.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from audience_prep._errors import SourceReadError

__all__ = [
    "CSV_FIELD_LIMIT",
    "PHONE_COLUMN",
    "FileMembers",
    "PhoneForm",
    "allow_long_csv_fields",
    "as_file_members",
    "hash_member",
    "member_key",
    "read_file_members",
    "read_members",
]

PHONE_COLUMN = "phone1"
_ZIP_MAGIC = b"PK\x03\x04"
#: The csv module refuses a cell longer than 131,072 characters by default; polars writes cells
#: of any length, so a prepared audience with one long note could not even be dry-run. The
#: limit is process-wide (``csv.field_size_limit``), so it is set once, to this value, when
#: audience_prep first reads CSV bytes, raised and never lowered: no other code in the process
#: gets a smaller limit than it had. It guards nothing here: a cell cannot be longer than the
#: file that holds it, and these readers hold the whole file in memory already.
#: 2**31 - 1 is the largest value every platform accepts (a C long on Windows).
CSV_FIELD_LIMIT = 2**31 - 1


def allow_long_csv_fields() -> None:
    """Raise the csv module's process-wide field size limit to ``CSV_FIELD_LIMIT``."""
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)


def member_key(cell: str) -> str:
    """The member key of one ``phone1`` cell: trimmed, one leading ``+`` dropped."""
    return cell.strip().removeprefix("+")


def hash_member(key: str, salt: bytes) -> str:
    """The ``hashes``-mode form of a member key: ``sha256(salt + key)`` as hex."""
    return hashlib.sha256(salt + key.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class PhoneForm:
    """How a file writes its members' ``phone1``: every one with a leading ``+`` (``True``),
    none (``False``), or only the keys in a set (a file that mixes the two forms)."""

    plus: bool | frozenset[str] = True

    @property
    def name(self) -> Literal["e164", "digits", "mixed"]:
        """``e164``, ``digits`` or ``mixed``."""
        if isinstance(self.plus, bool):
            return "e164" if self.plus else "digits"
        return "mixed"

    def written(self, key: str) -> str:
        """The member ``key`` as the file writes it."""
        plus = self.plus if isinstance(self.plus, bool) else key in self.plus
        return f"+{key}" if plus else key


@dataclass(frozen=True, slots=True)
class FileMembers:
    """The members of one audience file: their keys, and how the file writes them.

    ``cells_with_plus`` and ``cells_without_plus`` count the non-empty ``phone1`` cells that
    start with ``+`` and those that do not: the uploader's validation takes the file's form
    from them (see ``audience_prep._upload.gate``).
    """

    keys: frozenset[str]
    form: PhoneForm = PhoneForm()
    cells_with_plus: int = 0
    cells_without_plus: int = 0

    def __len__(self) -> int:
        return len(self.keys)

    def lines(self) -> list[str]:
        """The members as the file writes them, sorted by key."""
        return [self.form.written(key) for key in sorted(self.keys)]

    @classmethod
    def from_lines(cls, lines: Sequence[str]) -> FileMembers:
        """The members written one a line, as ``lines()`` writes them (the ledger's files)."""
        keys = frozenset(map(member_key, lines))
        with_plus = sum(1 for line in lines if line.startswith("+"))
        if with_plus in (0, len(lines)):
            return cls(keys, PhoneForm(with_plus > 0))
        return cls(keys, PhoneForm(frozenset(line[1:] for line in lines if line[:1] == "+")))


def as_file_members(members: FileMembers | frozenset[str]) -> FileMembers:
    """``members`` as ``FileMembers``; bare keys are taken as written (without ``+``)."""
    return members if isinstance(members, FileMembers) else FileMembers(members, PhoneForm(False))


def read_file_members(content: bytes, *, source: str = "the audience file") -> FileMembers:
    """The members of an audience file (CSV bytes, or an Excel file's bytes) and their form.

    ``SourceReadError`` when the file has no ``phone1`` column or cannot be read.
    """
    cells = _excel_phones(content, source) if content.startswith(_ZIP_MAGIC) else None
    if cells is None:
        cells = _csv_phones(content, source)
    counts = [0, 0]

    def key_of(cell: str) -> str:
        text = cell.strip()
        if text:
            counts[0 if text.startswith("+") else 1] += 1
        return text.removeprefix("+")

    keys = frozenset(key for key in map(key_of, cells) if key)
    plus: bool | frozenset[str] = counts[0] > 0
    if counts[0] and counts[1]:  # a mixed file: remember which members carry the +
        with_plus = (cell.strip() for cell in cells)
        plus = frozenset(text[1:] for text in with_plus if text.startswith("+")) - {""}
    return FileMembers(keys, PhoneForm(plus), counts[0], counts[1])


def read_members(content: bytes, *, source: str = "the audience file") -> frozenset[str]:
    """The set of member keys in an audience file (CSV bytes, or an Excel file's bytes)."""
    return read_file_members(content, source=source).keys


def _csv_phones(content: bytes, source: str) -> list[str]:
    allow_long_csv_fields()
    text = content.decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, [])
        index = _phone_index(header, source)
        return [row[index] for row in reader if len(row) > index]
    except csv.Error as exc:
        raise SourceReadError(source, f"malformed CSV: {exc}") from exc


def _phone_index(header: list[str], source: str) -> int:
    names = [name.strip() for name in header]
    if PHONE_COLUMN not in names:
        raise SourceReadError(
            source,
            f"no {PHONE_COLUMN!r} column: CommBox requires one, and without it the members "
            "cannot be counted or compared.",
            hint="Upload a prepared audience (audience_prep.prepare).",
        )
    return names.index(PHONE_COLUMN)


def _excel_phones(content: bytes, source: str) -> list[str]:
    import fastexcel  # only Excel payloads need it

    try:
        sheet = fastexcel.read_excel(content).load_sheet(0, dtypes="string")
        _phone_index([column.name for column in sheet.available_columns()], source)
        column = sheet.to_polars()[PHONE_COLUMN]
    except fastexcel.FastExcelError as exc:
        raise SourceReadError(source, f"unreadable Excel file: {exc}") from exc
    return ["" if value is None else str(value) for value in column.to_list()]

"""What a replacement adds and removes: the members of an audience file and their difference.

CommBox cannot read an audience back, so the members before a replacement are the ``phone1``
values of the last upload the ledger confirmed; uploads it could not confirm are compared too
(``UncertainBasis``), to make the shrink guard stricter, never laxer. Rules for a member key:

- it is the ``phone1`` cell of a data row, trimmed; an empty cell is no member;
- a leading ``+`` is dropped, so ``+972501234567`` and ``972501234567`` are one member and
  switching ``phone_format`` does not look like a replacement;
- a file holds a *set* of members: a repeated phone counts once;
- in the ledger's ``hashes`` mode a key is stored as ``sha256(salt + key)`` (hex), never as is.

CSV bytes are parsed with the ``csv`` module (no polars at import time), which accepts a cell
of any length polars writes (see ``CSV_FIELD_LIMIT``); an Excel payload is read with fastexcel,
imported only then.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from audience_prep._errors import SourceReadError

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "CSV_FIELD_LIMIT",
    "ReplacementDiff",
    "UncertainBasis",
    "allow_long_csv_fields",
    "diff_members",
    "hash_member",
    "member_key",
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


def read_members(content: bytes, *, source: str = "the audience file") -> frozenset[str]:
    """The set of member keys in an audience file (CSV bytes, or an Excel file's bytes)."""
    cells = _excel_phones(content, source) if content.startswith(_ZIP_MAGIC) else None
    if cells is None:
        cells = _csv_phones(content, source)
    return frozenset(key for key in map(member_key, cells) if key)


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


@dataclass(frozen=True)
class UncertainBasis:
    """An upload the audience may hold instead of the last confirmed one, and what this
    replacement would remove from it.

    ``status`` is ``pending`` (sent, outcome never recorded: a crash, a timeout, one still
    running elsewhere) or ``unconfirmed`` (CommBox may have applied it: an answer outside the
    contract, or a 200 that arrived after a newer upload's).
    """

    entry_id: int
    status: str
    previous_members: int
    removed: int

    @property
    def removed_share(self) -> float:
        """Share of this upload's members the replacement removes."""
        return self.removed / self.previous_members if self.previous_members else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The counts as JSON-ready values (no phone numbers)."""
        return {
            "entry": self.entry_id,
            "status": self.status,
            "previous_members": self.previous_members,
            "removed": self.removed,
            "removed_share": round(self.removed_share, 6),
        }


@dataclass(frozen=True, repr=False)
class ReplacementDiff:
    """What replacing an audience would add, remove and keep, against its last confirmed upload.

    The counts compare with the last ``ok`` entry of the ledger (``previous_entry``); an entry
    never confirmed is never the basis. ``first_upload`` is True when the ledger confirmed
    nothing for this audience (nothing to compare with: every member counts as added).
    ``uncertain`` compares with each upload the audience may hold instead (``pending`` or
    ``unconfirmed`` entries newer than the basis, or confirmed after it), whose ids are
    ``pending_entries``: the shrink guard refuses when any of them loses too much. ``hashed``
    says removed members are known only as salted hashes. ``frames()`` gives the members
    themselves, for a notebook.
    """

    audience_id: str
    rows: int
    members: int
    added: int
    removed: int
    kept: int
    first_upload: bool
    previous_entry: int | None = None
    previous_members: int = 0
    previous_at: str | None = None
    previous_status: str | None = None
    pending_entries: tuple[int, ...] = ()
    uncertain: tuple[UncertainBasis, ...] = ()
    hashed: bool = False
    _sets: tuple[frozenset[str], frozenset[str], frozenset[str]] = field(
        default=(frozenset(), frozenset(), frozenset()), compare=False
    )

    @property
    def removed_share(self) -> float:
        """Share of the previous members this replacement removes (0.0 on a first upload)."""
        return self.removed / self.previous_members if self.previous_members else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The counts as JSON-ready values (no phone numbers)."""
        return {
            "audience_id": self.audience_id,
            "first_upload": self.first_upload,
            "rows": self.rows,
            "members": self.members,
            "added": self.added,
            "removed": self.removed,
            "kept": self.kept,
            "removed_share": round(self.removed_share, 6),
            "previous_entry": self.previous_entry,
            "previous_members": self.previous_members,
            "previous_at": self.previous_at,
            "previous_status": self.previous_status,
            "pending_entries": list(self.pending_entries),
            "uncertain": [basis.to_dict() for basis in self.uncertain],
        }

    def frames(self) -> dict[str, pl.DataFrame]:
        """``added``, ``removed`` and ``kept`` members as sorted one-column polars frames.

        The column is ``phone1`` (the key: digits, no ``+``); removed members of a ``hashes``
        ledger are only known as hashes, in a ``phone1_sha256`` column.
        """
        import polars as pl  # only a notebook asks for frames

        added, removed, kept = self._sets
        removed_column = f"{PHONE_COLUMN}_sha256" if self.hashed else PHONE_COLUMN
        return {
            "added": pl.DataFrame({PHONE_COLUMN: sorted(added)}, schema={PHONE_COLUMN: pl.String}),
            "removed": pl.DataFrame(
                {removed_column: sorted(removed)}, schema={removed_column: pl.String}
            ),
            "kept": pl.DataFrame({PHONE_COLUMN: sorted(kept)}, schema={PHONE_COLUMN: pl.String}),
        }

    def _repr_html_(self) -> str:
        from audience_prep._display import diff_html

        return diff_html(self)

    def __repr__(self) -> str:
        basis = "first upload" if self.first_upload else f"vs entry {self.previous_entry}"
        return (
            f"<ReplacementDiff audience={self.audience_id!r} {basis}: +{self.added} "
            f"-{self.removed} ={self.kept} ({self.removed_share:.1%} removed)>"
        )


def diff_members(
    audience_id: str,
    current: frozenset[str],
    previous: Iterable[str] | None,
    *,
    rows: int,
    hasher: Callable[[str], str] | None = None,
    **previous_facts: Any,
) -> ReplacementDiff:
    """Compare the members of a new file with the previous ones (None: a first upload).

    ``previous`` holds keys, or hashes when ``hasher`` turns a key into its stored form; then
    added and kept are raw keys and removed are hashes. ``previous_facts`` are the
    ``previous_*``, ``pending_entries`` and ``uncertain`` fields of the result.
    """
    if previous is None:
        sets = (current, frozenset[str](), frozenset[str]())
        return ReplacementDiff(
            audience_id, rows, len(current), len(current), 0, 0, True, _sets=sets, **previous_facts
        )
    before = frozenset(previous)
    if hasher is None:
        added, removed, kept = current - before, before - current, current & before
    else:
        stored = {hasher(key): key for key in current}
        added = frozenset(key for digest, key in stored.items() if digest not in before)
        kept = current - added
        removed = before - stored.keys()
    return ReplacementDiff(
        audience_id,
        rows,
        len(current),
        len(added),
        len(removed),
        len(kept),
        False,
        previous_members=len(before),
        hashed=hasher is not None,
        _sets=(added, frozenset(removed), kept),
        **previous_facts,
    )

"""What a replacement adds and removes: the difference between the members of two files.

CommBox cannot read an audience back, so the members before a replacement are the ``phone1``
values of the last upload the ledger confirmed; uploads it could not confirm are compared too
(``UncertainBasis``), to make the shrink guard stricter, never laxer. Members are compared by
their key (``members``: trimmed, without the ``+``), and shown as their file writes them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

# The names a file's members are read with, once defined here, are kept importable from here.
from audience_prep._ledger.members import CSV_FIELD_LIMIT as CSV_FIELD_LIMIT
from audience_prep._ledger.members import PHONE_COLUMN, FileMembers, PhoneForm, as_file_members
from audience_prep._ledger.members import hash_member as hash_member
from audience_prep._ledger.members import member_key as member_key
from audience_prep._ledger.members import read_members as read_members

if TYPE_CHECKING:
    import polars as pl

__all__ = ["ReplacementDiff", "UncertainBasis", "diff_members"]


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
    #: How the new file and the previous entry write their members (shown by ``frames``).
    _forms: tuple[PhoneForm, PhoneForm] = field(default=(PhoneForm(), PhoneForm()), compare=False)

    @property
    def removed_share(self) -> float:
        """Share of the previous members this replacement removes (0.0 on a first upload)."""
        return self.removed / self.previous_members if self.previous_members else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The counts as JSON-ready values (no phone numbers).

        On a first upload ``removed``, ``kept`` and ``removed_share`` are None: the members
        the audience held before are not known (the ``removed`` attribute is 0 for the guards).
        """
        unknown = self.first_upload
        return {
            "audience_id": self.audience_id,
            "first_upload": self.first_upload,
            "rows": self.rows,
            "members": self.members,
            "added": self.added,
            "removed": None if unknown else self.removed,
            "kept": None if unknown else self.kept,
            "removed_share": None if unknown else round(self.removed_share, 6),
            "previous_entry": self.previous_entry,
            "previous_members": self.previous_members,
            "previous_at": self.previous_at,
            "previous_status": self.previous_status,
            "pending_entries": list(self.pending_entries),
            "uncertain": [basis.to_dict() for basis in self.uncertain],
        }

    def frames(self) -> dict[str, pl.DataFrame]:
        """``added``, ``removed`` and ``kept`` members as one-column polars frames.

        The column is ``phone1``, each member written as its file writes it (``+12125550326``
        from an E.164 file, ``12125550326`` from a digits file), so the frames join back to
        ``prepared.frame`` on ``phone1``: added and kept as the new file writes them, removed
        as the previous entry's file did. Rows are sorted by the number (without ``+``).
        Removed members of a ``hashes`` ledger are only known as hashes, in a
        ``phone1_sha256`` column.
        """
        import polars as pl  # only a notebook asks for frames

        added, removed, kept = self._sets
        current, previous = self._forms
        shown_removed = sorted(removed) if self.hashed else _written(removed, previous)
        removed_column = f"{PHONE_COLUMN}_sha256" if self.hashed else PHONE_COLUMN

        def frame(column: str, values: list[str]) -> pl.DataFrame:
            return pl.DataFrame({column: values}, schema={column: pl.String})

        return {
            "added": frame(PHONE_COLUMN, _written(added, current)),
            "removed": frame(removed_column, shown_removed),
            "kept": frame(PHONE_COLUMN, _written(kept, current)),
        }

    def _repr_html_(self) -> str:
        from audience_prep._display import diff_html

        return diff_html(self)

    def __repr__(self) -> str:
        start = f"<ReplacementDiff audience={self.audience_id!r}"
        if self.first_upload:
            return f"{start} first upload: +{self.added}, removed unknown>"
        return (
            f"{start} vs entry {self.previous_entry}: +{self.added} -{self.removed} "
            f"={self.kept} ({self.removed_share:.1%} removed)>"
        )


def _written(keys: frozenset[str], form: PhoneForm) -> list[str]:
    return [form.written(key) for key in sorted(keys)]


def diff_members(
    audience_id: str,
    current: FileMembers | frozenset[str],
    previous: Iterable[str] | None,
    *,
    rows: int,
    hasher: Callable[[str], str] | None = None,
    previous_form: PhoneForm | None = None,
    **previous_facts: Any,
) -> ReplacementDiff:
    """Compare the members of a new file with the previous ones (None: a first upload).

    ``current`` is the new file's members (bare keys are shown as they are); ``previous``
    holds keys, or hashes when ``hasher`` turns a key into its stored form; then added and
    kept are raw keys and removed are hashes. ``previous_form`` is how the previous file
    wrote its members (default: as the keys are). ``previous_facts`` are the ``previous_*``,
    ``pending_entries`` and ``uncertain`` fields of the result.
    """
    current = as_file_members(current)
    keys = current.keys
    forms = (current.form, previous_form or PhoneForm(False))
    if previous is None:
        sets = (keys, frozenset[str](), frozenset[str]())
        return ReplacementDiff(
            audience_id, rows, len(keys), len(keys), 0, 0, True, _sets=sets, _forms=forms,
            **previous_facts,
        )  # fmt: skip
    before = frozenset(previous)
    if hasher is None:
        added, removed, kept = keys - before, before - keys, keys & before
    else:
        stored = {hasher(key): key for key in keys}
        added = frozenset(key for digest, key in stored.items() if digest not in before)
        kept = keys - added
        removed = before - stored.keys()
    return ReplacementDiff(
        audience_id,
        rows,
        len(keys),
        len(added),
        len(removed),
        len(kept),
        False,
        previous_members=len(before),
        hashed=hasher is not None,
        _sets=(added, frozenset(removed), kept),
        _forms=forms,
        **previous_facts,
    )

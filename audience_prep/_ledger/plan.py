"""What the uploader asks of the ledger: resolve it, name a host, draft an entry, pick a rollback.

Nothing here does HTTP or knows the uploader's types: an upload is described by its bytes' facts
(rows, SHA-256, file name) and the plain data the uploader hands over.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from audience_prep._errors import ConfigurationError, LedgerError
from audience_prep._ledger.diff import ReplacementDiff
from audience_prep._ledger.ledger import Ledger, LedgerEntry, now_iso
from audience_prep._ledger.members import FileMembers

__all__ = [
    "LedgerPlan",
    "UploadFacts",
    "draft_entry",
    "pick_rollback",
    "resolve_ledger",
]


@dataclass(frozen=True)
class LedgerPlan:
    """What the ledger will record for one upload: the members, the diff, the entry draft."""

    members: FileMembers
    diff: ReplacementDiff | None
    draft: LedgerEntry


@dataclass(frozen=True)
class UploadFacts:
    """One upload as the ledger records it: the file's bytes and facts, and where it came from.

    ``members`` are the file's members (``read_file_members``), read once by the uploader,
    which guards on them too; ``manifest`` says what reproduces the upload (versions, options,
    inputs); ``prepare`` is the preparation report as plain data, when the file was prepared.
    """

    content: bytes
    filename: str
    rows: int
    sha256: str
    members: FileMembers
    manifest: Mapping[str, Any]
    prepare: Mapping[str, Any] | None = None


def resolve_ledger(
    ledger: Ledger | bool, ledger_dir: str | os.PathLike[str] | None
) -> Ledger | None:
    """``ledger=True``: a ``Ledger(ledger_dir)``; ``False``: none; a ``Ledger``: itself."""
    if isinstance(ledger, Ledger):
        if ledger_dir is not None:
            raise ConfigurationError("Pass either ledger=Ledger(...) or ledger_dir=..., not both.")
        return ledger
    if ledger is True:
        return Ledger(ledger_dir)
    if ledger is False:
        return None
    raise TypeError(f"ledger must be a bool or a Ledger, got {type(ledger).__name__}")


def draft_entry(
    ledger: Ledger,
    *,
    operation: str,
    audience_id: str,
    host: str,
    upload: UploadFacts,
    rollback_of: int | None = None,
) -> LedgerPlan:
    """Compare the upload's members with the ledger (for a replace) and draft its entry."""
    members = upload.members
    diff = None
    if operation != "create":
        diff = ledger.compare(audience_id, members, host=host, rows=upload.rows)
    draft = LedgerEntry(
        entry_id=0,
        audience_id=audience_id,
        host=host,
        status="pending",
        operation=operation,
        created_at=now_iso(),
        rows=upload.rows,
        members=len(members),
        sha256=upload.sha256,
        bytes=len(upload.content),
        filename=upload.filename,
        mode=ledger.mode,
        manifest=dict(upload.manifest),
        diff=None if diff is None else diff.to_dict(),
        prepare=None if upload.prepare is None else dict(upload.prepare),
        rollback_of=rollback_of,
    )
    return LedgerPlan(members, diff, draft)


def pick_rollback(entries: list[LedgerEntry], to: int | None, *, audience_id: str) -> LedgerEntry:
    """The entry to roll back to: ``to``, else the newest ok upload unlike the current one."""
    if to is not None:
        chosen = next((e for e in entries if e.entry_id == to), None)
        if chosen is None or chosen.status == "failed":
            raise LedgerError(
                f"Audience {audience_id} has no successful ledger entry {to}; see "
                f"`audience-prep history {audience_id}`."
            )
        return chosen
    done = [e for e in entries if e.status == "ok"]
    if done:
        current = done[-1].sha256
        earlier = [e for e in done if e.sha256 != current]
        if earlier:
            return earlier[-1]
    raise LedgerError(
        f"The ledger holds no earlier upload of audience {audience_id} to roll back to; "
        f"see `audience-prep history {audience_id}`."
    )

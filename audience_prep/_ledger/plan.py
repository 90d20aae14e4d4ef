"""How the CommBox clients use the ledger: resolve it, plan an entry, pick a rollback target.

Kept apart from ``_client_core`` so the clients' policy stays readable; nothing here does HTTP.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from audience_prep._errors import ConfigurationError, LedgerError
from audience_prep._ledger.diff import ReplacementDiff, read_members
from audience_prep._ledger.ledger import Ledger, LedgerEntry, now_iso
from audience_prep._upload.payload import AudienceData, AudiencePayload, SupportsAudienceBytes
from audience_prep._version import __version__

__all__ = ["LedgerPlan", "host_of", "pick_rollback", "plan_entry", "resolve_ledger"]

_PREPARE_OPTIONS = (
    "region", "region_column", "phone_format", "mobile_only", "keep", "schema",
    "column_mapping", "encoding", "delimiter", "sheet", "header_row",
)  # fmt: skip


@dataclass(frozen=True)
class LedgerPlan:
    """What the ledger will record for one upload: the members, the diff, the entry draft."""

    members: frozenset[str]
    diff: ReplacementDiff | None
    draft: LedgerEntry


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


def host_of(base_url: str) -> str:
    """The host (and port, when given) an audience id belongs to."""
    url = httpx.URL(base_url)
    return f"{url.host}:{url.port}" if url.port else url.host


def plan_entry(
    ledger: Ledger,
    *,
    operation: str,
    audience_id: str,
    host: str,
    data: AudienceData,
    payload: AudiencePayload,
    options: dict[str, Any],
    manifest: dict[str, Any] | None = None,
    rollback_of: int | None = None,
) -> LedgerPlan:
    """Read the payload's members, compare them with the ledger (for a replace) and draft."""
    members = read_members(payload.content, source=payload.filename)
    diff = None
    if operation != "create":
        diff = ledger.compare(audience_id, members, host=host, rows=payload.rows)
    prepared = data.report if isinstance(data, SupportsAudienceBytes) else None
    to_dict = getattr(prepared, "to_dict", None)
    draft = LedgerEntry(
        entry_id=0,
        audience_id=audience_id,
        host=host,
        status="pending",
        operation=operation,
        created_at=now_iso(),
        rows=payload.rows,
        members=len(members),
        sha256=payload.sha256,
        bytes=len(payload.content),
        filename=payload.filename,
        mode=ledger.mode,
        manifest=manifest or _manifest(data, payload, options),
        diff=None if diff is None else diff.to_dict(),
        prepare=to_dict() if callable(to_dict) else None,
        rollback_of=rollback_of,
    )
    return LedgerPlan(members, diff, draft)


def _manifest(
    data: AudienceData, payload: AudiencePayload, options: dict[str, Any]
) -> dict[str, Any]:
    """What reproduces this upload: versions, options and the input files' names and hashes."""
    report = data.report if isinstance(data, SupportsAudienceBytes) else None
    prepare = {name: getattr(report, name) for name in _PREPARE_OPTIONS if hasattr(report, name)}
    phonenumbers_version = getattr(report, "phonenumbers_version", None)
    if phonenumbers_version is None:
        phonenumbers_version = importlib.metadata.version("phonenumbers")
    return {
        "audience_prep_version": __version__,
        "phonenumbers_version": phonenumbers_version,
        "options": {"prepare": prepare, "upload": options},
        "input": _inputs(data, payload),
    }


def _inputs(data: AudienceData, payload: AudiencePayload) -> list[dict[str, str | None]]:
    if isinstance(data, SupportsAudienceBytes):
        names = list(getattr(data.report, "files", None) or [])
        names = names or [str(getattr(data.report, "source", "a prepared audience"))]
        return [{"name": name, "sha256": _file_sha256(name)} for name in names]
    if isinstance(data, str | os.PathLike):
        return [{"name": str(data), "sha256": payload.sha256}]
    return [{"name": None, "sha256": payload.sha256}]


def _file_sha256(name: str) -> str | None:
    path = Path(name)
    try:
        if not path.is_file():
            return None
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


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

"""What the ledger records of an upload: the facts of the bytes sent and what reproduces them.

The manifest names the audience_prep and phonenumbers versions, the options of the preparation
(when the file was prepared) and of the upload, and the input files with their SHA-256.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
from pathlib import Path
from typing import Any

from audience_prep._ledger.members import FileMembers
from audience_prep._ledger.plan import UploadFacts
from audience_prep._upload.payload import AudienceData, AudiencePayload, SupportsAudienceBytes
from audience_prep._version import __version__

__all__ = ["upload_facts"]

_PREPARE_OPTIONS = (
    "region", "region_column", "phone_format", "mobile_only", "keep", "schema",
    "column_mapping", "encoding", "delimiter", "sheet", "header_row",
)  # fmt: skip


def upload_facts(
    data: AudienceData,
    payload: AudiencePayload,
    members: FileMembers,
    options: dict[str, Any],
    *,
    manifest: dict[str, Any] | None = None,
) -> UploadFacts:
    """The ledger's view of one upload; ``manifest`` (a rollback's) replaces the built one."""
    prepared = data.report if isinstance(data, SupportsAudienceBytes) else None
    to_dict = getattr(prepared, "to_dict", None)
    return UploadFacts(
        content=payload.content,
        filename=payload.filename,
        rows=payload.rows,
        sha256=payload.sha256,
        members=members,
        manifest=manifest or _manifest(data, payload, options),
        prepare=to_dict() if callable(to_dict) else None,
    )


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

"""audience_prep: messy customer exports in, validated CommBox audience files out.

The public API is this module's ``__all__``; every other module is private.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from audience_prep._errors import (
    AmbiguousColumnsError,
    AudienceNotFoundError,
    AudiencePrepError,
    AudienceRejectedError,
    AuthenticationError,
    CommBoxConnectionError,
    CommBoxError,
    CommBoxServerError,
    ConfigurationError,
    EmptyAudienceError,
    GuardError,
    InputError,
    InternalValidationError,
    InvalidAudienceFileError,
    LedgerError,
    MappingError,
    MissingColumnError,
    NoValidRowsError,
    RateLimitedError,
    RejectedShareError,
    SchemaFileError,
    ShrinkGuardError,
    SourceReadError,
    TerminalCommBoxError,
    TransientCommBoxError,
    UnexpectedResponseError,
    UnknownRegionError,
)
from audience_prep._options import ExtraColumns, Keep, PhoneFormat
from audience_prep._progress import ProgressCallback
from audience_prep._reasons import NOTES, REASONS, Note, Reason
from audience_prep._version import __version__

if TYPE_CHECKING:
    from audience_prep._ledger.diff import ReplacementDiff
    from audience_prep._ledger.ledger import Ledger, LedgerEntry, LedgerMode
    from audience_prep._prepare.phones.oracle import PhoneResult, normalize_phone
    from audience_prep._prepare.pipeline import prepare
    from audience_prep._prepare.prepared import Prepared
    from audience_prep._prepare.report import PrepReport
    from audience_prep._prepare.schema import AudienceSchema, load_schema
    from audience_prep._prepare.validation import ValidationReport, validate
    from audience_prep._upload.client import AsyncCommBoxClient, CommBoxClient
    from audience_prep._upload.payload import SupportsAudienceBytes
    from audience_prep._upload.report import UploadReport

#: Names imported on first use, so `import audience_prep` (and the CLI's start) costs the
#: errors and vocabularies only: preparing imports polars and phonenumbers (about 0.3 s),
#: the HTTP client and the ledger httpx, asyncio and file locks (about 0.15 s).
_LAZY = {
    "AudienceSchema": "audience_prep._prepare.schema",
    "PhoneResult": "audience_prep._prepare.phones.oracle",
    "PrepReport": "audience_prep._prepare.report",
    "Prepared": "audience_prep._prepare.prepared",
    "ValidationReport": "audience_prep._prepare.validation",
    "load_schema": "audience_prep._prepare.schema",
    "normalize_phone": "audience_prep._prepare.phones.oracle",
    "prepare": "audience_prep._prepare.pipeline",
    "validate": "audience_prep._prepare.validation",
    "AsyncCommBoxClient": "audience_prep._upload.client",
    "CommBoxClient": "audience_prep._upload.client",
    "SupportsAudienceBytes": "audience_prep._upload.payload",
    "UploadReport": "audience_prep._upload.report",
    "Ledger": "audience_prep._ledger.ledger",
    "LedgerEntry": "audience_prep._ledger.ledger",
    "LedgerMode": "audience_prep._ledger.ledger",
    "ReplacementDiff": "audience_prep._ledger.diff",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'audience_prep' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "NOTES",
    "REASONS",
    "AmbiguousColumnsError",
    "AsyncCommBoxClient",
    "AudienceNotFoundError",
    "AudiencePrepError",
    "AudienceRejectedError",
    "AudienceSchema",
    "AuthenticationError",
    "CommBoxClient",
    "CommBoxConnectionError",
    "CommBoxError",
    "CommBoxServerError",
    "ConfigurationError",
    "EmptyAudienceError",
    "ExtraColumns",
    "GuardError",
    "InputError",
    "InternalValidationError",
    "InvalidAudienceFileError",
    "Keep",
    "Ledger",
    "LedgerEntry",
    "LedgerError",
    "LedgerMode",
    "MappingError",
    "MissingColumnError",
    "NoValidRowsError",
    "Note",
    "PhoneFormat",
    "PhoneResult",
    "PrepReport",
    "Prepared",
    "ProgressCallback",
    "RateLimitedError",
    "Reason",
    "RejectedShareError",
    "ReplacementDiff",
    "SchemaFileError",
    "ShrinkGuardError",
    "SourceReadError",
    "SupportsAudienceBytes",
    "TerminalCommBoxError",
    "TransientCommBoxError",
    "UnexpectedResponseError",
    "UnknownRegionError",
    "UploadReport",
    "ValidationReport",
    "__version__",
    "load_schema",
    "normalize_phone",
    "prepare",
    "validate",
]

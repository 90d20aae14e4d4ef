"""The gate before an upload: a file the uploader did not prepare is judged as ``ap.validate``
judges it, before anything is sent or recorded.

Rules:

- a prepared audience (``SupportsAudienceBytes``, e.g. ``ap.Prepared``) is trusted: it was
  validated when it was built;
- any other file (bytes, a .csv or .xlsx path, the kept file a rollback re-uploads) is
  validated with the default schema (every check of ``ap.validate``), on a dry run too, and
  refused with ``InvalidAudienceFileError`` when any check fails;
- the form ``phone1`` must have is the file's own: a non-empty cell that starts with ``+`` is
  in E.164 form, any other in digits form, and the file's form is that of most of its cells (a
  tie, or no phone at all: E.164). Every cell in the other form then fails the ``format``
  check, so an E.164 file and a digits file (CommBox's own example form) both pass, and a
  file that mixes the two never does;
- ``validate=False`` skips the gate. That is dangerous: the file replaces every member of the
  audience, and CommBox checks little more than that it has a ``phone1`` column.

The validation (polars, pandera) is imported when a file is checked, never with this module.
"""

from __future__ import annotations

import os

from audience_prep._errors import InvalidAudienceFileError, SourceReadError
from audience_prep._ledger.members import FileMembers, read_file_members
from audience_prep._options import PhoneFormat
from audience_prep._upload.payload import AudienceData, AudiencePayload, SupportsAudienceBytes

__all__ = ["file_phone_format", "judge", "source_label"]

#: How many failures the error message names (the error's ``counts`` has them all).
FIRST_FAILURES = 3


def file_phone_format(members: FileMembers | None) -> PhoneFormat:
    """The form a file's ``phone1`` cells must have: that of most of them (see the rules)."""
    if members is not None and members.cells_without_plus > members.cells_with_plus:
        return "digits"
    return "e164"


def source_label(data: AudienceData) -> str:
    """How messages name the file of ``data``."""
    if isinstance(data, SupportsAudienceBytes):
        return "the prepared audience"
    if isinstance(data, str | os.PathLike):
        return str(data)
    return "the given bytes"


def judge(
    data: AudienceData, payload: AudiencePayload, *, validate: bool, source: str | None = None
) -> FileMembers:
    """The members of the file about to be sent, after the gate let it through.

    ``source`` names the file in messages (default: ``source_label(data)``). Raises
    ``InvalidAudienceFileError`` for a file that fails validation, ``SourceReadError`` for one
    that cannot be read or has no ``phone1`` column (when not validated).
    """
    label = source or source_label(data)
    if not validate or isinstance(data, SupportsAudienceBytes):
        return read_file_members(payload.content, source=label)
    try:
        members: FileMembers | None = read_file_members(payload.content, source=label)
    except SourceReadError:
        members = None  # no phone1 column, or unreadable: the validation says which
    _check(payload, file_phone_format(members), label)
    return members if members is not None else read_file_members(payload.content, source=label)


def _check(payload: AudiencePayload, phone_format: PhoneFormat, label: str) -> None:
    from audience_prep._prepare.validation import validate  # polars and pandera: only now

    report = validate(payload.content, phone_format=phone_format, name=label)
    if not report.ok:
        raise InvalidAudienceFileError(
            label,
            rows=report.rows,
            phone_format=phone_format,
            counts=report.counts,
            first=report.first(FIRST_FAILURES),
        )

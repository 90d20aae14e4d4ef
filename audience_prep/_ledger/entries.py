"""What a stored ledger entry must hold, and which entry is the audience's current state.

An entry is written *before* the request, as ``pending`` (write-ahead), and then becomes:

- ``ok``: CommBox answered 200 with its documented JSON;
- ``failed``: CommBox refused it (a 4xx or 5xx status); the audience did not change;
- ``unconfirmed``: CommBox may have applied it, and nobody can tell which state the audience
  is in. Three ways: a 2xx whose body is not the documented JSON (or is too long to read); a
  200 that arrived after a *newer* entry's 200 (two uploads crossed: the audience holds one of
  the two); a ``pending`` entry when a newer upload succeeds. The entry's ``error`` says which.

A ``pending`` entry found later is an upload whose outcome was never recorded: a 429 or a
timeout after the retries, a dropped connection, a crash, or one still running elsewhere.

Pure functions over plain data; the ``Ledger`` reads and writes the files.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, Literal, Protocol, TypeVar, get_args

__all__ = [
    "KEPT_SUFFIXES",
    "STATUSES",
    "STORED_FIELDS",
    "Settled",
    "Status",
    "check_stored",
    "current_state",
]

Status = Literal["pending", "ok", "failed", "unconfirmed"]
STATUSES: Final = get_args(Status)
#: The suffixes of the uploaded files an entry keeps.
KEPT_SUFFIXES: Final = (".csv", ".xlsx")
_UNSURE: Final = ("pending", "unconfirmed")

#: Every field a stored entry holds, with its JSON type; the optional ones may also be null.
STORED_FIELDS: Final[dict[str, type]] = {
    "entry_id": int, "audience_id": str, "host": str, "status": str, "operation": str,
    "created_at": str, "rows": int, "members": int, "sha256": str, "bytes": int,
    "filename": str, "mode": str, "manifest": dict, "diff": dict, "prepare": dict,
    "upload": dict, "completed_at": str, "rollback_of": int, "error": str, "file": str,
}  # fmt: skip
_OPTIONAL: Final = frozenset(
    {"diff", "prepare", "upload", "completed_at", "rollback_of", "error", "file"}
)


class Settled(Protocol):
    """What ``current_state`` reads of an entry (the ledger's ``LedgerEntry``)."""

    @property
    def entry_id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def completed_at(self) -> str | None: ...


EntryT = TypeVar("EntryT", bound=Settled)


def current_state(entries: Sequence[EntryT]) -> tuple[EntryT | None, list[EntryT]]:
    """The audience's last confirmed upload, and the uploads it may hold instead.

    Rules, for one audience's entries:

    - the current state (the basis of a diff) is the ``ok`` entry with the highest id, None
      when no entry is ``ok``; a ``pending`` or ``unconfirmed`` entry never is;
    - a ``pending`` or ``unconfirmed`` entry may be what the audience holds when it is newer
      than the basis, or was settled (``completed_at``) after it (or in the same millisecond);
      an older one settled before the basis was overwritten by it;
    - ``failed`` entries changed nothing and are neither.
    """
    basis = max((e for e in entries if e.status == "ok"), key=_entry_id, default=None)

    def may_hold(entry: EntryT) -> bool:
        if entry.status not in _UNSURE:
            return False
        if basis is None or entry.entry_id > basis.entry_id:
            return True
        settled, confirmed = entry.completed_at, basis.completed_at  # within a ms: unsure too
        return settled is not None and confirmed is not None and settled >= confirmed

    return basis, [e for e in entries if may_hold(e)]


def _entry_id(entry: Settled) -> int:
    return entry.entry_id


def check_stored(data: object, *, number: int, modes: Sequence[str]) -> dict[str, Any]:
    """The fields of stored entry number ``number``, checked; ``ValueError`` says what is wrong.

    Every field must be present with its JSON type (an optional one may be null, or absent),
    no other field may be, the entry must carry its own number, a known status and ``mode``,
    and a kept file can only be its own (``000001.csv``): never a path elsewhere.
    """
    if not isinstance(data, dict):
        raise ValueError("it is not a JSON object")
    unknown = sorted(set(data) - set(STORED_FIELDS))
    if unknown:
        raise ValueError(f"unknown fields {unknown}")
    for name, kind in STORED_FIELDS.items():
        value = data.get(name)
        if value is None and name in _OPTIONAL:
            continue
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValueError(f"its {name!r} is missing or not a JSON {kind.__name__}")
    if data["entry_id"] != number:
        raise ValueError(f"it says it is entry {data['entry_id']}, not {number}")
    if data["status"] not in STATUSES or data["mode"] not in modes:
        raise ValueError(f"unknown status {data['status']!r} or mode {data['mode']!r}")
    own = [f"{number:06d}{suffix}" for suffix in KEPT_SUFFIXES]
    if data.get("file") is not None and data["file"] not in own:
        raise ValueError(f"its kept file {data['file']!r} is not its own")
    return data

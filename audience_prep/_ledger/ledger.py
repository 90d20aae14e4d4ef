"""The replacement ledger: a local record of every upload, per CommBox host and audience id.

CommBox offers no way to read an audience back, so the ledger is what tells a user what a
replacement will add and remove, what blocks a shrinking audience, and what a rollback
re-uploads. Layout under the ledger directory::

    salt                                   per-ledger random salt (``hashes`` mode only)
    audiences/<host>/<audience id>/.lock   one lock per audience (filelock)
    audiences/<host>/<audience id>/000001.json     the entry: status, counts, manifest, reports
    audiences/<host>/<audience id>/000001.members  its sorted member keys (or salted hashes)
    audiences/<host>/<audience id>/000001.csv      a copy of the uploaded file (``keep_files``)

An entry is written *before* the request, as ``pending`` (write-ahead), and becomes ``ok`` once
CommBox answered 200, or ``failed`` when CommBox refused it (nothing changed). A ``pending``
entry found later is an upload whose outcome was never recorded (a crash, or one still
running); it is reported, and becomes ``unconfirmed`` when a later upload succeeds. Nothing in
the ledger holds the API token.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal, get_args

from audience_prep._errors import ConfigurationError, LedgerError
from audience_prep._ledger.diff import ReplacementDiff, diff_members, hash_member
from audience_prep._ledger.files import (
    atomic_write,
    default_ledger_dir,
    locked,
    make_private_dir,
    read_bytes,
    safe_name,
)
from audience_prep._ledger.hosts import ledger_host

__all__ = ["DEFAULT_MAX_KEPT_BYTES", "Ledger", "LedgerEntry", "LedgerMode", "now_iso"]

LedgerMode = Literal["phones", "hashes"]
LEDGER_MODES: Final = get_args(LedgerMode)
Status = Literal["pending", "ok", "failed", "unconfirmed"]
DEFAULT_MAX_KEPT_BYTES = 256 * 1024 * 1024
_FILE_SUFFIXES = (".csv", ".xlsx")
logger = logging.getLogger("audience_prep.ledger")


def now_iso() -> str:
    """The current UTC time as ISO 8601 with milliseconds and a ``Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class LedgerEntry:
    """One recorded upload to one audience; ``entry_id`` counts 1, 2, … per audience.

    ``status`` is ``pending`` (written before the request, outcome unknown), ``ok``,
    ``failed`` (CommBox refused it) or ``unconfirmed`` (was pending when a later upload
    succeeded). ``file_kept`` says whether the uploaded file can still be rolled back to.
    """

    entry_id: int
    audience_id: str
    host: str
    status: Status
    operation: str
    created_at: str
    rows: int
    members: int
    sha256: str
    bytes: int
    filename: str
    mode: LedgerMode
    manifest: dict[str, Any]
    diff: dict[str, Any] | None = None
    prepare: dict[str, Any] | None = None
    upload: dict[str, Any] | None = None
    completed_at: str | None = None
    rollback_of: int | None = None
    error: str | None = None
    file: str | None = None
    directory: Path = field(default=Path(), compare=False, repr=False)

    @property
    def file_kept(self) -> bool:
        """Whether a copy of the uploaded file is still in the ledger."""
        return self.file is not None and (self.directory / self.file).is_file()

    def to_dict(self) -> dict[str, Any]:
        """The entry as JSON-ready values (as stored, plus ``file_kept``)."""
        data = asdict(self)
        del data["directory"]
        data["file_kept"] = self.file_kept
        return data


class Ledger:
    """A replacement ledger in ``directory``; see the module docstring for what it keeps.

    ``directory`` defaults to ``$AUDIENCE_PREP_LEDGER``, else the per-user data directory
    (platformdirs). ``mode="hashes"`` stores salted SHA-256 hashes of the members instead of
    the phones, and then keeps no file copies (a copy would hold the phones): rollback needs
    ``mode="phones"``. ``keep_files`` (default on in ``phones`` mode) keeps a copy of each
    uploaded file, at most ``max_kept_bytes`` per audience: the oldest copies go first.
    ``lock_timeout`` bounds the wait for another process writing the same audience.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str] | None = None,
        *,
        mode: LedgerMode = "phones",
        keep_files: bool | None = None,
        max_kept_bytes: int = DEFAULT_MAX_KEPT_BYTES,
        lock_timeout: float = 30.0,
    ) -> None:
        if mode not in LEDGER_MODES:
            raise ConfigurationError(f"ledger mode must be 'phones' or 'hashes', got {mode!r}.")
        if mode == "hashes" and keep_files:
            raise ConfigurationError(
                "A 'hashes' ledger keeps no file copies (they hold the phones); "
                "drop keep_files=True or use mode='phones'."
            )
        if max_kept_bytes < 0 or lock_timeout <= 0:
            raise ConfigurationError("max_kept_bytes must be >= 0 and lock_timeout > 0.")
        self.path = Path(directory).expanduser() if directory else default_ledger_dir()
        self.mode: LedgerMode = mode
        self.keep_files = mode == "phones" if keep_files is None else keep_files
        self.max_kept_bytes = max_kept_bytes
        self.lock_timeout = lock_timeout

    #: The host key of a CommBox base URL or host, in any spelling (see the ``history`` docs).
    host_key = staticmethod(ledger_host)

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r}, mode={self.mode!r}, keep_files={self.keep_files})"

    # --- reading ---------------------------------------------------------------------------

    def history(self, audience_id: str, *, host: str) -> list[LedgerEntry]:
        """Every entry for one audience at one CommBox host, oldest first.

        ``host`` is the CommBox base URL or host in any spelling (``https://api.commbox.io/``,
        ``api.commbox.io``; every loopback host is one): see :func:`ledger_host`.
        """
        directory = self._audience_dir(host, audience_id)
        if not directory.is_dir():
            return []
        return [self._load(path) for path in sorted(directory.glob("[0-9]*.json"))]

    def entry(self, audience_id: str, entry_id: int, *, host: str) -> LedgerEntry:
        """One entry; ``LedgerError`` when the audience has no entry with this id."""
        path = self._audience_dir(host, audience_id) / f"{entry_id:06d}.json"
        if not path.is_file():
            raise LedgerError(
                f"The ledger has no entry {entry_id} for audience {audience_id} at {host}; "
                f"see `audience-prep history {audience_id}`.",
                path=str(path),
            )
        return self._load(path)

    def members(self, entry: LedgerEntry) -> frozenset[str]:
        """The member keys of an entry (salted hashes in a ``hashes`` entry)."""
        text = read_bytes(self._sibling(entry, ".members")).decode("utf-8")
        return frozenset(line for line in text.split("\n") if line)

    def kept_file(self, entry: LedgerEntry) -> bytes:
        """The uploaded file an entry kept; ``LedgerError`` when it was not kept or rotated out."""
        if entry.file is None or not entry.file_kept:
            raise LedgerError(
                f"Entry {entry.entry_id} of audience {entry.audience_id} has no kept file "
                "(keep_files was off, the ledger stores hashes, or it was rotated out to "
                "stay under max_kept_bytes); choose another entry.",
                path=str(entry.directory),
            )
        return read_bytes(entry.directory / entry.file)

    def compare(
        self, audience_id: str, current: frozenset[str], *, host: str, rows: int
    ) -> ReplacementDiff:
        """What replacing the audience with ``current`` members changes, against the ledger.

        The basis is the newest ``ok`` or ``pending`` entry; pending entries are listed in the
        result and logged, since the audience may or may not hold their members.
        """
        entries = self.history(audience_id, host=host)
        pending = tuple(e.entry_id for e in entries if e.status == "pending")
        candidates = [e for e in entries if e.status in ("ok", "pending")]
        if pending:
            logger.warning(
                "Audience %s: upload(s) %s were never confirmed (a crash, or still running "
                "elsewhere); comparing against the newest recorded upload",
                audience_id,
                ", ".join(map(str, pending)),
            )
        if not candidates:
            return diff_members(audience_id, current, None, rows=rows, pending_entries=pending)
        basis = candidates[-1]
        hasher = self._hasher() if basis.mode == "hashes" else None
        return diff_members(
            audience_id,
            current,
            self.members(basis),
            rows=rows,
            hasher=hasher,
            previous_entry=basis.entry_id,
            previous_at=basis.completed_at or basis.created_at,
            previous_status=basis.status,
            pending_entries=pending,
        )

    # --- writing ---------------------------------------------------------------------------

    def begin(self, draft: LedgerEntry, current: frozenset[str], content: bytes) -> LedgerEntry:
        """Write ``draft`` as the audience's next entry, ``pending``, with members and file."""
        directory = self._audience_dir(draft.host, draft.audience_id)
        with locked(directory, timeout=self.lock_timeout):
            number = 1 + max((int(p.stem) for p in directory.glob("[0-9]*.json")), default=0)
            stem = f"{number:06d}"
            suffix = ".xlsx" if draft.filename.endswith(".xlsx") else ".csv"
            entry = replace(
                draft,
                entry_id=number,
                status="pending",
                mode=self.mode,
                members=len(current),
                file=stem + suffix if self.keep_files else None,
                directory=directory,
            )
            atomic_write(directory / f"{stem}.members", self._members_text(current))
            if entry.file is not None:
                atomic_write(directory / entry.file, content)
            self._save(entry)
            self._rotate(directory)
        logger.info("Ledger: audience %s entry %d pending", entry.audience_id, number)
        return entry

    def commit(self, entry: LedgerEntry, upload: dict[str, Any]) -> LedgerEntry:
        """Mark an entry ``ok`` with CommBox's answer; older pending entries become unconfirmed."""
        with locked(entry.directory, timeout=self.lock_timeout):
            for older in self.history(entry.audience_id, host=entry.host):
                if older.status == "pending" and older.entry_id < entry.entry_id:
                    self._save(replace(older, status="unconfirmed"))
            done = replace(
                self._load_entry(entry), status="ok", upload=upload, completed_at=now_iso()
            )
            self._save(done)
        logger.info("Ledger: audience %s entry %d ok", entry.audience_id, entry.entry_id)
        return done

    def fail(self, entry: LedgerEntry, error: str) -> LedgerEntry:
        """Mark an entry ``failed``: CommBox refused the request, the audience did not change."""
        with locked(entry.directory, timeout=self.lock_timeout):
            done = replace(
                self._load_entry(entry), status="failed", error=error, completed_at=now_iso()
            )
            self._save(done)
        return done

    def salt(self) -> bytes:
        """This ledger's random salt for ``hashes`` mode, created on first use."""
        path = self.path / "salt"
        if not path.is_file():
            with locked(make_private_dir(self.path), timeout=self.lock_timeout):
                if not path.is_file():
                    atomic_write(path, os.urandom(32).hex().encode("ascii"))
        return read_bytes(path).strip()

    # --- internals -------------------------------------------------------------------------

    def _audience_dir(self, host: str, audience_id: str) -> Path:
        key = ledger_host(host).replace(":", "_")
        return self.path / "audiences" / safe_name(key) / safe_name(str(audience_id).strip())

    def _hasher(self) -> Any:
        salt = self.salt()
        return lambda key: hash_member(key, salt)

    def _members_text(self, current: frozenset[str]) -> bytes:
        keys = current if self.mode == "phones" else map(self._hasher(), current)
        return "".join(f"{key}\n" for key in sorted(keys)).encode("utf-8")

    def _sibling(self, entry: LedgerEntry, suffix: str) -> Path:
        return entry.directory / f"{entry.entry_id:06d}{suffix}"

    def _load_entry(self, entry: LedgerEntry) -> LedgerEntry:
        return self._load(self._sibling(entry, ".json"))

    def _load(self, path: Path) -> LedgerEntry:
        try:
            data = json.loads(read_bytes(path))
            return LedgerEntry(**data, directory=path.parent)
        except (ValueError, TypeError) as exc:
            raise LedgerError(
                f"The ledger entry {path} is corrupt ({exc}); move it aside to continue.",
                path=str(path),
            ) from exc

    def _save(self, entry: LedgerEntry) -> None:
        data = asdict(entry)
        del data["directory"]
        text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
        atomic_write(self._sibling(entry, ".json"), text.encode("utf-8"))

    def _rotate(self, directory: Path) -> None:
        kept = sorted(p for p in directory.glob("[0-9]*") if p.suffix in _FILE_SUFFIXES)
        total = sum(p.stat().st_size for p in kept)
        while kept and total > self.max_kept_bytes:
            oldest = kept.pop(0)
            total -= oldest.stat().st_size
            oldest.unlink()
            logger.info("Ledger: removed the kept file %s to stay under the size cap", oldest)

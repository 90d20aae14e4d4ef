"""The replacement ledger: a local record of every upload, per CommBox host and audience id.

CommBox offers no way to read an audience back, so the ledger is what tells a user what a
replacement will add and remove, what blocks a shrinking audience, and what a rollback
re-uploads. Layout under the ledger directory::

    salt                                   per-ledger random salt (``hashes`` mode only)
    audiences/<host>/<audience id>/.lock   one lock per audience (filelock)
    audiences/<host>/<audience id>/000001.json     the entry: status, counts, manifest, reports
    audiences/<host>/<audience id>/000001.members  its members as written, or salted key hashes
    audiences/<host>/<audience id>/000001.csv      a copy of the uploaded file (``keep_files``)

An entry is written *before* the request, as ``pending`` (write-ahead), and then becomes
``ok``, ``failed`` or ``unconfirmed``; the audience's current state is the ``ok`` entry with the
highest id, and an entry never confirmed can only make the shrink guard stricter (the statuses
and these rules: ``entries``). Only files named exactly ``NNNNNN.json`` (and their ``.members``,
``.csv``, ``.xlsx``) are the ledger's; others are ignored. A file that is the ledger's but
cannot be read as one raises a ``LedgerError`` naming it. Nothing in the ledger holds the token.
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
from audience_prep._ledger.diff import ReplacementDiff, UncertainBasis, diff_members
from audience_prep._ledger.entries import KEPT_SUFFIXES, Status, check_stored, current_state
from audience_prep._ledger.files import (
    atomic_write,
    default_ledger_dir,
    locked,
    make_private_dir,
    numbered_files,
    read_bytes,
    safe_name,
)
from audience_prep._ledger.hosts import ledger_host
from audience_prep._ledger.members import FileMembers, as_file_members, hash_member

__all__ = ["DEFAULT_MAX_KEPT_BYTES", "Ledger", "LedgerEntry", "LedgerMode", "now_iso"]

LedgerMode = Literal["phones", "hashes"]
LEDGER_MODES: Final = get_args(LedgerMode)
DEFAULT_MAX_KEPT_BYTES = 256 * 1024 * 1024
logger = logging.getLogger("audience_prep.ledger")


def now_iso() -> str:
    """The current UTC time as ISO 8601 with milliseconds and a ``Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class LedgerEntry:
    """One recorded upload to one audience; ``entry_id`` counts 1, 2, … per audience.

    ``status`` is ``pending`` (written before the request, outcome unknown), ``ok``,
    ``failed`` (CommBox refused it) or ``unconfirmed`` (CommBox may have applied it; ``error``
    says why it is not known): see the module docstring. ``file_kept`` says whether the
    uploaded file can still be rolled back to.
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
        return [self._load(path) for _, path in numbered_files(directory, (".json",))]

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
        """The member keys of an entry (without ``+``; salted hashes in a ``hashes`` entry).

        ``LedgerError`` naming the file when it is missing or not the ledger's text.
        """
        return self.file_members(entry).keys

    def file_members(self, entry: LedgerEntry) -> FileMembers:
        """``members`` with the form the entry's file wrote them in (a ``hashes`` entry, or one
        recorded before forms were kept, has no ``+``)."""
        path = self._sibling(entry, ".members")
        try:
            text = read_bytes(path).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _corrupt(path, "a members file is UTF-8 text, one member a line") from exc
        return FileMembers.from_lines([line for line in text.split("\n") if line])

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
        self, audience_id: str, current: FileMembers | frozenset[str], *, host: str, rows: int
    ) -> ReplacementDiff:
        """What replacing the audience with ``current`` members changes, against the ledger.

        The basis is the last confirmed state: the ``ok`` entry with the highest id. Each
        upload the audience may hold instead (see ``current_state``) is compared too, in the
        result's ``uncertain``, and logged: it can make the shrink guard stricter, never laxer.
        """
        basis, unsure = current_state(self.history(audience_id, host=host))
        pending = tuple(e.entry_id for e in unsure)
        if pending:
            logger.warning(
                "Audience %s: upload(s) %s were never confirmed (a timeout, a crash, or still "
                "running elsewhere); the replacement is checked against them too",
                audience_id,
                ", ".join(map(str, pending)),
            )
        facts: dict[str, Any] = {
            "pending_entries": pending,
            "uncertain": self._uncertain(unsure, current),
        }
        if basis is None:
            return diff_members(audience_id, current, None, rows=rows, **facts)
        previous = self.file_members(basis)
        return diff_members(
            audience_id,
            current,
            previous.keys,
            rows=rows,
            hasher=self._hasher() if basis.mode == "hashes" else None,
            previous_form=previous.form,
            previous_entry=basis.entry_id,
            previous_at=basis.completed_at or basis.created_at,
            previous_status=basis.status,
            **facts,
        )

    # --- writing ---------------------------------------------------------------------------

    def begin(
        self, draft: LedgerEntry, current: FileMembers | frozenset[str], content: bytes
    ) -> LedgerEntry:
        """Write ``draft`` as the audience's next entry, ``pending``, with members and file."""
        current = as_file_members(current)
        directory = self._audience_dir(draft.host, draft.audience_id)
        with locked(directory, timeout=self.lock_timeout):
            number = 1 + max((n for n, _ in numbered_files(directory, (".json",))), default=0)
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
        """Record CommBox's 200 for an entry; older pending entries become unconfirmed.

        The entry becomes ``ok``, the current state, unless a newer entry was confirmed first
        (the two uploads crossed, and the older one's answer came last): then CommBox applied
        both in an order nobody knows, so it becomes ``unconfirmed``, the newer entry stays
        the current state, and the next diff is checked against both. A newer entry is never
        touched.
        """
        status: Status = "ok"
        error = None
        with locked(entry.directory, timeout=self.lock_timeout):
            entries = self.history(entry.audience_id, host=entry.host)
            for older in entries:
                if older.status == "pending" and older.entry_id < entry.entry_id:
                    self._save(replace(older, status="unconfirmed"))
            newer = [
                e.entry_id for e in entries if e.status == "ok" and e.entry_id > entry.entry_id
            ]
            if newer:
                status = "unconfirmed"
                error = (
                    f"CommBox answered 200 after it had confirmed the newer entry {newer[-1]}: "
                    "the audience holds the members of one of the two"
                )
            done = replace(
                self._load_entry(entry),
                status=status,
                error=error,
                upload=upload,
                completed_at=now_iso(),
            )
            self._save(done)
        log = logger.warning if newer else logger.info
        log("Ledger: audience %s entry %d %s", entry.audience_id, entry.entry_id, status)
        return done

    def unconfirm(self, entry: LedgerEntry, reason: str) -> LedgerEntry:
        """Mark an entry ``unconfirmed``: CommBox may have applied it (``reason`` says why)."""
        with locked(entry.directory, timeout=self.lock_timeout):
            done = replace(
                self._load_entry(entry),
                status="unconfirmed",
                error=reason,
                completed_at=now_iso(),
            )
            self._save(done)
        logger.warning(
            "Ledger: audience %s entry %d unconfirmed: %s",
            entry.audience_id,
            entry.entry_id,
            reason,
        )
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

    def _uncertain(
        self, unsure: list[LedgerEntry], current: FileMembers | frozenset[str]
    ) -> tuple[UncertainBasis, ...]:
        """What replacing with ``current`` removes from each upload the audience may hold."""
        removed_by_file: dict[tuple[str, str], tuple[int, int]] = {}  # same file, same counts
        found = []
        for entry in unsure:
            key = (entry.sha256, entry.mode)
            if key not in removed_by_file:
                hasher = self._hasher() if entry.mode == "hashes" else None
                diff = diff_members("", current, self.members(entry), rows=0, hasher=hasher)
                removed_by_file[key] = (diff.previous_members, diff.removed)
            members, removed = removed_by_file[key]
            found.append(UncertainBasis(entry.entry_id, entry.status, members, removed))
        return tuple(found)

    def _members_text(self, current: FileMembers) -> bytes:
        if self.mode == "phones":
            lines = current.lines()
        else:
            lines = sorted(map(self._hasher(), current.keys))
        return "".join(f"{line}\n" for line in lines).encode("utf-8")

    def _sibling(self, entry: LedgerEntry, suffix: str) -> Path:
        return entry.directory / f"{entry.entry_id:06d}{suffix}"

    def _load_entry(self, entry: LedgerEntry) -> LedgerEntry:
        return self._load(self._sibling(entry, ".json"))

    def _load(self, path: Path) -> LedgerEntry:
        content = read_bytes(path)
        try:
            data = check_stored(json.loads(content), number=int(path.stem), modes=LEDGER_MODES)
            return LedgerEntry(**data, directory=path.parent)
        except (ValueError, TypeError, RecursionError) as exc:  # ValueError: also undecodable
            raise _corrupt(path, str(exc)) from exc

    def _save(self, entry: LedgerEntry) -> None:
        data = asdict(entry)
        del data["directory"]
        text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
        atomic_write(self._sibling(entry, ".json"), text.encode("utf-8"))

    def _rotate(self, directory: Path) -> None:
        kept = [path for _, path in numbered_files(directory, KEPT_SUFFIXES)]
        total = sum(p.stat().st_size for p in kept)
        while kept and total > self.max_kept_bytes:
            oldest = kept.pop(0)
            total -= oldest.stat().st_size
            oldest.unlink()
            logger.info("Ledger: removed the kept file %s to stay under the size cap", oldest)


def _corrupt(path: Path, why: str) -> LedgerError:
    return LedgerError(
        f"The ledger file {path} is corrupt ({why}); move it aside to continue.", path=str(path)
    )

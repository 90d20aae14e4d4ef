"""The ledger's file plumbing: where it lives, locks, atomic private writes, safe names.

Every file is written to a temporary name, flushed to disk and renamed over its target, so a
crash leaves the old file or the new one, never half of one. Directories are created ``0700``
and files ``0600``: a ledger holds phone numbers. The ledger's own files are named by their
entry's number, ``000001.json`` and so on; any other name (``000001 copy.json``, a backup, an
editor's swap file) is not the ledger's and is ignored, never read, numbered or deleted.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import filelock
import platformdirs

from audience_prep._errors import LedgerError

__all__ = [
    "LEDGER_ENV",
    "atomic_write",
    "default_ledger_dir",
    "locked",
    "make_private_dir",
    "numbered_files",
    "read_bytes",
    "safe_name",
]

LEDGER_ENV = "AUDIENCE_PREP_LEDGER"
_SAFE = re.compile(r"[A-Za-z0-9_.\-]{1,80}")
_NUMBER = re.compile(r"[0-9]{6,}")  # ASCII digits: str.isdigit() also takes "٣"


def default_ledger_dir() -> Path:
    """``$AUDIENCE_PREP_LEDGER`` when set, else the per-user data directory's ``ledger``."""
    configured = os.environ.get(LEDGER_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    return platformdirs.user_data_path("audience_prep", appauthor=False) / "ledger"


def safe_name(value: str) -> str:
    """``value`` itself when it is a harmless file name, else a stable hash-based one."""
    if _SAFE.fullmatch(value) and value.strip(".") and not value.startswith("."):
        return value
    return "h-" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:24]


def numbered_files(directory: Path, suffixes: tuple[str, ...]) -> list[tuple[int, Path]]:
    """The ledger's files in ``directory`` with one of ``suffixes``, as (number, path), by number.

    A name counts only when it is exactly what the ledger writes for its number:
    ``f"{number:06d}{suffix}"``; every other file is ignored.
    """
    found = []
    for path in directory.glob("*"):
        stem, suffix = path.name.split(".", 1) if "." in path.name else (path.name, "")
        if f".{suffix}" in suffixes and _NUMBER.fullmatch(stem) and f"{int(stem):06d}" == stem:
            found.append((int(stem), path))
    return sorted(found)


def make_private_dir(path: Path) -> Path:
    """Create ``path`` (and its parents) readable by the owner only; return it."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    try:
        for directory in reversed(missing):  # each created here is private, not just the last
            directory.mkdir(mode=0o700, exist_ok=True)
    except OSError as exc:
        raise _io_error("create the ledger directory", path, exc) from exc
    return path


@contextmanager
def locked(directory: Path, *, timeout: float) -> Iterator[None]:
    """Hold the directory's lock file, waiting at most ``timeout`` seconds for it."""
    make_private_dir(directory)
    lock = filelock.FileLock(directory / ".lock", timeout=timeout, mode=0o600)
    try:
        lock.acquire()
    except filelock.Timeout as exc:
        raise LedgerError(
            f"The ledger at {directory} stayed locked for {timeout:g} s by another upload; "
            "try again when it has finished.",
            path=str(directory),
        ) from exc
    except OSError as exc:
        raise _io_error("lock", directory, exc) from exc
    try:
        yield
    finally:
        lock.release()


def atomic_write(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` all at once (temporary file, fsync, rename), mode 0600."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise _io_error("write", path, exc) from exc


def read_bytes(path: Path) -> bytes:
    """The bytes of a ledger file, or a ``LedgerError`` saying which file failed."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _io_error("read", path, exc) from exc


def _io_error(action: str, path: Path, exc: OSError) -> LedgerError:
    return LedgerError(
        f"Cannot {action} the ledger file {path}: {exc.strerror or exc}. Choose another "
        f"directory (ledger_dir=..., CLI --ledger DIR or {LEDGER_ENV}) or turn the ledger off "
        "(ledger=False, CLI --no-ledger).",
        path=str(path),
    )

"""Progress reporting: a plain callback, so the library never draws anything itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

#: ``progress(stage, done, total)``: ``total`` is None when unknown. Stages, in order:
#: ``"read"`` (bytes of a file), ``"normalize"``, ``"dedupe"``, ``"validate"``, ``"write"``
#: (rows). Each stage reports ``done == total`` when it ends.
ProgressCallback: TypeAlias = Callable[[str, int, "int | None"], None]

STAGES = ("read", "normalize", "dedupe", "validate", "write")
_CHUNK = 8 * 1024 * 1024


def ignore(_stage: str, _done: int, _total: int | None) -> None:
    """The default callback: report nothing."""


def read_with_progress(path: str, size: int, progress: ProgressCallback) -> bytes:
    """Read a file in chunks, reporting bytes read (the join costs one transient copy)."""
    chunks = []
    done = 0
    progress("read", 0, size)
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            chunks.append(chunk)
            done += len(chunk)
            progress("read", done, max(size, done))
    return b"".join(chunks)

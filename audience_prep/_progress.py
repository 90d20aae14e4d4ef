"""Progress reporting: a plain callback, so the library never draws anything itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

#: ``progress(stage, done, total)``: ``total`` is None when unknown. Stages, in order:
#: ``"read"`` (bytes of a file), ``"normalize"``, ``"dedupe"``, ``"validate"``, ``"write"``
#: (rows); a client reports ``"upload"`` (bytes sent). Each stage reports ``done == total`` at
#: its end.
ProgressCallback: TypeAlias = Callable[[str, int, "int | None"], None]


def ignore(_stage: str, _done: int, _total: int | None) -> None:
    """The default callback: report nothing."""

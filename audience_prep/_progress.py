"""Progress reporting: a plain callback, so the library never draws anything itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

#: ``progress(stage, done, total)``: ``total`` is None when unknown. Stages, in order:
#: ``"read"`` (bytes of a file), ``"normalize"``, ``"dedupe"``, ``"validate"``, ``"write"``
#: (rows). Each stage reports ``done == total`` when it ends.
ProgressCallback: TypeAlias = Callable[[str, int, "int | None"], None]

STAGES = ("read", "normalize", "dedupe", "validate", "write")


def ignore(_stage: str, _done: int, _total: int | None) -> None:
    """The default callback: report nothing."""

"""The ``audience-prep`` command line: the only part of the package that prints or exits."""

from __future__ import annotations

import audience_prep.cli._demo
import audience_prep.cli._explain
import audience_prep.cli._history
import audience_prep.cli._prepare
import audience_prep.cli._upload  # noqa: F401  (importing registers the commands)
from audience_prep.cli._common import cli


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="audience-prep")


__all__ = ["cli", "main"]

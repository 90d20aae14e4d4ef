"""The ``audience-prep`` command line: the only part of the package that prints or exits."""

from __future__ import annotations

import sys

import click

import audience_prep.cli._demo
import audience_prep.cli._explain
import audience_prep.cli._history
import audience_prep.cli._prepare
import audience_prep.cli._upload
import audience_prep.cli._validate  # noqa: F401  (importing registers the commands)
from audience_prep.cli._common import EXIT_INPUT, cli, error_document


def main() -> None:
    """Console-script entry point: click's own usage errors are one JSON object too with
    ``--json``."""
    try:
        cli.main(prog_name="audience-prep", standalone_mode=False)
    except click.exceptions.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        raise SystemExit(EXIT_INPUT) from None
    except click.ClickException as exc:
        if "--json" in sys.argv[1:]:
            click.echo(error_document(exc.format_message(), exc.exit_code, type(exc).__name__))
        exc.show()
        raise SystemExit(exc.exit_code) from None


__all__ = ["cli", "main"]

"""Shared CLI plumbing: the command group, exit codes and the one-line error handler."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from audience_prep import (
    AudiencePrepError,
    CommBoxError,
    ConfigurationError,
    ProgressCallback,
    __version__,
)

EXIT_OK = 0
EXIT_INPUT = 1
EXIT_USAGE = 2
EXIT_COMMBOX = 3

EXAMPLES = """\b
Examples:
  audience-prep prepare export.csv --region IL --output audience.csv
  audience-prep prepare export.xlsx --region US --sheet Contacts --json
  COMMBOX_API_TOKEN=... audience-prep upload export.csv --region IL --audience-id 312345
  audience-prep demo
"""


def exit_code_for(exc: AudiencePrepError) -> int:
    """Map a library error to the CLI's documented exit code."""
    if isinstance(exc, CommBoxError):
        return EXIT_COMMBOX
    if isinstance(exc, ConfigurationError):
        return EXIT_USAGE
    return EXIT_INPUT  # input, mapping, schema and guard errors: fix the input, then retry


def fail(message: str, code: int) -> NoReturn:
    """Print one error line on stderr and exit with ``code``."""
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(code)


@contextmanager
def handle_errors(debug: bool) -> Iterator[None]:
    """Turn library errors into one clear stderr line and an exit code (traceback with --debug)."""
    try:
        yield
    except AudiencePrepError as exc:
        if debug:
            raise
        fail(str(exc), exit_code_for(exc))


def configure_logging(verbose: bool) -> None:
    """Send library logs to stderr; quiet unless --verbose."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


@click.group(epilog=EXAMPLES, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="audience-prep")
def cli() -> None:
    """Prepare messy customer exports as validated CommBox audiences, and upload them safely."""


@contextmanager
def progress_display(enabled: bool) -> Iterator[ProgressCallback | None]:
    """A rich progress display on stderr for prepare()'s stages, when ``enabled`` and a terminal.

    Yields the callback to pass as ``progress=``, or None when nothing is shown.
    """
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    columns = (
        TextColumn("{task.description:<10}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: int, total: int | None) -> None:
            for other, task in tasks.items():
                if other != stage:
                    finished = bar.tasks[task].total or 1
                    bar.update(task, completed=finished, total=finished)
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update

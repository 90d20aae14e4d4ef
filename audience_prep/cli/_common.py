"""Shared CLI plumbing: the command group, exit codes and the one-line error handler."""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
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


def error_document(message: str, code: int, error_type: str) -> str:
    """The one JSON object ``--json`` prints for a failure."""
    error = {"type": error_type, "message": message, "exit_code": code}
    return json.dumps({"error": error}, ensure_ascii=False)


def fail(
    message: str, code: int, *, as_json: bool = False, error_type: str = "UsageError"
) -> NoReturn:
    """Print one error line on stderr (and, with ``--json``, the error object on stdout) and
    exit with ``code``."""
    if as_json:
        click.echo(error_document(message, code, error_type))
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(code)


@contextmanager
def handle_errors(debug: bool, *, as_json: bool = False) -> Iterator[None]:
    """Turn library errors into one clear stderr line and their exit code; ``--debug`` adds
    the traceback above it (the exit code stays the error's)."""
    try:
        yield
    except AudiencePrepError as exc:
        if debug:
            traceback.print_exc()
        fail(str(exc), exit_code_for(exc), as_json=as_json, error_type=type(exc).__name__)


def write_output(path: str, content: bytes, *, as_json: bool = False) -> None:
    """Write ``content`` to ``path``; a path that cannot be written is one error line (exit 2
    for a missing folder or no permission: fix the command; exit 1 otherwise, a full disk)."""
    try:
        Path(path).write_bytes(content)
    except OSError as exc:
        usage = isinstance(exc, FileNotFoundError | IsADirectoryError | NotADirectoryError)
        usage = usage or isinstance(exc, PermissionError)
        reason = exc.strerror or type(exc).__name__
        fail(
            f"cannot write {path}: {reason}.",
            EXIT_USAGE if usage else EXIT_INPUT,
            as_json=as_json,
            error_type="OutputError",
        )


def configure_logging(verbose: bool, debug: bool = False) -> None:
    """Send logs to stderr: warnings only; with --verbose the library's own debug records
    (each stage with its time and rows); with --debug every library's."""
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if verbose or debug:
        logging.getLogger("audience_prep").setLevel(logging.DEBUG)


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

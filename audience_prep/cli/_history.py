"""``audience-prep history`` and ``rollback``: read the ledger, re-upload a file it kept."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table

import audience_prep as ap
from audience_prep.cli import _upload
from audience_prep.cli._common import EXIT_INPUT, cli, configure_logging, fail, handle_errors
from audience_prep.cli._upload import (
    attempt_timeout_option,
    diff_text,
    ledger_dir_option,
    shrink_options,
)

if TYPE_CHECKING:
    from audience_prep import LedgerEntry, UploadReport

HISTORY_EXAMPLES = """\b
Examples:
  audience-prep history 312345
  audience-prep history 312345 --json --ledger ./ledger
  audience-prep history 312345 --base-url localhost:8765   # any spelling of the host
  audience-prep rollback 312345 --dry-run      # what going back one upload would change
  audience-prep rollback 312345 --to 3 --yes   # re-upload the file entry 3 kept
"""
BASE_URL_HELP = "CommBox API base URL  [env COMMBOX_API_URL; default https://api.commbox.io/]"


@cli.command("history", epilog=HISTORY_EXAMPLES)
@click.argument("audience_id")
@click.option("--base-url", envvar="COMMBOX_API_URL", help=BASE_URL_HELP)
@ledger_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def history_command(
    audience_id: str, base_url: str | None, ledger_dir: str | None, as_json: bool, debug: bool
) -> None:
    """List the ledger's entries for AUDIENCE_ID: every upload, oldest first.

    Each entry shows its status (ok, failed, pending: never confirmed, unconfirmed), when,
    the rows, what it added and removed, and whether its file is kept for a rollback.
    """
    with handle_errors(debug, as_json=as_json):
        host = ap.Ledger.host_key(base_url or ap.CommBoxClient.DEFAULT_BASE_URL)
        ledger = ap.Ledger(ledger_dir)
        entries = ledger.history(audience_id, host=host)
    if as_json:
        document = {
            "audience_id": audience_id,
            "host": host,
            "ledger": str(ledger.path),
            "entries": [entry.to_dict() for entry in entries],
        }
        click.echo(json.dumps(document, ensure_ascii=False))
        return
    console = Console()
    if not entries:
        console.print(f"The ledger at {ledger.path} holds no upload of audience {audience_id} "
                      f"at {host}.")  # fmt: skip
        return
    console.print(history_table(audience_id, host, entries))
    pending = [str(e.entry_id) for e in entries if e.status == "pending"]
    if pending:
        console.print(
            f"[yellow]Warning[/]: entry {', '.join(pending)} was never confirmed (a crash, or "
            "an upload still running); the audience may or may not hold it."
        )


def history_table(audience_id: str, host: str, entries: list[LedgerEntry]) -> Table:
    """The entries as a table, oldest first."""
    table = Table(title=f"Audience {audience_id} at {host}")
    for name in ("entry", "status", "when", "operation", "rows", "added", "removed", "file"):
        table.add_column(name, justify="right" if name in ("rows", "added", "removed") else "left")
    for entry in entries:
        diff = entry.diff or {}
        first = diff.get("first_upload", False)
        operation = entry.operation
        if entry.rollback_of is not None:
            operation += f" to {entry.rollback_of}"
        table.add_row(
            str(entry.entry_id),
            entry.status,
            entry.completed_at or entry.created_at,
            operation,
            str(entry.rows),
            "" if not diff or first else f"+{diff['added']}",
            "" if not diff or first else f"-{diff['removed']}",
            "kept" if entry.file_kept else "",
        )
    return table


@cli.command("rollback", epilog=HISTORY_EXAMPLES)
@click.argument("audience_id")
@click.option("--to", "to", type=click.IntRange(1), help="Entry to go back to (see history).")
@click.option("--base-url", envvar="COMMBOX_API_URL", help=BASE_URL_HELP)
@click.option(
    "--dry-run", is_flag=True, help="Show what would change; send nothing (no token needed)."
)
@shrink_options
@ledger_dir_option
@attempt_timeout_option
@click.option("--yes", "-y", is_flag=True, help="Roll back without asking.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--verbose", "-v", is_flag=True, help="Log progress to stderr.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def rollback_command(
    audience_id: str,
    to: int | None,
    dry_run: bool,
    yes: bool,
    as_json: bool,
    verbose: bool,
    debug: bool,
    **options: Any,
) -> None:
    """Replace AUDIENCE_ID with the file an earlier ledger entry kept.

    Without --to, the newest successful upload that differs from the current one. The same
    guards as upload apply (--allow-shrink to pass them) and, unless --yes, what will be added
    and removed is shown and you are asked first. The kept file is validated again before it
    is sent. The API token is read only when something will be sent: --dry-run needs none.
    """
    configure_logging(verbose, debug)
    confirm = not (yes or dry_run)
    if confirm and not _upload.stdin_is_terminal():
        fail(
            f"Refusing to roll back audience {audience_id} without confirmation: no terminal "
            "is attached. Pass --yes to confirm (or --dry-run to look first).",
            EXIT_INPUT,
            as_json=as_json,
        )
    with handle_errors(debug, as_json=as_json):
        report = _rollback(audience_id, to, dry_run=dry_run, confirm=confirm, **options)
    if as_json:
        click.echo(json.dumps({"upload": report.to_dict()}, ensure_ascii=False))
        return
    console = Console()
    console.print(_upload.upload_table(report))
    console.print(diff_text(report.diff, report.audience_id))
    done = "Would roll back" if report.dry_run else "[green]Rolled back[/]"
    console.print(
        f"{done} audience {report.audience_id} to entry {report.rollback_of} "
        f"({report.rows_uploaded} rows)" + ("; nothing was sent." if report.dry_run else ".")
    )


def _rollback(
    audience_id: str,
    to: int | None,
    *,
    dry_run: bool,
    confirm: bool,
    base_url: str | None,
    ledger_dir: str | None,
    attempt_timeout: float | None,
    **guards: Any,
) -> UploadReport:
    client = ap.CommBoxClient(
        token=_upload.token_for(dry_run),
        base_url=base_url,
        ledger=ap.Ledger(ledger_dir),
        attempt_timeout=attempt_timeout,
    )
    with client:
        if confirm:  # the guards run before anyone is asked anything
            planned = client.rollback(audience_id, to=to, dry_run=True, **guards)
            console = Console(stderr=True)
            console.print(
                f"About to replace [bold]every member[/] of audience {audience_id} at "
                f"{client.base_url} with the {planned.rows_uploaded} rows of ledger entry "
                f"{planned.rollback_of}."
            )
            console.print(diff_text(planned.diff, audience_id))
            question = f"Roll audience {audience_id} back to entry {planned.rollback_of}?"
            if not click.confirm(question, default=False, err=True):
                fail(f"Not confirmed; audience {audience_id} was not changed.", EXIT_INPUT)
        return client.rollback(audience_id, to=to, dry_run=dry_run, **guards)

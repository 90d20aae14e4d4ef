"""``audience-prep upload``, ``emulator`` and ``demo``: prepare, guard, confirm, replace.

The token comes from ``COMMBOX_API_TOKEN`` (or a hidden prompt on a terminal), never from the
command line, and is never printed.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import sys
from collections.abc import Callable
from importlib.resources import as_file, files
from typing import TYPE_CHECKING, Any

import click
import httpx
from rich.console import Console
from rich.table import Table

from audience_prep._client import CommBoxClient, UploadReport
from audience_prep._errors import ConfigurationError
from audience_prep._ledger import Ledger, LedgerMode
from audience_prep._ledger_diff import ReplacementDiff
from audience_prep.cli._common import (
    EXIT_INPUT,
    EXIT_USAGE,
    cli,
    configure_logging,
    fail,
    handle_errors,
    progress_display,
)
from audience_prep.cli._prepare import common_flags, prepare_options, render_report, run_prepare

if TYPE_CHECKING:
    from audience_prep._pipeline import Prepared
    from audience_prep.emulator import CommBoxEmulator

UPLOAD_EXAMPLES = """\b
Examples:
  export COMMBOX_API_TOKEN=...   # from the CommBox management console
  audience-prep upload export.csv --region IL --audience-id 312345 --dry-run
  audience-prep upload export.csv --region IL --audience-id 312345 --yes --json
  audience-prep upload export.csv --region IL --audience-id 312345 \\
      --base-url http://127.0.0.1:8765/   # an `audience-prep emulator`
  audience-prep upload filtered.csv --region IL --audience-id 312345 --allow-shrink
"""
TOKEN_ENV = "COMMBOX_API_TOKEN"
SHOWN_MEMBERS = 30
SHOWN_COLUMNS = 4


def stdin_is_terminal() -> bool:
    """Whether a person can answer a prompt (a seam tests replace to act as a terminal)."""
    return sys.stdin.isatty()


ledger_dir_option = click.option(
    "--ledger",
    "ledger_dir",
    envvar="AUDIENCE_PREP_LEDGER",
    type=click.Path(file_okay=False),
    help="Ledger directory  [env AUDIENCE_PREP_LEDGER; default: per-user data dir]",
)


def ledger_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--ledger DIR, --no-ledger and --ledger-mode."""
    options = [
        ledger_dir_option,
        click.option("--no-ledger", is_flag=True, help="Record nothing; no diff, no shrink guard."),
        click.option(
            "--ledger-mode",
            type=click.Choice(["phones", "hashes"]),
            default="phones",
            show_default=True,
            help="hashes: store salted hashes of the phones and no file copies (no rollback).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def make_ledger(ledger_dir: str | None, no_ledger: bool, ledger_mode: str) -> Ledger | bool:
    """The client's ``ledger=`` for the ledger flags."""
    if no_ledger:
        return False
    mode: LedgerMode = "hashes" if ledger_mode == "hashes" else "phones"
    return Ledger(ledger_dir, mode=mode)


def shrink_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--max-removed-share, --min-rows and --allow-shrink."""
    options = [
        click.option(
            "--max-removed-share",
            type=click.FloatRange(0.0, 1.0),
            default=0.3,
            show_default=True,
            help="Refuse when a larger share of the previous members would be removed.",
        ),
        click.option(
            "--min-rows",
            type=click.IntRange(0),
            default=0,
            show_default=True,
            help="Refuse an audience with fewer rows.",
        ),
        click.option(
            "--allow-shrink",
            is_flag=True,
            help="Replace even past --max-removed-share or --min-rows (--yes does not).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _token() -> str:
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:
        return token
    if stdin_is_terminal():
        prompted: str = click.prompt("CommBox API token", hide_input=True, err=True)
        return prompted.strip()
    raise ConfigurationError(
        f"No CommBox API token: set {TOKEN_ENV} (a key from the CommBox management console)."
    )


@cli.command("upload", epilog=UPLOAD_EXAMPLES)
@prepare_options
@click.option("--audience-id", required=True, help="The static audience to replace.")
@click.option(
    "--base-url",
    envvar="COMMBOX_API_URL",
    help="CommBox API base URL  [env COMMBOX_API_URL; default https://api.commbox.io/]",
)
@click.option("--dry-run", is_flag=True, help="Prepare and check everything; send nothing.")
@click.option("--allow-empty", is_flag=True, help="Allow replacing the audience with 0 rows.")
@click.option(
    "--max-rejected-share",
    type=click.FloatRange(0.0, 1.0),
    default=0.5,
    show_default=True,
    help="Refuse when a larger share of the input rows was rejected.",
)
@shrink_options
@ledger_options
@click.option("--yes", "-y", is_flag=True, help="Replace without asking.")
@click.option("--quiet", "-q", is_flag=True, help="No progress display.")
@common_flags
def upload_command(
    input_path: str,
    audience_id: str,
    base_url: str | None,
    dry_run: bool,
    allow_empty: bool,
    max_rejected_share: float,
    max_removed_share: float,
    min_rows: int,
    allow_shrink: bool,
    ledger_dir: str | None,
    no_ledger: bool,
    ledger_mode: str,
    yes: bool,
    quiet: bool,
    as_json: bool,
    verbose: bool,
    debug: bool,
    **options: Any,
) -> None:
    """Prepare INPUT and replace every member of a CommBox static audience with it.

    Every previous member of the audience is removed. The ledger compares INPUT with the last
    upload to this audience and refuses to remove more than --max-removed-share of its
    members unless --allow-shrink. Unless --yes, what will be added and removed is shown and
    you are asked first; without a terminal, --yes is required. The API token is read from
    COMMBOX_API_TOKEN (or asked for, hidden, on a terminal).
    """
    configure_logging(verbose)
    confirm = not (yes or dry_run)
    if confirm and not stdin_is_terminal():
        fail(
            f"Refusing to replace audience {audience_id} without confirmation: no terminal is "
            "attached. Pass --yes to confirm (or --dry-run to check without uploading).",
            EXIT_INPUT,
        )
    with handle_errors(debug):
        token = _token()
        show_progress = not (quiet or as_json)
        with progress_display(show_progress) as progress:
            prepared = run_prepare(input_path, progress=progress, **options)
        ledger = make_ledger(ledger_dir, no_ledger, ledger_mode)
        with CommBoxClient(token=token, base_url=base_url, ledger=ledger) as client:
            upload = functools.partial(
                client.replace_audience,
                audience_id,
                prepared,
                allow_empty=allow_empty,
                max_rejected_share=max_rejected_share,
                max_removed_share=max_removed_share,
                min_rows=min_rows,
                allow_shrink=allow_shrink,
            )
            if confirm:  # the guards run before anyone is asked anything
                _confirm(prepared, upload(dry_run=True), client.base_url)
            with progress_display(show_progress) as progress:
                client.progress = progress
                report = upload(dry_run=dry_run)
    _print_result(prepared, report, as_json=as_json)


def _print_result(prepared: Prepared, report: UploadReport, *, as_json: bool) -> None:
    """Exactly one JSON object on stdout, or the human summary."""
    if as_json:
        payload = {"prepare": prepared.report.to_dict(), "upload": report.to_dict()}
        click.echo(json.dumps(payload, ensure_ascii=False))
        return
    console = Console()
    render_report(prepared, console)
    console.print(upload_table(report))
    console.print(diff_text(report.diff, report.audience_id))
    console.print(_outcome(report))


def _confirm(prepared: Prepared, planned: UploadReport, base_url: str) -> None:
    """Show what is about to happen on stderr and ask; exit 1 unless the answer is yes."""
    report = prepared.report
    console = Console(stderr=True)
    console.print(
        f"About to replace [bold]every member[/] of audience [bold]{planned.audience_id}[/] "
        f"at {base_url} with [green]{planned.rows_uploaded}[/] rows "
        f"({report.rows_read} read, [red]{report.rows_rejected}[/] rejected)."
    )
    console.print(diff_text(planned.diff, planned.audience_id))
    question = f"Replace audience {planned.audience_id} with {planned.rows_uploaded} rows?"
    if not click.confirm(question, default=False, err=True):
        fail(f"Not confirmed; audience {planned.audience_id} was not changed.", EXIT_INPUT)


def upload_table(report: UploadReport) -> Table:
    """The upload report as a two-column table."""
    table = Table(title="Upload", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    for key, value in report.to_dict().items():
        if key != "diff":
            table.add_row(key, "" if value is None else str(value))
    return table


def diff_text(diff: ReplacementDiff | None, audience_id: str | None) -> str:
    """What a replacement adds and removes, in one or two lines of rich markup."""
    if diff is None:
        return "[yellow]No ledger[/]: what this replacement removes is unknown."
    if diff.first_upload:
        text = (
            f"First upload to audience {audience_id} in the ledger: nothing to compare with "
            f"({diff.members} members)."
        )
    else:
        text = (
            f"Against ledger entry {diff.previous_entry} ({diff.previous_at}, "
            f"{diff.previous_members} members): [green]+{diff.added} added[/], "
            f"[red]-{diff.removed} removed[/] ({diff.removed_share:.1%}), {diff.kept} kept."
        )
    if diff.pending_entries:
        entries = ", ".join(map(str, diff.pending_entries))
        text += (
            f"\n[yellow]Warning[/]: upload(s) {entries} to this audience were never confirmed "
            "(a crash, or still running elsewhere); the audience may hold them."
        )
    return text


def _outcome(report: UploadReport) -> str:
    if report.dry_run:
        return (
            f"[yellow]Dry run[/]: audience {report.audience_id} would get "
            f"{report.rows_uploaded} rows; nothing was sent."
        )
    return (
        f"[green]Replaced[/] audience {report.audience_id} with {report.rows_uploaded} rows "
        f"(HTTP {report.status_code}, {report.attempts} attempt(s), {report.elapsed_s:.2f} s)."
    )


def _load_emulator() -> type[CommBoxEmulator]:
    try:
        from audience_prep.emulator import CommBoxEmulator
    except ImportError as exc:
        fail(
            f"The emulator needs its extra ({exc.name} is missing): "
            "pip install 'audience_prep[emulator]'",
            EXIT_USAGE,
        )
    return CommBoxEmulator


EMULATOR_EXAMPLES = """\b
Examples:
  audience-prep emulator --port 8765 --token dev-token
  COMMBOX_API_URL=http://127.0.0.1:8765 COMMBOX_API_TOKEN=dev-token \\
    audience-prep upload export.csv --region IL --audience-id 312345 --yes
"""
DEMO_EXAMPLES = """\b
Examples:
  audience-prep demo
  make demo
"""


@cli.command("emulator", epilog=EMULATOR_EXAMPLES)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option("--token", help="Bearer token to accept (random when omitted).")
@click.option("--verbose", "-v", is_flag=True, help="Log every request to stderr.")
def emulator_command(host: str, port: int, token: str | None, verbose: bool) -> None:
    """Serve a local CommBox emulator until Ctrl+C (for tests and trying uploads safely)."""
    configure_logging(verbose)
    emulator = _load_emulator()(
        host=host, port=port, token=token, log_level="info" if verbose else "warning"
    )

    def ready(url: str) -> None:
        click.echo(f"CommBox emulator listening on {url} (Ctrl+C to stop)")
        click.echo(f"COMMBOX_API_URL={url}")
        click.echo(f"COMMBOX_API_TOKEN={emulator.token}")

    try:
        emulator.serve_forever(ready=ready)
    except OSError as exc:
        fail(f"Cannot listen on {host}:{port}: {exc.strerror or exc}", EXIT_USAGE)
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl+C it handled, after a clean stop
        click.echo("CommBox emulator stopped.", err=True)


DEMO_AUDIENCE = "312345"
DEMO_OLD_MEMBERS = [
    {"phone1": "+972501111111", "email": "old.one@example.com", "full_name": "Old Member One"},
    {"phone1": "+972502222222", "email": "old.two@example.com", "full_name": "Old Member Two"},
    {"phone1": "+972503333333", "email": "gone@example.com", "full_name": "Long Gone"},
]


@cli.command("demo", epilog=DEMO_EXAMPLES)
@click.option("--verbose", "-v", is_flag=True, help="Log progress to stderr.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def demo_command(verbose: bool, debug: bool) -> None:
    """Prepare the bundled messy export and replace an audience on a local emulator.

    Shows what was kept and rejected, the upload report, and the members before and after;
    exits 1 if the emulator does not hold exactly the uploaded rows.
    """
    configure_logging(verbose)
    console = Console()
    with handle_errors(debug), _load_emulator()() as emulator:
        emulator.state.add_audience(DEMO_AUDIENCE, name="Spring campaign", rows=DEMO_OLD_MEMBERS)
        before = _members(emulator.url, DEMO_AUDIENCE)
        sample = files("audience_prep").joinpath("data", "sample_export.csv")
        with as_file(sample) as path:
            prepared = run_prepare(str(path), region="IL")
        with CommBoxClient(token=emulator.token, base_url=emulator.url) as client:
            report = client.replace_audience(DEMO_AUDIENCE, prepared)
        after = _members(emulator.url, DEMO_AUDIENCE)
    console.rule("1. Prepare the bundled messy export (region IL)")
    render_report(prepared, console)
    console.rule(f"2. Replace audience {DEMO_AUDIENCE} on the local CommBox emulator")
    console.print(upload_table(report))
    console.rule("3. Read the audience back")
    console.print(members_table(f"Audience {DEMO_AUDIENCE} before", before))
    console.print(members_table(f"Audience {DEMO_AUDIENCE} after", after))
    expected = list(csv.DictReader(io.StringIO(prepared.to_csv().decode("utf-8"), newline="")))
    if after != expected:
        fail(
            f"The emulator holds {len(after)} rows, not exactly the {len(expected)} uploaded.",
            EXIT_INPUT,
        )
    console.print(
        f"[green]OK[/]: audience {DEMO_AUDIENCE} holds exactly the {len(after)} uploaded rows; "
        f"its {len(before)} previous members are gone."
    )


def _members(base_url: str, audience_id: str) -> list[dict[str, str]]:
    """Read an audience back through the emulator's HTTP read endpoint."""
    response = httpx.get(f"{base_url}_emulator/audiences/{audience_id}")
    response.raise_for_status()
    rows: list[dict[str, str]] = response.json()["rows"]
    return rows


def members_table(title: str, rows: list[dict[str, str]]) -> Table:
    """Audience members as a table: the first columns and rows only."""
    table = Table(title=f"{title} ({len(rows)} members)")
    columns = (list(rows[0]) if rows else ["phone1"])[:SHOWN_COLUMNS]
    for column in columns:
        table.add_column(column, no_wrap=column == "phone1", overflow="fold")
    for row in rows[:SHOWN_MEMBERS]:
        table.add_row(*(row.get(column, "") for column in columns))
    if len(rows) > SHOWN_MEMBERS:
        table.caption = f"… and {len(rows) - SHOWN_MEMBERS} more"
    return table

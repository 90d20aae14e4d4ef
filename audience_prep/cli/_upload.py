"""``audience-prep upload``: prepare (or validate) a file, guard, confirm, replace.

The token comes from ``COMMBOX_API_TOKEN`` (or a hidden prompt on a terminal), never from the
command line, and is never printed; a dry run neither reads nor asks for it.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import click
from click.core import ParameterSource
from rich.console import Console
from rich.markup import escape
from rich.table import Table

import audience_prep as ap
from audience_prep import ConfigurationError, LedgerMode
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
    from audience_prep import Ledger, Prepared, ReplacementDiff, UploadReport

UPLOAD_EXAMPLES = """\b
Examples:
  export COMMBOX_API_TOKEN=...   # from the CommBox management console
  audience-prep upload export.csv --region IL --audience-id 312345 --dry-run
  audience-prep upload export.csv --region IL --audience-id 312345 --yes --json
  audience-prep upload export.csv --region IL --audience-id 312345 \\
      --base-url http://127.0.0.1:8765/   # an `audience-prep emulator`
  audience-prep upload filtered.csv --region IL --audience-id 312345 --allow-shrink
  audience-prep upload --file audience.csv --audience-id 312345 --yes   # validated, as it is
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
            type=click.Choice(get_args(LedgerMode)),
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
    return ap.Ledger(ledger_dir, mode=mode)


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
            help="Refuse an audience with fewer members (distinct phone1 values).",
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


attempt_timeout_option = click.option(
    "--attempt-timeout",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="The most one attempt may take, from connecting to the last byte of the answer "
    "(a slow server is retried)  [default: 120]",
)


def token_for(dry_run: bool) -> str:
    """The token for a command; a dry run sends nothing, so it reads and asks for none."""
    return "" if dry_run else _token()  # "": no token, and the client reads none either


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


def _input_optional(command: click.Command) -> click.Command:
    """INPUT may be left out when --file names the file to upload instead."""
    for param in command.params:
        if param.name == "input_path":
            param.required = False
            param.metavar = "[INPUT]"
    return command


@_input_optional
@cli.command("upload", epilog=UPLOAD_EXAMPLES)
@prepare_options
@click.option(
    "--file",
    "file_path",
    type=click.Path(dir_okay=False),
    metavar="PATH",
    help="Upload this audience file (.csv or .xlsx) as it is instead of preparing INPUT; it "
    "is validated first (as `audience-prep validate` does) and refused when it fails.",
)
@click.option("--audience-id", required=True, help="The static audience to replace.")
@click.option(
    "--base-url",
    envvar="COMMBOX_API_URL",
    help="CommBox API base URL  [env COMMBOX_API_URL; default https://api.commbox.io/]",
)
@click.option("--dry-run", is_flag=True, help="Check everything; send nothing (no token needed).")
@click.option("--allow-empty", is_flag=True, help="Allow replacing the audience with 0 members.")
@click.option(
    "--max-rejected-share",
    type=click.FloatRange(0.0, 1.0),
    default=0.5,
    show_default=True,
    help="Refuse when a larger share of the input rows was rejected.",
)
@shrink_options
@ledger_options
@attempt_timeout_option
@click.option("--yes", "-y", is_flag=True, help="Replace without asking.")
@click.option("--quiet", "-q", is_flag=True, help="No progress display.")
@common_flags
@click.pass_context
def upload_command(
    ctx: click.Context,
    /,
    input_path: str | None,
    file_path: str | None,
    audience_id: str,
    base_url: str | None,
    dry_run: bool,
    ledger_dir: str | None,
    no_ledger: bool,
    ledger_mode: str,
    attempt_timeout: float | None,
    yes: bool,
    quiet: bool,
    as_json: bool,
    verbose: bool,
    debug: bool,
    **options: Any,
) -> None:
    """Prepare INPUT (or validate --file PATH) and replace every member of a CommBox static
    audience with it.

    Every previous member of the audience is removed. INPUT is an export to prepare; --file
    PATH is an audience file to upload as it is, validated first (phone1 in one form, E.164 or
    digits) and refused, listing its failures, when it is not compliant. The ledger compares
    the file with the last upload to this audience and refuses to remove more than
    --max-removed-share of its members unless --allow-shrink. Unless --yes, what will be sent
    is shown first (the mapping, the rejects by reason, what will be added and removed, any
    guard given other than its default) and you are asked; without a terminal, --yes is
    required. The
    API token is read from COMMBOX_API_TOKEN (or asked for, hidden, on a terminal) only when
    something will be sent: --dry-run needs none.
    """
    configure_logging(verbose, debug)
    guards = {k: options.pop(k) for k in _GUARD_OPTIONS}
    _check_source(ctx, input_path, file_path, options, as_json=as_json)
    confirm = not (yes or dry_run)
    if confirm and not stdin_is_terminal():
        fail(
            f"Refusing to replace audience {audience_id} without confirmation: no terminal is "
            "attached. Pass --yes to confirm (or --dry-run to check without uploading).",
            EXIT_INPUT,
            as_json=as_json,
        )
    show_progress = not (quiet or as_json)
    with handle_errors(debug, as_json=as_json):
        token = token_for(dry_run)
        prepared = None
        if input_path is not None:
            with progress_display(show_progress) as progress:
                prepared = run_prepare(input_path, progress=progress, **options)
        data: Prepared | Path = prepared if prepared is not None else Path(str(file_path))
        ledger = make_ledger(ledger_dir, no_ledger, ledger_mode)
        client = ap.CommBoxClient(
            token=token, base_url=base_url, ledger=ledger, attempt_timeout=attempt_timeout
        )
        with client:
            upload = functools.partial(client.replace_audience, audience_id, data, **guards)
            if confirm:  # the validation and the guards run before anyone is asked anything
                _confirm(prepared, upload(dry_run=True), client.base_url, ctx.command, guards)
            with progress_display(show_progress) as progress:
                client.progress = progress
                report = upload(dry_run=dry_run)
    _print_result(prepared, report, as_json=as_json, shown=confirm)


_GUARD_OPTIONS = (
    "allow_empty",
    "max_rejected_share",
    "max_removed_share",
    "min_rows",
    "allow_shrink",
)
#: What each guard option means when given other than its default, for the confirmation.
_GUARD_OVERRIDES: dict[str, str] = {
    "allow_empty": "--allow-empty: an audience of zero members is allowed",
    "allow_shrink": "--allow-shrink: the shrink guard is off",
    "max_rejected_share": "--max-rejected-share {value} (default {default})",
    "max_removed_share": "--max-removed-share {value} (default {default})",
    "min_rows": "--min-rows {value} (default {default})",
}


def overridden_guards(command: click.Command, guards: dict[str, Any]) -> list[str]:
    """The guard options given other than the command's defaults, as the confirmation says
    them."""
    defaults = {param.name: param.default for param in command.params}
    return [
        text.format(value=guards[name], default=defaults[name])
        for name, text in _GUARD_OVERRIDES.items()
        if name in guards and guards[name] != defaults[name]
    ]


def _check_source(
    ctx: click.Context,
    input_path: str | None,
    file_path: str | None,
    options: dict[str, Any],
    *,
    as_json: bool,
) -> None:
    """Exactly one of INPUT and --file; no prepare option with --file (exit 2 otherwise)."""
    if input_path is not None and file_path is not None:
        fail(
            "Pass either INPUT (an export to prepare) or --file PATH (an audience file to "
            "upload as it is), not both.",
            EXIT_USAGE,
            as_json=as_json,
        )
    if input_path is None and file_path is None:
        fail(
            "Missing INPUT: pass an export to prepare, or --file PATH for an audience file to "
            "upload as it is.",
            EXIT_USAGE,
            as_json=as_json,
        )
    if file_path is None:
        return
    flags = {param.name: param.opts[0] for param in ctx.command.params}
    given = [
        flags[name]
        for name in options
        if ctx.get_parameter_source(name)
        in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)
    ]
    if given:
        one = len(given) == 1
        fail(
            f"{', '.join(given)} {'is an option' if one else 'are options'} for preparing "
            "INPUT; --file uploads its file as it is (in its own phone1 form). Drop "
            f"{'it' if one else 'them'}, or pass the export as INPUT instead.",
            EXIT_USAGE,
            as_json=as_json,
        )


def _print_result(
    prepared: Prepared | None, report: UploadReport, *, as_json: bool, shown: bool = False
) -> None:
    """Exactly one JSON object on stdout, or the human summary (``prepare`` is null for
    --file); ``shown``: the confirmation already showed the mapping and the rejects."""
    if as_json:
        summary = None if prepared is None else prepared.report.to_dict()
        payload = {"prepare": summary, "upload": report.to_dict()}
        click.echo(json.dumps(payload, ensure_ascii=False))
        return
    console = Console()
    if prepared is not None and not shown:
        render_report(prepared, console)
    console.print(upload_table(report))
    console.print(diff_text(report.diff, report.audience_id))
    console.print(_outcome(report))


def _confirm(
    prepared: Prepared | None,
    planned: UploadReport,
    base_url: str,
    command: click.Command,
    guards: dict[str, Any],
) -> None:
    """Show what is about to be sent on stderr (the mapping, the rejects by reason, the diff,
    the guards given other than their defaults) and ask; exit 1 unless the answer is yes."""
    console = Console(stderr=True)
    if prepared is None:
        detail = f"{planned.members_uploaded} members, a file validated as it is"
    else:
        render_report(prepared, console)
        report = prepared.report
        detail = f"{report.rows_read} read, [red]{report.rows_rejected}[/] rejected"
    console.print(
        f"About to replace [bold]every member[/] of audience [bold]{planned.audience_id}[/] "
        f"at {base_url} with [green]{planned.rows_uploaded}[/] rows ({detail})."
    )
    console.print(diff_text(planned.diff, planned.audience_id))
    for override in overridden_guards(command, guards):
        console.print(f"[yellow]Guard overridden[/]: {override}")
    question = f"Replace audience {planned.audience_id} with {planned.rows_uploaded} rows?"
    if not click.confirm(question, default=False, err=True):
        fail(f"Not confirmed; audience {planned.audience_id} was not changed.", EXIT_INPUT)


def upload_table(report: UploadReport) -> Table:
    """The upload report as a two-column table."""
    table = Table(title="Upload", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    fields = report.to_dict()
    members = {"members_uploaded": fields.pop("members_uploaded")}
    at = list(fields).index("rows_uploaded") + 1  # members right after the rows
    ordered = [*list(fields.items())[:at], *members.items(), *list(fields.items())[at:]]
    for key, value in ordered:
        if key != "diff" and value is not None:
            shown = (
                f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value
            )
            table.add_row(key, escape(str(shown)))
    return table


def diff_text(diff: ReplacementDiff | None, audience_id: str | None) -> str:
    """What a replacement adds and removes, in one or two lines of rich markup."""
    if diff is None:
        return "[yellow]No ledger[/]: what this replacement removes is unknown."
    if diff.first_upload:
        text = (
            f"First upload to audience {audience_id} in the ledger: [green]+{diff.added} "
            "added[/]; what it removes is [yellow]unknown[/] (the members the audience held "
            "before are not known)."
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
        f"({report.members_uploaded} members; HTTP {report.status_code}, {report.attempts} "
        f"attempt(s), {report.elapsed_s:.2f} s)."
    )

"""``audience-prep emulator`` and ``audience-prep demo``: the local CommBox emulator."""

from __future__ import annotations

import csv
import io
from importlib.resources import as_file, files
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

import audience_prep as ap
from audience_prep.cli._common import (
    EXIT_INPUT,
    EXIT_USAGE,
    cli,
    configure_logging,
    fail,
    handle_errors,
)
from audience_prep.cli._prepare import render_report, run_prepare
from audience_prep.cli._upload import upload_table

if TYPE_CHECKING:
    from audience_prep.emulator import CommBoxEmulator

SHOWN_MEMBERS = 30
SHOWN_COLUMNS = 4


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
  audience-prep emulator --port 8765 --token dev-token --audience 312345
  COMMBOX_API_URL=http://127.0.0.1:8765 COMMBOX_API_TOKEN=dev-token \\
    audience-prep upload export.csv --region IL --audience-id 312345 --yes
  curl -X POST http://127.0.0.1:8765/_emulator/audiences -d '{"id": "77", "dynamic": true}'
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
@click.option(
    "--audience",
    "audiences",
    multiple=True,
    metavar="ID[:dynamic]",
    help="Start with this (empty) static audience, or a dynamic one; repeatable.",
)
@click.option("--verbose", "-v", is_flag=True, help="Log every request to stderr.")
def emulator_command(
    host: str, port: int, token: str | None, audiences: tuple[str, ...], verbose: bool
) -> None:
    """Serve a local CommBox emulator until Ctrl+C (for tests and trying uploads safely).

    It starts with the audiences given by --audience (none by default); more can be seeded
    while it runs with POST /_emulator/audiences {"id", "name", "dynamic", "rows"}, and read
    back with GET /_emulator/audiences/ID.
    """
    configure_logging(verbose)
    seeds = [_audience_option(value) for value in audiences]
    emulator = _load_emulator()(
        host=host, port=port, token=token, log_level="info" if verbose else "warning"
    )
    for audience_id, dynamic in seeds:
        emulator.state.add_audience(audience_id, dynamic=dynamic)

    def ready(url: str) -> None:
        click.echo(f"CommBox emulator listening on {url} (Ctrl+C to stop)")
        click.echo(f"COMMBOX_API_URL={url}")
        click.echo(f"COMMBOX_API_TOKEN={emulator.token}")
        for audience_id, dynamic in seeds:
            click.echo(f"audience {audience_id} ({'dynamic' if dynamic else 'static'}, empty)")

    try:
        emulator.serve_forever(ready=ready)
    except OSError as exc:
        fail(f"Cannot listen on {host}:{port}: {exc.strerror or exc}", EXIT_USAGE)
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl+C it handled, after a clean stop
        click.echo("CommBox emulator stopped.", err=True)


def _audience_option(value: str) -> tuple[str, bool]:
    """``ID`` or ``ID:dynamic`` (or ``ID:static``) from --audience."""
    audience_id, _, kind = value.strip().partition(":")
    if not audience_id or kind not in ("", "static", "dynamic"):
        fail(f"--audience {value!r}: write ID or ID:dynamic, e.g. 312345:dynamic.", EXIT_USAGE)
    return audience_id, kind == "dynamic"


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
        # A throwaway emulator audience: nothing to record in the user's ledger.
        with ap.CommBoxClient(token=emulator.token, base_url=emulator.url, ledger=False) as client:
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
    import httpx  # only the demo reads the emulator back

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

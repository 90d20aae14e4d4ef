"""``audience-prep validate``: judge an audience file as CommBox will receive it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

import audience_prep as ap
from audience_prep import PhoneFormat
from audience_prep.cli._common import (
    EXIT_INPUT,
    EXIT_OK,
    cli,
    configure_logging,
    handle_errors,
)

if TYPE_CHECKING:
    from audience_prep import ValidationReport

VALIDATE_EXAMPLES = """\\b
Examples:
  audience-prep validate audience.csv
  audience-prep validate audience.xlsx --phone-format digits --json
"""


@cli.command("validate", epilog=VALIDATE_EXAMPLES)
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
@click.option(
    "--phone-format",
    type=click.Choice(["e164", "digits"]),
    default="e164",
    show_default=True,
    help="The form phone1 must have: e164 (+972502345678) or digits (972502345678).",
)
@click.option("--schema", help="Built-in schema name or path to a schema .toml.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def validate_command(
    path: str, phone_format: PhoneFormat, schema: str | None, as_json: bool, debug: bool
) -> None:
    """Check that FILE is an audience file CommBox will take as it is, changing nothing.

    Exit 0 when it is compliant, 1 when it is not (the failures are listed), 2 for a usage
    error. phone1 must be present, filled, unpadded, unique and a valid number in the chosen
    form; the file must be UTF-8 with one header row and the same number of fields per row.
    """
    configure_logging(False, debug)
    with handle_errors(debug, as_json=as_json):
        report = ap.validate(path, schema=schema, phone_format=phone_format)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        _render(report, Console())
    raise SystemExit(EXIT_OK if report.ok else EXIT_INPUT)


def _render(report: ValidationReport, console: Console) -> None:
    if report.ok:
        console.print(
            f"[green]Compliant[/]: {escape(report.source)}, {report.rows:,} rows, "
            f"phone1 in {report.phone_format}."
        )
        return
    console.print(
        f"[red]Not compliant[/]: {escape(report.source)}, {report.failures.height:,} failures "
        f"in {report.rows:,} rows."
    )
    table = Table(show_header=True)
    for name in ("check", "failures", "first"):
        table.add_column(name, justify="right" if name == "failures" else "left")
    for check, count in report.counts.items():
        first = report.failures.filter(report.failures["check"] == check).row(0, named=True)
        where = "file" if first["row"] is None else f"row {first['row']}"
        table.add_row(check, f"{count:,}", escape(f"{where}: {first['message']}"))
    console.print(table)

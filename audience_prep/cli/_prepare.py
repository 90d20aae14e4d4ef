"""``audience-prep prepare``: validate an export and write the audience file."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, get_args

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

import audience_prep as ap
from audience_prep import ExtraColumns, Keep, NoValidRowsError, PhoneFormat
from audience_prep.cli._common import (
    cli,
    configure_logging,
    handle_errors,
    progress_display,
    write_output,
)

if TYPE_CHECKING:
    from audience_prep import Prepared

PREPARE_EXAMPLES = """\b
Examples:
  audience-prep prepare export.csv --region IL --output audience.csv
  audience-prep prepare export.csv --region IL --map "Cell #=phone1" --rejects rejects.csv
  audience-prep prepare export.xlsx --region-column Country --region US --json
"""


def _parse_map(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for value in values:
        header, sep, canonical = value.rpartition("=")
        if not sep or not header.strip() or not canonical.strip():
            raise click.BadParameter(f"{value!r}: expected 'SOURCE HEADER=canonical_name'.")
        mapping[header.strip()] = canonical.strip()
    return mapping


def prepare_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options shared by every command that prepares an input."""
    options = [
        click.argument("input_path", metavar="INPUT"),
        click.option("--region", help="Default ISO 3166 alpha-2 region, e.g. IL."),
        click.option("--region-column", help="Column of per-row regions (codes or names)."),
        click.option(
            "--map",
            "columns",
            multiple=True,
            callback=_parse_map,
            metavar="'HEADER=canonical'",
            help="Map a source header to a canonical column; repeatable.",
        ),
        click.option("--mobile-only", is_flag=True, help="Keep mobile numbers only."),
        click.option(
            "--keep",
            type=click.Choice(get_args(Keep)),
            default="first",
            show_default=True,
            help="Which row of a duplicated phone to keep.",
        ),
        click.option(
            "--phone-format",
            type=click.Choice(get_args(PhoneFormat)),
            default="e164",
            show_default=True,
            help="e164: +972502345678; digits: 972502345678.",
        ),
        click.option("--sheet", help="Excel sheet name or 0-based index."),
        click.option("--schema", help="Built-in schema name or path to a schema .toml."),
        click.option(
            "--extra-columns",
            type=click.Choice(get_args(ExtraColumns)),
            default="keep",
            show_default=True,
            help="Unmapped columns: pass through or drop.",
        ),
        click.option("--encoding", help="Text encoding of a CSV input (detected when omitted)."),
        click.option("--delimiter", help="CSV delimiter (detected when omitted)."),
        click.option(
            "--header-row",
            type=click.IntRange(min=0),
            help="1-based row of the header, when titles sit above it; 0 when the file has no "
            "header row (found when omitted).",
        ),
        click.option(
            "--keep-formulas",
            "quote_formulas",
            flag_value=False,
            default=None,
            help="Do not quote cells a spreadsheet would run as formulas (=, +, -, @ first).",
        ),
        click.option(
            "--strict-columns",
            is_flag=True,
            default=None,
            help="Refuse instead of choosing between headers of equal standing.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def run_prepare(input_path: str, **options: Any) -> Prepared:
    """Call :func:`audience_prep.prepare` with CLI option values.

    INPUT is a path, a quoted glob pattern (``"exports/*.csv"``: the files are stacked) or a
    URL (``https://``, ``s3://``, ...), as ``prepare()`` reads a string.
    """
    return ap.prepare(input_path, **{k: v for k, v in options.items() if v is not None})


def common_flags(command: Callable[..., Any]) -> Callable[..., Any]:
    """--json, --verbose and --debug."""
    command = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")(
        command
    )
    command = click.option("--verbose", "-v", is_flag=True, help="Log progress to stderr.")(command)
    return click.option("--debug", is_flag=True, help="Show tracebacks.")(command)


@cli.command("prepare", epilog=PREPARE_EXAMPLES)
@prepare_options
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Audience CSV ('-': stdout).")
@click.option("--rejects", type=click.Path(dir_okay=False), help="Write rejected rows to a CSV.")
@click.option(
    "--no-bom",
    is_flag=True,
    help="Write --rejects without the UTF-8 byte order mark Excel needs to read it right.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress display.")
@click.option("--show-phones", is_flag=True, help="Show whole phone numbers in the summary.")
@common_flags
def prepare_command(
    input_path: str,
    output: str | None,
    rejects: str | None,
    no_bom: bool,
    quiet: bool,
    show_phones: bool,
    as_json: bool,
    verbose: bool,
    debug: bool,
    **options: Any,
) -> None:
    """Validate INPUT and write a CommBox audience file; report what was rejected and why.

    INPUT is a file, a quoted glob pattern ("exports/*.csv") or a URL (https://, s3://, ...).
    """
    configure_logging(verbose, debug)
    with handle_errors(debug, as_json=as_json), progress_display(not (quiet or as_json)) as bar:
        prepared = run_prepare(input_path, progress=bar, **options)
        report = prepared.report
        if rejects:  # written first: a file whose every row is rejected needs it most
            write_output(rejects, prepared.rejected_csv(bom=not no_bom), as_json=as_json)
        if report.rows_written == 0:
            raise NoValidRowsError(report.source, report.rows_read, report.rejected_by_reason)
        _write_audience(prepared, output, as_json=as_json)
    if as_json:  # with the audience on stdout, the report goes to stderr
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False), err=output == "-")
    else:
        console = Console(file=sys.stderr if output == "-" else sys.stdout)
        render_report(prepared, console, show_phones=show_phones)


def _write_audience(prepared: Prepared, output: str | None, *, as_json: bool) -> None:
    if output == "-":
        sys.stdout.buffer.write(prepared.to_csv())
        sys.stdout.flush()
    elif output:
        write_output(output, prepared.to_csv(), as_json=as_json)


def render_report(prepared: Prepared, console: Console, *, show_phones: bool = False) -> None:
    """The human summary: mapping, counts, and rejects by reason with one example each.

    Phones in the examples are masked (``+97250***5678``) unless ``show_phones``: a terminal's
    output often ends up in a CI log. The rejects are listed as the notebook lists them,
    largest first.
    """
    report = prepared.report
    mapping = Table(title="Column mapping", show_header=True)
    mapping.add_column("source header")
    mapping.add_column("canonical")
    mapping.add_column("rows", justify="right")
    for header, canonical in report.column_mapping.items():
        rows = report.phone_sources.get(header)
        mapping.add_row(escape(header), canonical, "" if rows is None else f"{rows:,}")
    console.print(mapping)
    for note in report.mapping_notes:
        console.print(f"[dim]{escape(note['column'])}: {escape(note['rule'])}[/]")
        if note["fix"]:
            console.print(f"[dim]  {escape(note['fix'])}[/]")
    skipped = report.empty_rows_skipped
    console.print(
        f"[bold]{report.rows_read:,}[/] rows read, [green]{report.rows_written:,}[/] written, "
        f"[red]{report.rows_rejected:,}[/] rejected"
        + (f", {skipped:,} empty row{'' if skipped == 1 else 's'} skipped" if skipped else "")
    )
    if report.rows_rejected:
        console.print(_reasons_table(prepared, show_phones=show_phones))


def _reasons_table(prepared: Prepared, *, show_phones: bool) -> Table:
    table = Table(title="Rejected rows by reason", show_header=True)
    for name, justify in (("reason", "left"), ("rows", "right"), ("example", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    summary = prepared.rejected_summary(examples=1, show_phones=show_phones)
    for reason, count, _, examples in summary.iter_rows():
        table.add_row(reason, f"{count:,}", escape(examples[0] if examples else ""))
    return table

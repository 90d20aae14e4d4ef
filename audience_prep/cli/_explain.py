"""``audience-prep explain``: what a reason code or note means, and how to fix it."""

from __future__ import annotations

import textwrap

import click

from audience_prep import NOTES, REASONS
from audience_prep.cli._common import EXIT_USAGE, cli, fail

EXPLAIN_EXAMPLES = """\b
Examples:
  audience-prep explain                    # every reason code and note
  audience-prep explain invalid_number
  audience-prep explain scientific_notation
"""


def known_codes() -> list[str]:
    """Every code ``explain`` knows: the reason codes, then the notes."""
    return [*REASONS, *NOTES]


def explain_text(code: str) -> str:
    """What a reason code (or a note) means and what to do, as a few plain lines."""
    if code in REASONS:
        title, text = f"{code} (reason code)", REASONS[code]
    else:
        title, text = f"{code} (note on a kept row)", f"{NOTES[code].capitalize()}."
    return f"{title}\n{textwrap.fill(text, width=88, initial_indent='  ', subsequent_indent='  ')}"


@cli.command("explain", epilog=EXPLAIN_EXAMPLES)
@click.argument("code", metavar="[REASON]", required=False)
def explain_command(code: str | None) -> None:
    """Say what a reason code (as in the report's rejects) means and what to do about it.

    Without REASON, list every reason code and note.
    """
    if code is None:
        click.echo("\n\n".join(explain_text(known) for known in known_codes()))
        return
    wanted = "_".join(code.strip().lower().replace("-", " ").split())
    if wanted not in REASONS and wanted not in NOTES:
        fail(
            f"unknown reason {code!r}. Known reasons: {', '.join(REASONS)}; "
            f"notes: {', '.join(NOTES)}.",
            EXIT_USAGE,
        )
    click.echo(explain_text(wanted))

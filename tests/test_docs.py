"""The README is checked against the code: options, reason codes, notes and CLI commands."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import audience_prep as ap
from audience_prep import NOTES
from audience_prep.cli import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
#: Commands whose --help lacks an example, in modules owned elsewhere: strict xfail, so the
#: marker must go as soon as the example is added.
MISSING_EXAMPLES: set[str] = set()


def section(title: str) -> str:
    """The README text under a heading, up to the next heading of any level."""
    match = re.search(rf"^#+ {re.escape(title)}\n(.*?)(?=^#)", README, re.MULTILINE | re.DOTALL)
    assert match, f"README has no section {title!r}"
    return match.group(1)


def first_column(markdown: str) -> list[str]:
    """The backticked names in the first column of the Markdown tables in ``markdown``."""
    return re.findall(r"^\| `([^`]+)` \|", markdown, re.MULTILINE)


def test_every_prepare_option_is_in_the_options_table() -> None:
    keyword_only = [
        name
        for name, parameter in inspect.signature(ap.prepare).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    ]
    documented = first_column(section("Options of `prepare()`"))
    assert sorted(documented) == sorted(keyword_only)


def test_every_reason_code_is_in_the_reason_table() -> None:
    assert first_column(section("Reason codes")) == list(ap.REASONS)


def test_every_note_is_documented() -> None:
    assert first_column(section("Notes on kept rows")) == list(NOTES)


def test_every_cli_command_is_documented() -> None:
    for name in cli.commands:
        assert f"audience-prep {name}" in README, f"`audience-prep {name}` is not in the README"


def _help_params() -> list[object]:
    return [
        pytest.param(
            name,
            marks=pytest.mark.xfail(
                name in MISSING_EXAMPLES, reason="example epilog pending", strict=True
            ),
        )
        for name in sorted(cli.commands)
    ]


@pytest.mark.parametrize("name", _help_params())
def test_every_command_help_shows_an_example(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    examples = result.stdout.partition("Examples:")[2]
    assert f"audience-prep {name}" in examples


def test_top_level_help_shows_examples() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert "Examples:" in result.stdout
    assert "audience-prep explain" in result.stdout or "audience-prep prepare" in result.stdout

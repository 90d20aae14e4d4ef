"""Assertions shared by the CLI tests."""

from __future__ import annotations

from click.testing import Result


def flat(text: str) -> str:
    """Text with rich's line wrapping undone."""
    return " ".join(text.split())


def assert_one_error_line(result: Result, code: int, fragment: str) -> None:
    """The command failed with ``code`` and exactly one ``Error:`` line naming ``fragment``."""
    assert result.exit_code == code, result.output
    assert result.stderr.startswith("Error: ")
    assert result.stderr.count("\n") == 1
    assert fragment in result.stderr
    assert "Traceback" not in result.output

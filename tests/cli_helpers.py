"""Assertions and helpers shared by the CLI tests."""

from __future__ import annotations

import threading
import time

from click.testing import Result

from audience_prep.emulator import CommBoxEmulator


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


def clear_the_delay_once_abandoned(emulator: CommBoxEmulator) -> threading.Thread:
    """Lift the emulator's delay fault as soon as it sees a client give up on an answer."""

    def watch() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if any(r.detail == "client went away" for r in emulator.state.requests):
                emulator.set_faults(None)
                return
            time.sleep(0.01)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread

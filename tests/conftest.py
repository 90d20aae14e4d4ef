"""Shared fixtures: one loopback CommBox emulator per session, reset for every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from audience_prep.emulator import CommBoxEmulator


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "loopback: talks to the CommBox emulator over a real loopback socket"
    )


@pytest.fixture(autouse=True)
def _private_ledger(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test gets its own replacement ledger; none writes into the user's data directory."""
    monkeypatch.setenv("AUDIENCE_PREP_LEDGER", str(tmp_path_factory.mktemp("ledger")))


@pytest.fixture(scope="session")
def _emulator_server() -> Iterator[CommBoxEmulator]:
    with CommBoxEmulator() as emulator:
        yield emulator


@pytest.fixture
def emulator(_emulator_server: CommBoxEmulator) -> Iterator[CommBoxEmulator]:
    """The session's loopback emulator, with no audiences, requests or faults."""
    _emulator_server.state.reset()
    yield _emulator_server
    _emulator_server.state.reset()

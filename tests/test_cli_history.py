"""The ledger on the command line: the diff before confirming, --allow-shrink, history, rollback."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from cli_helpers import assert_one_error_line, clear_the_delay_once_abandoned, flat
from click.testing import CliRunner, Result

from audience_prep._ledger.ledger import Ledger
from audience_prep.cli import _upload, cli
from audience_prep.emulator import CommBoxEmulator

pytestmark = pytest.mark.loopback

AUDIENCE = "312345"
FULL = "Name,Mobile\n" + "".join(f"P{n},050-234-56{n:02d}\n" for n in range(10))
HALF = "Name,Mobile\n" + "".join(f"P{n},050-234-56{n:02d}\n" for n in range(5))


@pytest.fixture
def ledger_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The ledger the CLI uses, through AUDIENCE_PREP_LEDGER."""
    directory = tmp_path / "ledger"
    monkeypatch.setenv("AUDIENCE_PREP_LEDGER", str(directory))
    return directory


@pytest.fixture
def audience(emulator: CommBoxEmulator, monkeypatch: pytest.MonkeyPatch, ledger_dir: Path) -> str:
    monkeypatch.setenv("COMMBOX_API_TOKEN", emulator.token)
    monkeypatch.setenv("COMMBOX_API_URL", emulator.url)
    return emulator.state.add_audience(AUDIENCE, rows=[{"phone1": "+972500000001"}])


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {}
    for name, text in (("full", FULL), ("half", HALF)):
        paths[name] = tmp_path / f"{name}.csv"
        paths[name].write_text(text, encoding="utf-8")
    return paths


def run(*args: str, stdin: str = "") -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin)


def upload(path: Path, *extra: str, stdin: str = "") -> Result:
    return run(
        "upload", str(path), "--region", "IL", "--audience-id", AUDIENCE, *extra, stdin=stdin
    )


def phones(emulator: CommBoxEmulator) -> list[str]:
    return [row["phone1"] for row in emulator.state.rows(AUDIENCE)]


# --- upload ----------------------------------------------------------------------------------


def test_a_first_upload_says_so_and_json_carries_the_diff(
    emulator: CommBoxEmulator, audience: str, files: dict[str, Path], ledger_dir: Path
) -> None:
    result = upload(files["full"], "--yes", "--json")
    assert result.exit_code == 0, result.output
    diff = json.loads(result.stdout)["upload"]["diff"]
    assert diff["first_upload"] is True
    assert diff["added"] == 10
    assert json.loads(result.stdout)["upload"]["ledger_entry"] == 1
    assert len(list(ledger_dir.rglob("*.json"))) == 1
    human = upload(files["full"], "--yes")
    assert "+0 added" in flat(human.stdout)
    assert "-0 removed" in flat(human.stdout)


def test_a_shrinking_upload_is_refused_even_with_yes(
    emulator: CommBoxEmulator, audience: str, files: dict[str, Path]
) -> None:
    assert upload(files["full"], "--yes").exit_code == 0
    result = upload(files["half"], "--yes")
    assert_one_error_line(result, 1, "remove 5 of its 10 current members (50.0%)")
    assert "--allow-shrink" in result.stderr
    assert len(phones(emulator)) == 10
    allowed = upload(files["half"], "--yes", "--allow-shrink", "--json")
    assert allowed.exit_code == 0, allowed.output
    assert json.loads(allowed.stdout)["upload"]["diff"]["removed"] == 5
    assert len(phones(emulator)) == 5


def test_max_removed_share_and_min_rows_flags(
    emulator: CommBoxEmulator, audience: str, files: dict[str, Path]
) -> None:
    assert upload(files["full"], "--yes").exit_code == 0
    assert upload(files["half"], "--yes", "--max-removed-share", "0.5").exit_code == 0
    result = upload(files["full"], "--yes", "--min-rows", "11")
    assert_one_error_line(result, 1, "fewer than the required 11")


def test_the_diff_is_shown_before_confirming(
    emulator: CommBoxEmulator,
    audience: str,
    files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert upload(files["half"], "--yes").exit_code == 0
    monkeypatch.setattr(_upload, "stdin_is_terminal", lambda: True)
    result = upload(files["full"], stdin="n\n")
    assert result.exit_code == 1
    assert "+5 added" in flat(result.stderr)
    assert "-0 removed" in flat(result.stderr)
    assert len(phones(emulator)) == 5


def test_a_dry_run_shows_the_diff_and_records_nothing(
    emulator: CommBoxEmulator, audience: str, files: dict[str, Path], ledger_dir: Path
) -> None:
    assert upload(files["full"], "--yes").exit_code == 0
    result = upload(files["half"], "--dry-run", "--allow-shrink", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["upload"]["diff"]["removed"] == 5
    assert len(list(ledger_dir.rglob("*.json"))) == 1


def test_no_ledger_and_hashes_mode(
    emulator: CommBoxEmulator, audience: str, files: dict[str, Path], ledger_dir: Path
) -> None:
    result = upload(files["full"], "--yes", "--no-ledger")
    assert result.exit_code == 0, result.output
    assert "No ledger" in flat(result.stdout)
    assert not ledger_dir.exists()
    assert upload(files["full"], "--yes", "--ledger-mode", "hashes").exit_code == 0
    stored = "".join(p.read_text("utf-8", "replace") for p in ledger_dir.rglob("*") if p.is_file())
    assert "972502345600" not in stored
    assert not list(ledger_dir.rglob("*.csv"))


def test_the_ledger_flag_overrides_the_environment(
    emulator: CommBoxEmulator, audience: str, files: dict[str, Path], tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    assert upload(files["full"], "--yes", "--ledger", str(elsewhere)).exit_code == 0
    assert len(list(elsewhere.rglob("*.json"))) == 1
    assert not (tmp_path / "ledger").exists()


# --- history ---------------------------------------------------------------------------------


def test_history_lists_the_entries(
    emulator: CommBoxEmulator, audience: str, files: dict[str, Path]
) -> None:
    assert upload(files["full"], "--yes").exit_code == 0
    assert upload(files["half"], "--yes", "--allow-shrink").exit_code == 0
    result = run("history", AUDIENCE)
    assert result.exit_code == 0, result.output
    assert "ok" in result.stdout
    assert "-5" in result.stdout
    assert "kept" in result.stdout
    document = json.loads(run("history", AUDIENCE, "--json").stdout)
    assert [e["entry_id"] for e in document["entries"]] == [1, 2]
    assert document["entries"][1]["diff"]["removed"] == 5
    assert document["host"] == f"localhost:{emulator.port}"


def test_history_of_an_unknown_audience_is_empty(emulator: CommBoxEmulator, audience: str) -> None:
    result = run("history", "424242")
    assert result.exit_code == 0
    assert "holds no upload of audience 424242" in flat(result.stdout)
    assert json.loads(run("history", "424242", "--json").stdout)["entries"] == []


def test_history_reports_a_pending_entry(
    emulator: CommBoxEmulator, audience: str, files: dict[str, Path], ledger_dir: Path
) -> None:
    assert upload(files["full"], "--yes").exit_code == 0
    entry_json = next(ledger_dir.rglob("000001.json"))
    data = json.loads(entry_json.read_text())
    entry_json.write_text(json.dumps({**data, "status": "pending"}))  # as a crash leaves it
    result = run("history", AUDIENCE)
    assert "never confirmed" in flat(result.stdout)
    again = upload(files["full"], "--yes")
    assert "never confirmed" in flat(again.stdout)
    statuses = [
        e["status"] for e in json.loads(run("history", AUDIENCE, "--json").stdout)["entries"]
    ]
    assert statuses == ["unconfirmed", "ok"]


# --- rollback --------------------------------------------------------------------------------


def test_rollback_restores_the_earlier_members(
    emulator: CommBoxEmulator, audience: str, files: dict[str, Path]
) -> None:
    assert upload(files["half"], "--yes").exit_code == 0
    before = phones(emulator)
    assert upload(files["full"], "--yes").exit_code == 0
    dry = run("rollback", AUDIENCE, "--dry-run", "--allow-shrink", "--json")
    assert json.loads(dry.stdout)["upload"]["rollback_of"] == 1
    refused = run("rollback", AUDIENCE, "--yes")
    assert_one_error_line(refused, 1, "--allow-shrink")
    result = run("rollback", AUDIENCE, "--yes", "--allow-shrink")
    assert result.exit_code == 0, result.output
    assert "Rolled back audience 312345 to entry 1" in flat(result.stdout)
    assert phones(emulator) == before


def test_rollback_asks_first_on_a_terminal(
    emulator: CommBoxEmulator,
    audience: str,
    files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert upload(files["full"], "--yes").exit_code == 0
    assert upload(files["full"], "--yes", "--phone-format", "digits").exit_code == 0
    assert_one_error_line(run("rollback", AUDIENCE), 1, "Pass --yes to confirm")
    monkeypatch.setattr(_upload, "stdin_is_terminal", lambda: True)
    declined = run("rollback", AUDIENCE, stdin="n\n")
    assert declined.exit_code == 1
    assert "+0 added" in flat(declined.stderr)
    assert phones(emulator)[0] == "972502345600"
    accepted = run("rollback", AUDIENCE, stdin="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert phones(emulator)[0] == "+972502345600"


def test_rollback_to_a_missing_entry_is_one_error_line(
    emulator: CommBoxEmulator, audience: str, files: dict[str, Path]
) -> None:
    assert upload(files["full"], "--yes").exit_code == 0
    assert_one_error_line(run("rollback", AUDIENCE, "--yes"), 1, "no earlier upload")
    assert_one_error_line(run("rollback", AUDIENCE, "--to", "7", "--yes"), 1, "no successful")


def test_the_ledger_never_holds_the_token(
    emulator: CommBoxEmulator, audience: str, files: dict[str, Path], ledger_dir: Path
) -> None:
    assert upload(files["full"], "--yes", "--verbose").exit_code == 0
    assert run("rollback", AUDIENCE, "--yes", "--to", "1").exit_code == 0
    texts = [p.read_text("utf-8", "replace") for p in ledger_dir.rglob("*") if p.is_file()]
    assert texts
    assert all(emulator.token not in text for text in texts)
    entries = Ledger(ledger_dir).history(AUDIENCE, host=f"127.0.0.1:{emulator.port}")
    rows = list(csv.DictReader(io.StringIO(FULL)))
    assert [e.rows for e in entries] == [len(rows), len(rows)]


@pytest.mark.parametrize("command", ["history", "rollback"])
def test_the_commands_are_documented(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.stdout
    assert cli.get_command(None, command).help  # type: ignore[arg-type, union-attr]


# --- what a first upload removes is unknown (issue 16, item 11) ---------------------------------


def test_a_first_upload_says_what_it_removes_is_unknown(
    emulator: CommBoxEmulator, audience: str, files: dict[str, Path]
) -> None:
    result = upload(files["full"], "--yes")
    assert result.exit_code == 0, result.output
    assert "+10 added; what it removes is unknown" in flat(result.stdout)
    diff = json.loads(upload(files["full"], "--dry-run", "--json").stdout)["upload"]["diff"]
    assert diff["first_upload"] is False
    assert diff["removed"] == 0


# --- rollback: no token for a dry run, --attempt-timeout (issue 16, items 4 and follow-ups) ------


def test_a_rollback_dry_run_needs_no_token(
    emulator: CommBoxEmulator,
    audience: str,
    files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert upload(files["half"], "--yes").exit_code == 0
    assert upload(files["full"], "--yes").exit_code == 0
    monkeypatch.delenv("COMMBOX_API_TOKEN")
    monkeypatch.setattr(_upload, "stdin_is_terminal", lambda: True)  # a prompt would abort
    result = run("rollback", AUDIENCE, "--dry-run", "--allow-shrink", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["upload"]["rollback_of"] == 1
    monkeypatch.setattr(_upload, "stdin_is_terminal", lambda: False)  # nobody to ask
    refused = run("rollback", AUDIENCE, "--yes", "--allow-shrink")
    assert_one_error_line(refused, 2, "set COMMBOX_API_TOKEN")
    assert len(phones(emulator)) == 10


def test_rollback_attempt_timeout_ends_a_slow_attempt(
    emulator: CommBoxEmulator, audience: str, files: dict[str, Path]
) -> None:
    assert upload(files["half"], "--yes").exit_code == 0
    assert upload(files["full"], "--yes").exit_code == 0
    emulator.set_faults(delay_s=60.0)
    watcher = clear_the_delay_once_abandoned(emulator)
    result = run(
        "rollback", AUDIENCE, "--yes", "--allow-shrink", "--json", "--attempt-timeout", "0.5"
    )
    watcher.join(5)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["upload"]["attempts"] == 2
    assert len(phones(emulator)) == 5


# --- history takes the base URL in any spelling (issue 16, item 6) ------------------------------


def test_history_finds_entries_under_any_spelling_of_the_host(
    emulator: CommBoxEmulator, audience: str, files: dict[str, Path], ledger_dir: Path
) -> None:
    from audience_prep.emulator import InProcessEmulator

    assert upload(files["full"], "--yes").exit_code == 0  # at 127.0.0.1:PORT
    in_process = InProcessEmulator()  # its clients use http://127.0.0.1/: port 80
    in_process.state.add_audience(AUDIENCE)
    with in_process.client(ledger_dir=ledger_dir) as client:
        client.replace_audience(AUDIENCE, b"phone1\n+972502345678\n")
    port = emulator.port
    spellings = {
        "127.0.0.1": 1,
        "http://127.0.0.1/": 1,
        "localhost": 1,
        "http://[::1]:80": 1,
        f"127.0.0.1:{port}": 10,
        f"http://127.0.0.1:{port}/": 10,
        f"localhost:{port}": 10,
        f"[::1]:{port}": 10,
    }
    for spelling, rows in spellings.items():
        result = run("history", AUDIENCE, "--base-url", spelling, "--json")
        assert result.exit_code == 0, (spelling, result.output)
        [entry] = json.loads(result.stdout)["entries"]
        assert entry["rows"] == rows, spelling

"""``audience-prep upload``, ``emulator`` and ``demo`` against a real loopback emulator."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import assert_one_error_line, clear_the_delay_once_abandoned, flat
from click.testing import CliRunner, Result

from audience_prep._errors import AudienceNotFoundError, AudienceRejectedError
from audience_prep._prepare.pipeline import prepare
from audience_prep._upload.client import CommBoxClient
from audience_prep.cli import _upload, cli
from audience_prep.emulator import CommBoxEmulator

pytestmark = pytest.mark.loopback

TOKEN = "tok-CLI-SECRET-5ca1ab1e"
EXPORT = "Name,Mobile\nDana,050-234-5678\nAvi,052-345-6789\nBad,12345\n"
OLD_MEMBERS = [{"phone1": "+972500000001"}, {"phone1": "+972500000002"}]


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "export.csv"
    path.write_text(EXPORT, encoding="utf-8")
    return path


@pytest.fixture
def audience(emulator: CommBoxEmulator, monkeypatch: pytest.MonkeyPatch) -> str:
    """A seeded static audience; the environment holds the emulator's token."""
    monkeypatch.setenv("COMMBOX_API_TOKEN", emulator.token)
    monkeypatch.delenv("COMMBOX_API_URL", raising=False)
    return emulator.state.add_audience("312345", rows=OLD_MEMBERS)


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Act as if a person sits at a terminal."""
    monkeypatch.setattr(_upload, "stdin_is_terminal", lambda: True)


def upload(emulator: CommBoxEmulator, export: Path, *extra: str, stdin: str = "") -> Result:
    args = ["upload", str(export), "--region", "IL", "--audience-id", "312345"]
    args += ["--base-url", emulator.url, *extra]
    return CliRunner().invoke(cli, args, input=stdin)


def expected_rows(export: Path) -> list[dict[str, str]]:
    text = prepare(export, region="IL").to_csv().decode("utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


# --- uploading -------------------------------------------------------------------------------


def test_upload_with_yes_replaces_the_audience(
    emulator: CommBoxEmulator, audience: str, export: Path
) -> None:
    result = upload(emulator, export, "--yes")
    assert result.exit_code == 0, result.output
    assert emulator.state.rows(audience) == expected_rows(export)
    assert "Replaced audience 312345 with 2 rows" in result.stdout


def test_json_prints_exactly_one_object(
    emulator: CommBoxEmulator, audience: str, export: Path
) -> None:
    result = upload(emulator, export, "--yes", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)  # the whole of stdout is one JSON document
    assert set(document) == {"prepare", "upload"}
    assert document["prepare"]["rows_read"] == 3
    assert document["prepare"]["rows_rejected"] == 1
    assert document["upload"]["rows_uploaded"] == 2
    assert document["upload"]["status_code"] == 200
    assert document["upload"]["sha256"] == emulator.state.audience(audience).last_sha256


def test_dry_run_sends_nothing(emulator: CommBoxEmulator, audience: str, export: Path) -> None:
    result = upload(emulator, export, "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["upload"]["dry_run"] is True
    assert emulator.state.requests == []
    assert emulator.state.rows(audience) == OLD_MEMBERS


def test_without_yes_or_a_terminal_the_upload_is_refused(
    emulator: CommBoxEmulator, audience: str, export: Path
) -> None:
    result = upload(emulator, export)
    assert_one_error_line(result, 1, "Pass --yes to confirm")
    assert emulator.state.requests == []


@pytest.mark.usefixtures("terminal")
def test_on_a_terminal_the_counts_are_shown_and_confirmed(
    emulator: CommBoxEmulator, audience: str, export: Path
) -> None:
    result = upload(emulator, export, stdin="y\n")
    assert result.exit_code == 0, result.output
    assert "with 2 rows (3 read, 1 rejected)" in flat(result.stderr)
    assert emulator.state.rows(audience) == expected_rows(export)


@pytest.mark.usefixtures("terminal")
def test_what_is_sent_is_shown_before_the_question_and_not_repeated(
    emulator: CommBoxEmulator, audience: str, export: Path
) -> None:
    """The mapping, the rejects by reason, the diff and any guard given other than its
    default are on stderr before the question; stdout then holds the result only."""
    result = upload(emulator, export, "--allow-shrink", "--max-removed-share", "0.6", stdin="y\n")

    assert result.exit_code == 0, result.output
    before = flat(result.stderr.split("Replace audience 312345")[0])
    for shown in ("Column mapping", "Rejected rows by reason", "invalid_number"):
        assert shown in before
    assert "Guard overridden: --allow-shrink: the shrink guard is off" in before
    assert "Guard overridden: --max-removed-share 0.6 (default 0.3)" in before
    assert before.index("Column mapping") < before.index("About to replace")
    assert "Column mapping" not in result.stdout
    assert "Replaced" in result.stdout or "replaced" in result.stdout


@pytest.mark.usefixtures("terminal")
def test_on_a_terminal_no_means_nothing_is_sent(
    emulator: CommBoxEmulator, audience: str, export: Path
) -> None:
    result = upload(emulator, export, stdin="n\n")
    assert result.exit_code == 1
    assert "Error: Not confirmed; audience 312345 was not changed." in result.stderr
    assert emulator.state.requests == []


@pytest.mark.usefixtures("terminal")
def test_on_a_terminal_the_token_is_asked_for_hidden(
    emulator: CommBoxEmulator, audience: str, export: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COMMBOX_API_TOKEN")
    result = upload(emulator, export, "--yes", stdin=f"{emulator.token}\n")
    assert result.exit_code == 0, result.output
    assert emulator.token not in result.output


# --- refusals and exit codes -----------------------------------------------------------------


def test_a_missing_token_is_a_usage_error(
    emulator: CommBoxEmulator, export: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COMMBOX_API_TOKEN", raising=False)
    assert_one_error_line(upload(emulator, export, "--yes"), 2, "set COMMBOX_API_TOKEN")


def test_too_many_rejects_is_a_guard_refusal(
    emulator: CommBoxEmulator, audience: str, export: Path
) -> None:
    result = upload(emulator, export, "--yes", "--json", "--max-rejected-share", "0.2")
    assert_one_error_line(result, 1, "--max-rejected-share")
    assert json.loads(result.stdout)["error"]["type"] == "RejectedShareError"
    assert emulator.state.requests == []


def test_zero_rows_need_allow_empty(
    emulator: CommBoxEmulator, audience: str, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("Name,Mobile\n", encoding="utf-8")
    assert_one_error_line(upload(emulator, empty, "--yes"), 1, "--allow-empty")
    assert emulator.state.rows(audience) == OLD_MEMBERS
    assert upload(emulator, empty, "--yes", "--allow-empty").exit_code == 0
    assert emulator.state.rows(audience) == []


@pytest.mark.parametrize(
    ("setup", "fragment"),
    [
        ("unknown", "404 Not Found"),
        ("dynamic", "400 Bad Request"),
        ("bad_token", "401 Unauthorized"),
        ("throttled", "429 Too Many Requests – Rate limit exceeded for audience 312345 after 5"),
    ],
    ids=["unknown", "dynamic", "bad_token", "throttled"],
)
def test_commbox_refusals_exit_3(
    emulator: CommBoxEmulator,
    export: Path,
    monkeypatch: pytest.MonkeyPatch,
    setup: str,
    fragment: str,
) -> None:
    monkeypatch.setenv("COMMBOX_API_TOKEN", TOKEN if setup == "bad_token" else emulator.token)
    if setup != "unknown":
        emulator.state.add_audience("312345", dynamic=setup == "dynamic")
    emulator.set_faults(rate_limited=99 if setup == "throttled" else 0, retry_after="0")
    result = upload(emulator, export, "--yes")
    assert_one_error_line(result, 3, fragment)
    assert TOKEN not in result.output


def test_plain_http_to_a_remote_host_is_refused(
    audience: str, export: Path, emulator: CommBoxEmulator
) -> None:
    args = ["upload", str(export), "--region", "IL", "--audience-id", "1", "--yes"]
    result = CliRunner().invoke(cli, [*args, "--base-url", "http://api.commbox.io/"])
    assert_one_error_line(result, 2, "must be https://")


def test_debug_lets_the_exception_through(
    emulator: CommBoxEmulator, export: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMMBOX_API_TOKEN", emulator.token)
    result = upload(emulator, export, "--yes", "--debug")
    assert result.exit_code == 3
    assert "Traceback" in result.stderr
    assert AudienceNotFoundError.__name__ in result.stderr


def test_the_token_never_reaches_the_output_or_logs(
    emulator: CommBoxEmulator,
    export: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    emulator.state.add_audience("312345")
    monkeypatch.setenv("COMMBOX_API_TOKEN", TOKEN)
    outputs = [upload(emulator, export, "--yes", "--verbose", *flags).output for flags in [
        (), ("--json",), ("--dry-run",), ("--dry-run", "--json"),
    ]]  # fmt: skip
    assert "401 Unauthorized" in outputs[0]
    assert all(TOKEN not in output for output in outputs)
    assert "Replace audience 312345" in caplog.text
    assert TOKEN not in caplog.text


# --- the emulator and demo commands ----------------------------------------------------------


def test_the_emulator_command_serves_until_interrupted() -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    command = [sys.executable, "-m", "audience_prep", "emulator", "--port", "0", "--token", TOKEN]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as process:
        assert process.stdout is not None
        banner = [process.stdout.readline() for _ in range(3)]
        url = banner[1].strip().removeprefix("COMMBOX_API_URL=")
        assert banner[2].strip() == f"COMMBOX_API_TOKEN={TOKEN}"
        with CommBoxClient(token=TOKEN, base_url=url) as client:
            report = client.create_audience("from the CLI", b"phone1\n+972502345678\n")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    assert report.status_code == 200


def test_the_emulator_command_seeds_audiences() -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    command = [sys.executable, "-m", "audience_prep", "emulator", "--port", "0", "--token", TOKEN]
    command += ["--audience", "312345", "--audience", "77:dynamic"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as process:
        assert process.stdout is not None
        banner = [process.stdout.readline() for _ in range(5)]
        url = banner[1].strip().removeprefix("COMMBOX_API_URL=")
        assert banner[3:] == ["audience 312345 (static, empty)\n", "audience 77 (dynamic, empty)\n"]
        with CommBoxClient(token=TOKEN, base_url=url, ledger=False) as client:
            report = client.replace_audience("312345", b"phone1\n+972502345678\n")
            with pytest.raises(AudienceRejectedError):
                client.replace_audience("77", b"phone1\n+972502345678\n")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    assert report.status_code == 200


def test_a_bad_audience_option_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["emulator", "--audience", "5:big"])
    assert_one_error_line(result, 2, "--audience '5:big'")


def test_the_emulator_command_reports_a_busy_port(emulator: CommBoxEmulator) -> None:
    result = CliRunner().invoke(cli, ["emulator", "--port", str(emulator.port)])
    assert_one_error_line(result, 2, f"Cannot listen on 127.0.0.1:{emulator.port}")


def test_the_demo_proves_the_replacement() -> None:
    result = CliRunner().invoke(cli, ["demo"])
    assert result.exit_code == 0, result.output
    assert "Rejected rows by reason" in result.stdout
    assert "holds exactly the" in flat(result.stdout)
    assert "previous members are gone" in flat(result.stdout)


@pytest.mark.parametrize("command", ["upload", "emulator", "demo", "history", "rollback"])
def test_every_command_is_documented(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert cli.get_command(None, command).help  # type: ignore[arg-type, union-attr]


def test_the_client_and_cli_import_without_the_emulator_extra() -> None:
    code = (
        "import sys\n"
        "sys.modules.update(starlette=None, uvicorn=None, multipart=None)\n"
        "import audience_prep._upload.client, audience_prep.cli\n"
        "assert 'audience_prep.emulator' not in sys.modules\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)


# --- upload --file: an existing audience file, through the same gate (issue 15, item 2) ------

ISSUE_FILE = (
    "phone1,name\n+972502345678,Dana\n050-1234567,Avi\n9.72501E+11,Noa\n"
    "+972502345678,Dana again\n,Nobody\n"
)
GOOD_FILE = "phone1,name\n972502345678,Dana\n972523456789,Avi\n"


def upload_file(emulator: CommBoxEmulator, path: Path, *extra: str, stdin: str = "") -> Result:
    args = ["upload", "--file", str(path), "--audience-id", "312345", "--base-url", emulator.url]
    return CliRunner().invoke(cli, [*args, *extra], input=stdin)


@pytest.fixture
def issue_file(tmp_path: Path) -> Path:
    path = tmp_path / "audience.csv"
    path.write_text(ISSUE_FILE, encoding="utf-8")
    return path


def test_file_uploads_a_compliant_file_as_it_is(
    emulator: CommBoxEmulator, audience: str, tmp_path: Path
) -> None:
    path = tmp_path / "digits.csv"
    path.write_text(GOOD_FILE, encoding="utf-8")
    result = upload_file(emulator, path, "--yes", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["prepare"] is None
    assert (document["upload"]["rows_uploaded"], document["upload"]["members_uploaded"]) == (2, 2)
    assert [r["phone1"] for r in emulator.state.rows(audience)] == ["972502345678", "972523456789"]
    human = upload_file(emulator, path, "--yes")
    assert human.exit_code == 0, human.output
    assert "Replaced audience 312345 with 2 rows (2 members" in flat(human.stdout)


def test_file_refuses_a_non_compliant_file_with_its_failures(
    emulator: CommBoxEmulator, audience: str, issue_file: Path
) -> None:
    result = upload_file(emulator, issue_file, "--yes")
    assert_one_error_line(result, 1, f"Refusing to upload {issue_file}")
    assert "row 3, phone1: phone1 is not in the chosen form" in result.stderr
    assert "not_empty=1, format=2, valid_number=2, unique=2" in result.stderr
    as_json = upload_file(emulator, issue_file, "--dry-run", "--json")
    assert_one_error_line(as_json, 1, "not a compliant audience file")
    error = json.loads(as_json.stdout)["error"]
    assert (error["type"], error["exit_code"]) == ("InvalidAudienceFileError", 1)
    assert emulator.state.requests == []
    assert emulator.state.rows(audience) == OLD_MEMBERS


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (("INPUT",), "not both"),
        ((), "Missing INPUT: pass an export to prepare, or --file PATH"),
        (
            ("--region", "IL", "--map", "Cell=phone1"),
            "--region, --map are options for preparing INPUT",
        ),
        (("--phone-format", "digits"), "--phone-format is an option for preparing INPUT; --file"),
    ],
    ids=["both", "neither", "prepare-options", "phone-format"],
)
def test_file_and_input_are_mutually_exclusive(
    emulator: CommBoxEmulator,
    audience: str,
    issue_file: Path,
    export: Path,
    extra: tuple[str, ...],
    fragment: str,
) -> None:
    args = ["upload", "--audience-id", "312345", "--base-url", emulator.url, "--yes"]
    if extra != ():
        args += ["--file", str(issue_file)]
    args += [str(export) if flag == "INPUT" else flag for flag in extra]
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert_one_error_line(result, 2, fragment)
    assert json.loads(result.stdout)["error"]["exit_code"] == 2
    assert emulator.state.requests == []


@pytest.mark.usefixtures("terminal")
def test_file_is_validated_before_anyone_is_asked(
    emulator: CommBoxEmulator, audience: str, issue_file: Path, tmp_path: Path
) -> None:
    refused = upload_file(emulator, issue_file, stdin="y\n")
    assert_one_error_line(refused, 1, "not a compliant audience file")
    assert "About to replace" not in refused.stderr
    good = tmp_path / "good.csv"
    good.write_text(GOOD_FILE, encoding="utf-8")
    asked = upload_file(emulator, good, stdin="y\n")
    assert asked.exit_code == 0, asked.output
    assert "with 2 rows (2 members, a file validated as it is)" in flat(asked.stderr)


def test_the_usage_line_shows_input_as_optional() -> None:
    result = CliRunner().invoke(cli, ["upload", "--help"])
    assert "[INPUT]" in result.stdout
    assert "--file PATH" in result.stdout
    assert "--attempt-timeout SECONDS" in result.stdout


# --- a dry run needs no token (issue 16, item 4) ------------------------------------------------


@pytest.mark.parametrize("on_terminal", [False, True])
def test_a_dry_run_needs_no_token(
    emulator: CommBoxEmulator,
    audience: str,
    export: Path,
    monkeypatch: pytest.MonkeyPatch,
    on_terminal: bool,
) -> None:
    monkeypatch.delenv("COMMBOX_API_TOKEN")
    monkeypatch.setattr(_upload, "stdin_is_terminal", lambda: on_terminal)
    result = upload(emulator, export, "--dry-run", "--json")  # no stdin: a prompt would abort
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["upload"]["dry_run"] is True
    assert "token" not in result.stderr.lower()
    assert emulator.state.requests == []


# --- the upload table and --attempt-timeout (issue 16, follow-ups) ------------------------------


def test_the_upload_table_shows_members_after_rows(
    emulator: CommBoxEmulator, audience: str, export: Path
) -> None:
    result = upload(emulator, export, "--yes")
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.stdout.splitlines()]
    fields = [cells[1] for cells in lines if len(cells) > 2 and cells[0] == "│"]
    assert fields[fields.index("rows_uploaded") + 1] == "members_uploaded"


def test_attempt_timeout_ends_a_slow_attempt(
    emulator: CommBoxEmulator, audience: str, export: Path
) -> None:
    emulator.set_faults(delay_s=60.0)
    watcher = clear_the_delay_once_abandoned(emulator)
    result = upload(emulator, export, "--yes", "--json", "--attempt-timeout", "0.5")
    watcher.join(5)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["upload"]["attempts"] == 2  # the first one was cut short
    assert [r.status for r in emulator.state.requests] == [None, 200]


def test_attempt_timeout_must_be_positive(
    emulator: CommBoxEmulator, audience: str, export: Path
) -> None:
    result = upload(emulator, export, "--yes", "--attempt-timeout", "0")
    assert result.exit_code == 2
    assert "--attempt-timeout" in result.stderr

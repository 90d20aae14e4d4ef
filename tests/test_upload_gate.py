"""The uploader validates what it did not prepare (issue 15, item 2): bytes, .csv and .xlsx
paths and a rollback's kept file are judged as ``ap.validate`` judges them, in the file's own
phone1 form, before anything is sent or recorded; a prepared audience is trusted."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import audience_prep as ap
from audience_prep import AsyncCommBoxClient, CommBoxClient, InvalidAudienceFileError
from audience_prep._ledger.members import read_file_members
from audience_prep._upload.gate import file_phone_format
from audience_prep.emulator import CommBoxEmulator

pytestmark = pytest.mark.loopback

OLD_MEMBERS = [{"phone1": "+972500000001"}, {"phone1": "+972500000002"}]
#: The issue's file: a national number, scientific notation, a duplicate and an empty cell.
ISSUE_FILE = (
    b"phone1,name\n+972502345678,Dana\n050-1234567,Avi\n9.72501E+11,Noa\n"
    b"+972502345678,Dana again\n,Nobody\n"
)
E164 = b"phone1,name\n+972502345678,Dana\n+972523456789,Avi\n"
DIGITS = b"phone1,name\n972502345678,Dana\n972523456789,Avi\n"
MIXED = b"phone1,name\n+972502345678,Dana\n+972523456789,Avi\n972544123456,Noa\n"


@pytest.fixture
def audience(emulator: CommBoxEmulator) -> str:
    return emulator.state.add_audience("312345", rows=OLD_MEMBERS)


def client_for(emulator: CommBoxEmulator, ledger_dir: Path, **options: object) -> CommBoxClient:
    return emulator.client(ledger_dir=ledger_dir, sleep=lambda _: None, **options)  # type: ignore[arg-type]


def test_the_issue_file_is_refused_and_the_audience_keeps_its_members(
    emulator: CommBoxEmulator, audience: str, tmp_path: Path
) -> None:
    with client_for(emulator, tmp_path) as client:
        with pytest.raises(InvalidAudienceFileError) as caught:
            client.replace_audience(audience, ISSUE_FILE)
        with pytest.raises(InvalidAudienceFileError):
            client.replace_audience(audience, ISSUE_FILE, dry_run=True)  # a dry run judges too
        history = client.history(audience)
    error = caught.value
    assert isinstance(error, ap.InputError)
    assert (error.source, error.rows, error.phone_format) == ("the given bytes", 5, "e164")
    assert error.counts == {"not_empty": 1, "format": 2, "valid_number": 2, "unique": 2}
    assert error.failures == 7
    assert error.first[0] == "row 2, phone1: phone1 appears in another row too"
    assert "row 3, phone1: phone1 is not in the chosen form" in str(error)
    assert "and 4 more" in str(error)
    assert "\n" not in str(error)
    assert emulator.state.requests == []  # nothing was sent
    assert emulator.state.rows(audience) == OLD_MEMBERS
    assert history == []  # and no write-ahead entry was written


def test_validate_false_skips_the_gate(
    emulator: CommBoxEmulator, audience: str, tmp_path: Path
) -> None:
    with client_for(emulator, tmp_path) as client:
        report = client.replace_audience(audience, ISSUE_FILE, validate=False)
    assert (report.rows_uploaded, report.members_uploaded) == (5, 3)
    assert len(emulator.state.rows(audience)) == 5


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_path_is_validated(
    emulator: CommBoxEmulator, audience: str, tmp_path: Path, kind: str
) -> None:
    path = tmp_path / f"audience.{kind}"
    if kind == "csv":
        path.write_bytes(ISSUE_FILE)
    else:
        xlsxwriter = pytest.importorskip("xlsxwriter")
        with xlsxwriter.Workbook(str(path)) as book:
            sheet = book.add_worksheet()
            for r, row in enumerate([["phone1", "name"], ["050-1234567", "Avi"]]):
                sheet.write_row(r, 0, row)
    with (
        client_for(emulator, tmp_path / "ledger") as client,
        pytest.raises(InvalidAudienceFileError, match="not in the chosen form") as caught,
    ):
        client.replace_audience(audience, path)
    assert caught.value.source == str(path)
    assert emulator.state.requests == []


def test_a_digits_file_is_valid_and_a_mixed_one_is_not(
    emulator: CommBoxEmulator, audience: str, tmp_path: Path
) -> None:
    with client_for(emulator, tmp_path) as client:
        digits = client.replace_audience(audience, DIGITS)
        assert emulator.state.rows(audience)[0]["phone1"] == "972502345678"
        with pytest.raises(InvalidAudienceFileError, match="form") as caught:
            client.replace_audience(audience, MIXED, dry_run=True)
        e164 = client.replace_audience(audience, E164)
    assert (digits.members_uploaded, e164.members_uploaded) == (2, 2)
    # two cells with +, one without: the file is E.164, and the digits cell fails
    assert caught.value.phone_format == "e164"
    assert caught.value.counts == {"format": 1, "valid_number": 1}
    assert "row 4" in caught.value.first[0]


@pytest.mark.parametrize(
    ("content", "form"),
    [(E164, "e164"), (DIGITS, "digits"), (MIXED, "e164"), (b"phone1\n", "e164"),
     (b"phone1\n1\n2\n+3\n", "digits"), (b"phone1\n+1\n2\n", "e164")],
)  # fmt: skip
def test_the_form_is_that_of_most_cells(content: bytes, form: str) -> None:
    assert file_phone_format(read_file_members(content)) == form


def test_create_audience_and_the_async_client_validate_too(
    emulator: CommBoxEmulator, audience: str, tmp_path: Path
) -> None:
    with client_for(emulator, tmp_path) as client, pytest.raises(InvalidAudienceFileError):
        client.create_audience("from a bad file", ISSUE_FILE)

    async def run() -> None:
        async with emulator.async_client(ledger_dir=tmp_path) as client:
            with pytest.raises(InvalidAudienceFileError):
                await client.replace_audience(audience, ISSUE_FILE)
            with pytest.raises(InvalidAudienceFileError):
                await client.create_audience("from a bad file", ISSUE_FILE, dry_run=True)
            created = await client.create_audience("digits", DIGITS)
            assert created.audience_id is not None

    asyncio.run(run())
    assert [r.path for r in emulator.state.requests] == ["/audiences"]
    assert emulator.state.rows(audience) == OLD_MEMBERS


def test_a_rollback_validates_the_kept_file(
    emulator: CommBoxEmulator, audience: str, tmp_path: Path
) -> None:
    with client_for(emulator, tmp_path) as client:
        client.replace_audience(audience, ISSUE_FILE, validate=False)  # kept as it was sent
        client.replace_audience(audience, E164, allow_shrink=True)
        with pytest.raises(InvalidAudienceFileError, match="ledger entry 1") as caught:
            client.rollback(audience, to=1, allow_shrink=True)
        sent = len(emulator.state.requests)
        rolled = client.rollback(audience, to=1, allow_shrink=True, validate=False)
    assert caught.value.source == "the file of ledger entry 1 of audience 312345"
    assert sent == 2
    assert rolled.rollback_of == 1
    assert len(emulator.state.rows(audience)) == 5


@dataclass
class _Counts:
    rows_read: int
    rows_rejected: int


@dataclass
class Trusted:
    """A prepared audience (SupportsAudienceBytes): validated when it was built."""

    csv: bytes
    report: _Counts

    def to_csv(self) -> bytes:
        return self.csv


def test_a_prepared_audience_is_trusted(
    emulator: CommBoxEmulator, audience: str, tmp_path: Path
) -> None:
    prepared = Trusted(b"phone1\n050-1234567\n", _Counts(1, 0))
    with client_for(emulator, tmp_path) as client:
        report = client.replace_audience(audience, prepared)
    assert report.status_code == 200
    assert emulator.state.rows(audience) == [{"phone1": "050-1234567"}]


def test_a_real_prepared_audience_in_digits_form_uploads(
    emulator: CommBoxEmulator, audience: str, tmp_path: Path
) -> None:
    prepared = ap.prepare(
        b"Mobile\n050-234-5678\n052-345-6789\n", region="IL", phone_format="digits"
    )
    with client_for(emulator, tmp_path) as client:
        report = client.replace_audience(audience, prepared.to_csv())  # as bytes: validated
    assert report.members_uploaded == 2


def test_importing_the_client_loads_no_validation() -> None:
    code = (
        "import sys\n"
        "import audience_prep._upload.client, audience_prep._upload.gate\n"
        "loaded = [m for m in ('polars', 'pandera', 'audience_prep._prepare.validation')\n"
        "          if m in sys.modules]\n"
        "assert loaded == [], loaded\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)


def test_the_async_client_is_the_one_the_package_exports() -> None:
    assert AsyncCommBoxClient is ap.AsyncCommBoxClient

"""The replacement ledger: diff, shrink guard, rollback, write-ahead recovery, privacy, locking."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import filelock
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import audience_prep as ap
from audience_prep._errors import (
    AudienceNotFoundError,
    ConfigurationError,
    LedgerError,
    ShrinkGuardError,
    SourceReadError,
)
from audience_prep._ledger.diff import diff_members, hash_member, member_key, read_members
from audience_prep._ledger.ledger import Ledger
from audience_prep._upload.client import AsyncCommBoxClient, CommBoxClient
from audience_prep.emulator import CommBoxEmulator

pytestmark = pytest.mark.loopback

TOKEN = "tok-LEDGER-SECRET-0ddba11"
AUDIENCE = "312345"
PHONES = [f"+97250{n:07d}" for n in range(1, 11)]  # ten members


def csv_of(phones: list[str]) -> bytes:
    lines = ["phone1,first_name"] + [f"{phone},Name {i}" for i, phone in enumerate(phones)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def rows_of(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"), newline="")))


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(emulator: CommBoxEmulator, ledger_dir: Path, **options: object) -> CommBoxClient:
    return CommBoxClient(
        token=emulator.token,
        base_url=emulator.url,
        sleep=Sleeps(),
        ledger_dir=ledger_dir if "ledger" not in options else None,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
def ledger_dir(tmp_path: Path) -> Path:
    return tmp_path / "ledger"


@pytest.fixture
def audience(emulator: CommBoxEmulator) -> str:
    return emulator.state.add_audience(AUDIENCE, rows=[{"phone1": "+972500000000"}])


def all_ledger_text(directory: Path) -> str:
    return "".join(
        p.read_bytes().decode("utf-8", "replace") for p in directory.rglob("*") if p.is_file()
    )


# --- the diff --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "key"),
    [("+972501234567", "972501234567"), ("972501234567", "972501234567"),
     ("  +972501234567 ", "972501234567"), ("", ""), ("  ", "")],
)  # fmt: skip
def test_member_keys(cell: str, key: str) -> None:
    assert member_key(cell) == key


def test_members_are_read_from_csv_bytes() -> None:
    content = '\ufeffname,phone1\n"two\nlines",+972501\n,972501\nX,\nY,+972502\n'.encode()
    assert read_members(content) == {"972501", "972502"}


def test_a_file_without_phone1_cannot_be_compared() -> None:
    with pytest.raises(SourceReadError, match="no 'phone1' column"):
        read_members(b"mobile\n+972501234567\n")


phone_sets = st.frozensets(st.integers(0, 60).map(lambda n: f"+97250{n:07d}"), max_size=40)


@settings(max_examples=150, deadline=None)
@given(before=phone_sets, after=phone_sets, hashed=st.booleans())
def test_diff_counts_match_set_arithmetic(
    before: frozenset[str], after: frozenset[str], hashed: bool
) -> None:
    keys_before = {member_key(p) for p in before}
    current = read_members(csv_of(sorted(after)))
    salt = b"pepper"
    stored = {hash_member(k, salt) for k in keys_before} if hashed else keys_before
    diff = diff_members(
        "1",
        current,
        stored,
        rows=len(after),
        hasher=(lambda k: hash_member(k, salt)) if hashed else None,
    )
    added, removed = current - keys_before, keys_before - current
    assert (diff.added, diff.removed, diff.kept) == (
        len(added),
        len(removed),
        len(current & keys_before),
    )
    assert diff.previous_members == len(keys_before)
    frames = diff.frames()
    assert set(frames["added"]["phone1"].to_list()) == added
    removed_frame = frames["removed"]
    if hashed:
        assert set(removed_frame["phone1_sha256"].to_list()) == {
            hash_member(k, salt) for k in removed
        }
    else:
        assert set(removed_frame["phone1"].to_list()) == removed


# --- recording and the shrink guard ----------------------------------------------------------


def test_a_first_upload_passes_and_is_recorded_with_its_manifest(
    emulator: CommBoxEmulator, audience: str, ledger_dir: Path, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(csv_of(PHONES))
    with client(emulator, ledger_dir) as c:
        report = c.replace_audience(audience, path)
        [entry] = c.ledger.history(audience, host=c._host)  # type: ignore[union-attr]
    assert report.diff is not None
    assert report.diff.first_upload
    assert (report.diff.added, report.diff.removed) == (10, 0)
    assert report.ledger_entry == entry.entry_id == 1
    assert entry.status == "ok"
    assert (entry.rows, entry.members, entry.sha256) == (10, 10, report.sha256)
    assert entry.host == f"localhost:{emulator.port}"
    assert entry.manifest["audience_prep_version"] == ap.__version__
    assert entry.manifest["phonenumbers_version"]
    assert entry.manifest["input"] == [{"name": str(path), "sha256": report.sha256}]
    assert entry.manifest["options"]["upload"]["max_removed_share"] == 0.3
    assert entry.upload is not None
    assert entry.upload["status_code"] == 200
    assert entry.file_kept


def test_a_prepared_audience_records_its_report_and_input(
    emulator: CommBoxEmulator, audience: str, ledger_dir: Path, tmp_path: Path
) -> None:
    path = tmp_path / "crm.csv"
    path.write_text("Mobile,Name\n050-234-5678,Dana\n052-345-6789,Avi\n", encoding="utf-8")
    prepared = ap.prepare(path, region="IL")
    with client(emulator, ledger_dir) as c:
        c.replace_audience(audience, prepared)
        [entry] = c.ledger.history(audience, host=c._host)  # type: ignore[union-attr]
    assert entry.prepare is not None
    assert entry.prepare["rows_written"] == 2
    assert entry.manifest["options"]["prepare"]["region"] == "IL"
    [source] = entry.manifest["input"]
    assert source["name"].endswith("crm.csv")
    assert source["sha256"] == __import__("hashlib").sha256(path.read_bytes()).hexdigest()


def test_a_shrinking_replacement_is_refused_and_nothing_is_sent(
    emulator: CommBoxEmulator, audience: str, ledger_dir: Path
) -> None:
    with client(emulator, ledger_dir) as c:
        c.replace_audience(audience, csv_of(PHONES))
        requests = len(emulator.state.requests)
        with pytest.raises(ShrinkGuardError, match=r"remove 6 of its 10 current members") as exc:
            c.replace_audience(audience, csv_of([*PHONES[:4], "+972520000001"]))
        assert len(c.ledger.history(audience, host=c._host)) == 1  # type: ignore[union-attr]
    assert (exc.value.removed, exc.value.previous_members) == (6, 10)
    assert "--allow-shrink" in str(exc.value)
    assert len(emulator.state.requests) == requests
    assert len(emulator.state.rows(audience)) == 10


def test_allow_shrink_or_a_higher_share_lets_it_through(
    emulator: CommBoxEmulator, audience: str, ledger_dir: Path
) -> None:
    with client(emulator, ledger_dir) as c:
        c.replace_audience(audience, csv_of(PHONES))
        report = c.replace_audience(audience, csv_of(PHONES[:7]), max_removed_share=0.3)
        assert report.diff is not None
        assert report.diff.removed == 3  # exactly 30%: allowed
        report = c.replace_audience(audience, csv_of(PHONES[:2]), allow_shrink=True)
    assert report.diff is not None
    assert (report.diff.removed, report.diff.kept, report.diff.previous_entry) == (5, 2, 2)
    assert len(emulator.state.rows(audience)) == 2


def test_min_rows_applies_even_to_a_first_upload(
    emulator: CommBoxEmulator, audience: str, ledger_dir: Path
) -> None:
    with client(emulator, ledger_dir) as c:
        with pytest.raises(ShrinkGuardError, match="fewer than the required 20"):
            c.replace_audience(audience, csv_of(PHONES), min_rows=20)
        assert c.replace_audience(audience, csv_of(PHONES), min_rows=20, allow_shrink=True)


@pytest.mark.parametrize(("option", "value"), [("max_removed_share", 1.5), ("min_rows", -1)])
def test_guard_values_are_checked(
    emulator: CommBoxEmulator, audience: str, ledger_dir: Path, option: str, value: float
) -> None:
    with client(emulator, ledger_dir) as c, pytest.raises(ConfigurationError, match=option):
        c.replace_audience(audience, csv_of(PHONES), **{option: value})  # type: ignore[arg-type]


def test_a_dry_run_returns_the_diff_and_writes_nothing(
    emulator: CommBoxEmulator, audience: str, ledger_dir: Path
) -> None:
    with client(emulator, ledger_dir) as c:
        c.replace_audience(audience, csv_of(PHONES))
        before = sorted(p.name for p in ledger_dir.rglob("*"))
        report = c.replace_audience(audience, csv_of([*PHONES[2:], "+972520000001"]), dry_run=True)
    assert report.diff is not None
    assert (report.diff.added, report.diff.removed, report.diff.kept) == (1, 2, 8)
    assert report.to_dict()["diff"]["removed"] == 2
    assert sorted(p.name for p in ledger_dir.rglob("*")) == before


def test_without_a_ledger_nothing_is_written(
    emulator: CommBoxEmulator, audience: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDIENCE_PREP_LEDGER", str(tmp_path / "env-ledger"))
    with client(emulator, tmp_path, ledger=False) as c:
        report = c.replace_audience(audience, csv_of(PHONES))
        report = c.replace_audience(audience, csv_of(PHONES[:1]))  # no history: no shrink guard
        with pytest.raises(ConfigurationError, match="Rollback needs the ledger"):
            c.rollback(audience)
    assert (report.diff, report.ledger_entry) == (None, None)
    assert not (tmp_path / "env-ledger").exists()


def test_the_ledger_directory_defaults_to_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDIENCE_PREP_LEDGER", str(tmp_path / "from-env"))
    assert Ledger().path == tmp_path / "from-env"
    monkeypatch.delenv("AUDIENCE_PREP_LEDGER")
    assert Ledger().path.name == "ledger"
    assert "audience_prep" in str(Ledger().path)
    with pytest.raises(ConfigurationError, match="not both"):
        CommBoxClient(token="t", ledger=Ledger(tmp_path), ledger_dir=tmp_path)


def test_a_refused_upload_is_marked_failed_and_is_no_basis(
    emulator: CommBoxEmulator, ledger_dir: Path
) -> None:
    with client(emulator, ledger_dir) as c:
        with pytest.raises(AudienceNotFoundError):
            c.replace_audience("999", csv_of(PHONES))
        [entry] = c.ledger.history("999", host=c._host)  # type: ignore[union-attr]
        emulator.state.add_audience("999")
        report = c.replace_audience("999", csv_of(PHONES[:1]), dry_run=True)
    assert entry.status == "failed"
    assert entry.error == "AudienceNotFoundError: HTTP 404"
    assert report.diff is not None
    assert report.diff.first_upload


def test_create_audience_is_recorded_under_the_new_id(
    emulator: CommBoxEmulator, ledger_dir: Path
) -> None:
    with client(emulator, ledger_dir) as c:
        created = c.create_audience("NE_USA-above50", csv_of(PHONES))
        assert created.audience_id is not None
        [entry] = c.ledger.history(created.audience_id, host=c._host)  # type: ignore[union-attr]
        with pytest.raises(ShrinkGuardError):
            c.replace_audience(created.audience_id, csv_of(PHONES[:1]))
    assert (entry.operation, entry.status, created.ledger_entry) == ("create", "ok", 1)


# --- rollback --------------------------------------------------------------------------------


def test_rollback_restores_exactly_the_earlier_members(
    emulator: CommBoxEmulator, audience: str, ledger_dir: Path
) -> None:
    first, second = csv_of(PHONES), csv_of([*PHONES, "+972520000001", "+972520000002"])
    with client(emulator, ledger_dir) as c:
        c.replace_audience(audience, first)
        c.replace_audience(audience, second)
        planned = c.rollback(audience, dry_run=True)
        report = c.rollback(audience)
        entries = c.ledger.history(audience, host=c._host)  # type: ignore[union-attr]
    assert planned.diff is not None
    assert (planned.diff.added, planned.diff.removed, planned.rollback_of) == (0, 2, 1)
    assert emulator.state.rows(audience) == rows_of(first)
    assert (report.rollback_of, report.sha256, report.ledger_entry) == (1, entries[0].sha256, 3)
    assert (entries[2].operation, entries[2].rollback_of) == ("rollback", 1)
    assert entries[2].manifest == entries[0].manifest


def test_rollback_has_the_same_guards(
    emulator: CommBoxEmulator, audience: str, ledger_dir: Path
) -> None:
    with client(emulator, ledger_dir) as c:
        c.replace_audience(audience, csv_of(PHONES[:2]))
        c.replace_audience(audience, csv_of(PHONES))
        with pytest.raises(ShrinkGuardError):
            c.rollback(audience, to=1)
        c.rollback(audience, to=1, allow_shrink=True)
    assert [r["phone1"] for r in emulator.state.rows(audience)] == PHONES[:2]


def test_rollback_needs_an_earlier_kept_file(
    emulator: CommBoxEmulator, audience: str, ledger_dir: Path
) -> None:
    with client(emulator, ledger_dir, ledger=Ledger(ledger_dir, max_kept_bytes=400)) as c:
        with pytest.raises(LedgerError, match="no earlier upload"):
            c.rollback(audience)
        c.replace_audience(audience, csv_of(PHONES))
        c.replace_audience(audience, csv_of(PHONES))
        c.replace_audience(audience, csv_of([*PHONES, "+972520000001"]))
        entries = c.ledger.history(audience, host=c._host)  # type: ignore[union-attr]
        with pytest.raises(LedgerError, match="no successful ledger entry 9"):
            c.rollback(audience, to=9)
        with pytest.raises(LedgerError, match="rotated out"):
            c.rollback(audience, to=1)
    assert [e.file_kept for e in entries] == [False, False, True]  # 3 x ~230 bytes, cap 400


# --- faults and concurrency ------------------------------------------------------------------


class Crash(BaseException):
    """The process dying right after CommBox applied the PUT."""


class CrashAfterSend(httpx.HTTPTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        super().handle_request(request).read()
        raise Crash


def test_a_crash_after_the_put_leaves_a_pending_entry_that_is_reported(
    emulator: CommBoxEmulator,
    audience: str,
    ledger_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with client(emulator, ledger_dir) as c:
        c.replace_audience(audience, csv_of(PHONES))
    crashing = client(emulator, ledger_dir, transport=CrashAfterSend())
    with crashing, pytest.raises(Crash):
        crashing.replace_audience(audience, csv_of(PHONES[:8]))
    assert len(emulator.state.rows(audience)) == 8  # CommBox applied it; the ledger never heard
    with client(emulator, ledger_dir) as c:
        planned = c.replace_audience(audience, csv_of(PHONES[:8]), dry_run=True)
        c.replace_audience(audience, csv_of(PHONES[:8]))
        statuses = [e.status for e in c.ledger.history(audience, host=c._host)]  # type: ignore[union-attr]
    assert planned.diff is not None
    # Behaviour changed: the basis is the last confirmed entry; the pending one is compared
    # too (it can only make the shrink guard stricter), and it removes nothing.
    assert (planned.diff.previous_entry, planned.diff.previous_status) == (1, "ok")
    assert planned.diff.removed == 2
    assert planned.diff.pending_entries == (2,)
    [pending] = planned.diff.uncertain
    assert (pending.entry_id, pending.status, pending.removed) == (2, "pending", 0)
    assert "were never confirmed" in caplog.text
    assert statuses == ["ok", "unconfirmed", "ok"]


def test_an_unknown_outcome_stays_pending(
    emulator: CommBoxEmulator, audience: str, ledger_dir: Path
) -> None:
    emulator.state.set_faults(drop_connections=9)
    with client(emulator, ledger_dir, max_attempts=2) as c:
        with pytest.raises(ap.CommBoxConnectionError):
            c.replace_audience(audience, csv_of(PHONES))
        [entry] = c.ledger.history(audience, host=c._host)  # type: ignore[union-attr]
    assert entry.status == "pending"


CONCURRENT = """
import sys
from audience_prep import CommBoxClient
url, token, ledger, name = sys.argv[1:]
with CommBoxClient(token=token, base_url=url, ledger_dir=ledger) as client:
    for _ in range(6):
        client.replace_audience("312345", b"phone1\\n+972502345678\\n", allow_shrink=True)
"""


def test_two_processes_uploading_at_once_do_not_corrupt_the_ledger(
    emulator: CommBoxEmulator, audience: str, ledger_dir: Path
) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    arguments = [emulator.url, emulator.token, str(ledger_dir)]
    processes = [
        subprocess.Popen([sys.executable, "-c", CONCURRENT, *arguments, name], env=env)
        for name in "ab"
    ]
    assert [p.wait(timeout=60) for p in processes] == [0, 0]
    entries = Ledger(ledger_dir).history(audience, host=f"127.0.0.1:{emulator.port}")
    assert [e.entry_id for e in entries] == list(range(1, 13))
    assert {e.status for e in entries} <= {"ok", "unconfirmed"}
    assert entries[-1].status == "ok"


def test_a_held_lock_times_out_as_a_ledger_error(
    emulator: CommBoxEmulator, audience: str, ledger_dir: Path
) -> None:
    with client(emulator, ledger_dir, ledger=Ledger(ledger_dir, lock_timeout=0.2)) as c:
        c.replace_audience(audience, csv_of(PHONES))
        [entry] = c.ledger.history(audience, host=c._host)  # type: ignore[union-attr]
        with filelock.FileLock(entry.directory / ".lock", thread_local=False):  # noqa: SIM117
            with pytest.raises(LedgerError, match="stayed locked"):
                c.replace_audience(audience, csv_of(PHONES))
    assert len(emulator.state.requests) == 1  # refused before anything was sent


def test_a_corrupt_entry_is_a_ledger_error(
    emulator: CommBoxEmulator, audience: str, ledger_dir: Path
) -> None:
    with client(emulator, ledger_dir) as c:
        c.replace_audience(audience, csv_of(PHONES))
        [entry] = c.ledger.history(audience, host=c._host)  # type: ignore[union-attr]
        (entry.directory / "000001.json").write_text("{not json")
        with pytest.raises(LedgerError, match="corrupt"):
            c.replace_audience(audience, csv_of(PHONES))


# --- privacy and secrets ---------------------------------------------------------------------


def test_hashes_mode_stores_no_raw_phones(
    emulator: CommBoxEmulator, audience: str, ledger_dir: Path
) -> None:
    ledger = Ledger(ledger_dir, mode="hashes")
    with client(emulator, ledger_dir, ledger=ledger) as c:
        c.replace_audience(audience, csv_of(PHONES))
        report = c.replace_audience(audience, csv_of(PHONES[:8]))
        with pytest.raises(LedgerError, match="no kept file"):
            c.rollback(audience, to=1)
    assert report.diff is not None
    assert (report.diff.removed, report.diff.kept, report.diff.hashed) == (2, 8, True)
    text = all_ledger_text(ledger_dir)
    for phone in PHONES:
        assert phone not in text
        assert phone.removeprefix("+") not in text
        assert phone[-7:] not in text
    salt = (ledger_dir / "salt").read_bytes().strip()
    assert len(salt) == 64
    members = next(ledger_dir.rglob("000001.members")).read_text().split()
    assert members == sorted(hash_member(member_key(p), salt) for p in PHONES)
    assert not list(ledger_dir.rglob("*.csv"))


def test_hashes_mode_refuses_to_keep_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="keeps no file copies"):
        Ledger(tmp_path, mode="hashes", keep_files=True)


def test_the_token_never_reaches_the_ledger(
    emulator: CommBoxEmulator, ledger_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    state = emulator.state
    state.token = TOKEN
    try:
        audience_id = state.add_audience(AUDIENCE)
        with CommBoxClient(token=TOKEN, base_url=emulator.url, ledger_dir=ledger_dir) as c:
            c.replace_audience(audience_id, csv_of(PHONES))
            c.replace_audience(audience_id, csv_of(PHONES[1:]))
            assert TOKEN not in repr(c.ledger)
    finally:
        state.token = emulator.token
    assert len(list(ledger_dir.rglob("*.json"))) == 2
    assert TOKEN not in all_ledger_text(ledger_dir)
    assert TOKEN not in caplog.text


def test_ledger_files_are_private(
    emulator: CommBoxEmulator, audience: str, ledger_dir: Path
) -> None:
    with client(emulator, ledger_dir) as c:
        c.replace_audience(audience, csv_of(PHONES))
    for path in ledger_dir.rglob("*"):
        mode = path.stat().st_mode & 0o777
        assert mode & 0o077 == 0, (path, oct(mode))


def test_the_async_client_records_and_guards(emulator: CommBoxEmulator, audience: str) -> None:
    async def run(directory: str) -> tuple[ap.UploadReport, ap.UploadReport]:
        async with AsyncCommBoxClient(
            token=emulator.token, base_url=emulator.url, ledger_dir=directory
        ) as c:
            first = await c.replace_audience(audience, csv_of(PHONES))
            with pytest.raises(ShrinkGuardError):
                await c.replace_audience(audience, csv_of(PHONES[:1]))
            await c.replace_audience(audience, csv_of(PHONES[:9]))
            return first, await c.rollback(audience)

    with tempfile.TemporaryDirectory() as directory:
        first, rolled = asyncio.run(run(directory))
        stored = sorted(Path(directory).rglob("*.json"))
        last = json.loads(stored[-1].read_text())
    assert (first.ledger_entry, rolled.ledger_entry, rolled.rollback_of) == (1, 3, 1)
    assert len(stored) == 3
    assert last["operation"] == "rollback"
    assert emulator.state.rows(audience) == rows_of(csv_of(PHONES))


@pytest.mark.parametrize(
    ("spelling", "key"),
    [
        ("https://api.commbox.io/", "api.commbox.io"),
        ("https://api.commbox.io", "api.commbox.io"),
        ("api.commbox.io", "api.commbox.io"),
        ("API.CommBox.io.", "api.commbox.io"),
        ("https://api.commbox.io:443/v1/", "api.commbox.io"),
        ("api.commbox.io:443", "api.commbox.io"),
        ("https://api.commbox.io:8443/", "api.commbox.io:8443"),
        ("http://127.0.0.1:8765/", "localhost:8765"),
        ("127.0.0.1:8765", "localhost:8765"),
        ("localhost:8765", "localhost:8765"),
        ("http://[::1]:8765", "localhost:8765"),
        ("[::1]:8765", "localhost:8765"),
        ("http://127.0.0.2:80/", "localhost"),
        (" https://api.commbox.io/ ", "api.commbox.io"),
    ],
)
def test_a_host_has_one_ledger_key_however_its_url_is_spelled(spelling: str, key: str) -> None:
    assert Ledger.host_key(spelling) == key


@pytest.mark.parametrize("bad", ["", "https://", "https://host:99999/"])
def test_a_base_url_without_a_host_or_with_a_bad_port_is_refused(bad: str) -> None:
    with pytest.raises(ConfigurationError):
        Ledger.host_key(bad)


def test_history_finds_an_audience_under_any_spelling_of_its_host_and_id(
    emulator: CommBoxEmulator, ledger_dir: Path, audience: str
) -> None:
    with client(emulator, ledger_dir) as c:
        c.replace_audience(audience, csv_of(PHONES))
    ledger = Ledger(ledger_dir)
    for host in (emulator.url, f"localhost:{emulator.port}", f"[::1]:{emulator.port}"):
        [entry] = ledger.history(f" {audience} ", host=host)
        assert entry.audience_id == audience


# --- client.history (issue 16, item 6) --------------------------------------------------------


def test_client_history_lists_the_audience_at_its_host(
    emulator: CommBoxEmulator, audience: str, ledger_dir: Path
) -> None:
    with client(emulator, ledger_dir) as c:
        c.replace_audience(audience, csv_of(PHONES))
        c.replace_audience(audience, csv_of(PHONES[:9]))
        entries = c.history(audience)
    assert [(e.entry_id, e.status) for e in entries] == [(1, "ok"), (2, "ok")]
    assert entries == Ledger(ledger_dir).history(audience, host=emulator.url)
    assert c.history("424242") == []

    async def run() -> list[ap.LedgerEntry]:
        async with AsyncCommBoxClient(
            token=emulator.token, base_url=emulator.url, ledger_dir=ledger_dir
        ) as a:
            return await a.history(f" {audience} ")

    assert asyncio.run(run()) == entries
    with (
        client(emulator, ledger_dir, ledger=False) as off,
        pytest.raises(ConfigurationError, match="History needs the ledger"),
    ):
        off.history(audience)


# --- what users see of a diff (issue 16, items 9 and 11) ----------------------------------------


def us_export(members: int = 5) -> bytes:
    """An export of New York mobiles written nationally: (212) 555-0326, -0327, ..."""
    lines = [f"P{n},(212) 555-03{n:02d}\n" for n in range(26, 26 + members)]
    return ("Name,Mobile\n" + "".join(lines)).encode()


def test_the_diff_shows_phones_as_the_file_writes_them(
    emulator: CommBoxEmulator, audience: str, ledger_dir: Path
) -> None:
    from audience_prep._display import diff_html

    e164 = ap.prepare(us_export(), region="US")
    with client(emulator, ledger_dir) as c:
        report = c.replace_audience(audience, e164, dry_run=True)
    assert report.diff is not None
    added = report.diff.frames()["added"]
    assert added["phone1"].to_list()[0] == "+12125550326"
    assert added.join(e164.frame, on="phone1").height == e164.frame.height == 5
    html = diff_html(report.diff)
    assert "+1212***0326" in html
    assert "12125550326" not in html


def test_removed_members_are_shown_as_the_previous_file_wrote_them(
    emulator: CommBoxEmulator, audience: str, ledger_dir: Path
) -> None:
    digits = ap.prepare(us_export(5), region="US", phone_format="digits")
    e164 = ap.prepare(us_export(4), region="US")  # the last member left out
    with client(emulator, ledger_dir) as c:
        first = c.replace_audience(audience, digits)
        report = c.replace_audience(audience, e164, dry_run=True, allow_shrink=True)
    assert first.diff is not None
    assert first.diff.frames()["added"]["phone1"].to_list()[0] == "12125550326"
    assert report.diff is not None
    assert (report.diff.added, report.diff.removed, report.diff.kept) == (0, 1, 4)
    frames = report.diff.frames()
    assert frames["removed"]["phone1"].to_list() == ["12125550330"]  # the digits entry's form
    assert frames["kept"]["phone1"].to_list()[0] == "+12125550326"  # the new file's form
    assert frames["kept"].join(e164.frame, on="phone1").height == 4


def test_a_mixed_file_shows_each_member_as_written(
    emulator: CommBoxEmulator, audience: str, ledger_dir: Path
) -> None:
    mixed = b"phone1\n+12125550326\n12125550327\n"
    with client(emulator, ledger_dir) as c:
        c.replace_audience(audience, mixed, validate=False)
        report = c.replace_audience(audience, csv_of(PHONES[:1]), dry_run=True, allow_shrink=True)
    assert report.diff is not None
    assert report.diff.frames()["removed"]["phone1"].to_list() == ["+12125550326", "12125550327"]


def test_a_first_upload_says_what_it_removes_is_unknown(
    emulator: CommBoxEmulator, audience: str, ledger_dir: Path
) -> None:
    with client(emulator, ledger_dir) as c:
        first = c.replace_audience(audience, csv_of(PHONES))
        again = c.replace_audience(audience, csv_of(PHONES), dry_run=True)
    assert first.diff is not None
    assert again.diff is not None
    assert (
        repr(first.diff) == "<ReplacementDiff audience='312345' first upload: +10, removed unknown>"
    )
    counts = first.to_dict()["diff"]
    assert (counts["added"], counts["removed"], counts["kept"], counts["removed_share"]) == (
        10, None, None, None,
    )  # fmt: skip
    assert json.loads(json.dumps(counts)) == counts
    assert first.diff.removed == 0  # what the guards read
    assert repr(again.diff) == (
        "<ReplacementDiff audience='312345' vs entry 1: +0 -0 =10 (0.0% removed)>"
    )
    assert again.to_dict()["diff"]["removed"] == 0


def test_the_diff_html_warns_of_uploads_never_confirmed(
    emulator: CommBoxEmulator, audience: str, ledger_dir: Path
) -> None:
    from audience_prep._display import diff_html

    with client(emulator, ledger_dir) as c:
        c.replace_audience(audience, csv_of(PHONES))
    with client(emulator, ledger_dir, transport=CrashAfterSend()) as crashing, pytest.raises(Crash):
        crashing.replace_audience(audience, csv_of(PHONES[:9]))
    with client(emulator, ledger_dir) as c:
        planned = c.replace_audience(audience, csv_of(PHONES[:9]), dry_run=True)
        c.replace_audience(audience, csv_of(PHONES[:9]))  # confirmed: entry 2 is history
        settled = c.replace_audience(audience, csv_of(PHONES[:9]), dry_run=True)
    assert planned.diff is not None
    assert planned.diff.previous_status == "ok"  # the basis is confirmed; entry 2 is not
    text = " ".join(diff_html(planned.diff).split())
    assert "Upload(s) 2 to this audience were never confirmed" in text
    assert "instead of entry 1" in text
    assert settled.diff is not None
    assert "never confirmed" not in diff_html(settled.diff)


def test_the_guard_messages_count_members(
    emulator: CommBoxEmulator, audience: str, ledger_dir: Path
) -> None:
    with client(emulator, ledger_dir) as c:
        with pytest.raises(ShrinkGuardError) as few:
            c.replace_audience(audience, csv_of(PHONES), min_rows=20)
        with pytest.raises(ap.EmptyAudienceError) as empty:
            c.replace_audience(audience, b"phone1\n")
    assert "the new audience has 10 members, fewer than the required 20" in str(few.value)
    assert (few.value.members, few.value.min_rows) == (10, 20)
    assert "with zero members (no phone1 value)" in str(empty.value)
    assert "rows" not in str(empty.value)

"""The ledger under faults and hostile files (issue 14): no guard bypass through entries that
were never confirmed, no crash on a stray or corrupt file.

Uploads go to the loopback emulator; the ledger lives in real files under ``tmp_path``.
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import httpx
import pytest

from audience_prep import CommBoxClient, Ledger, LedgerEntry
from audience_prep._errors import (
    CommBoxConnectionError,
    LedgerError,
    RateLimitedError,
    ShrinkGuardError,
)
from audience_prep._ledger.entries import STORED_FIELDS
from audience_prep.emulator import CommBoxEmulator

pytestmark = pytest.mark.loopback

AUDIENCE = "312345"
PHONES = [f"+97250{n:07d}" for n in range(1000)]


def csv_of(phones: list[str]) -> bytes:
    return ("phone1\n" + "".join(f"{phone}\n" for phone in phones)).encode()


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(emulator: CommBoxEmulator, ledger_dir: Path, **options: object) -> CommBoxClient:
    return CommBoxClient(
        token=emulator.token,
        base_url=emulator.url,
        sleep=Sleeps(),
        ledger_dir=ledger_dir,
        **options,  # type: ignore[arg-type]
    )


def statuses(c: CommBoxClient, audience_id: str = AUDIENCE) -> list[str]:
    assert c.ledger is not None
    return [entry.status for entry in c.ledger.history(audience_id, host=c.base_url)]


@pytest.fixture
def ledger_dir(tmp_path: Path) -> Path:
    return tmp_path / "ledger"


@pytest.fixture
def audience(emulator: CommBoxEmulator) -> str:
    return emulator.state.add_audience(AUDIENCE)


# --- 4. a pending entry is never the baseline --------------------------------------------------


def test_failed_steps_cannot_walk_an_audience_down(
    emulator: CommBoxEmulator, audience: str, ledger_dir: Path
) -> None:
    # The numbers: three steps of -24% that each end in a 429 (pending), then one
    # real upload, took 1,000 members to 332 with the guard at 30%.
    with client(emulator, ledger_dir, max_attempts=1) as c:
        c.replace_audience(audience, csv_of(PHONES))
        emulator.set_faults(rate_limited=1)
        with pytest.raises(RateLimitedError):
            c.replace_audience(audience, csv_of(PHONES[:760]))  # -24% of the confirmed 1,000
        for size in (578, 439, 332):  # -24% of the step before: -42%, -56%, -67% of 1,000
            with pytest.raises(ShrinkGuardError, match="of its 1000 current members"):
                c.replace_audience(audience, csv_of(PHONES[:size]))
        assert statuses(c) == ["ok", "pending"]
    assert len(emulator.state.rows(audience)) == 1000
    assert [r.status for r in emulator.state.requests] == [200, 429]


def test_a_pending_entry_only_makes_the_guard_stricter(
    emulator: CommBoxEmulator, audience: str, ledger_dir: Path
) -> None:
    confirmed, other = PHONES[:10], PHONES[500:510]
    with client(emulator, ledger_dir, max_attempts=1) as c:
        c.replace_audience(audience, csv_of(confirmed))
        emulator.set_faults(drop_connections=1)  # sent, and the outcome never known
        with pytest.raises(CommBoxConnectionError):
            c.replace_audience(audience, csv_of(other), allow_shrink=True)
        # 10% of the confirmed members, but every member of the pending upload
        with pytest.raises(ShrinkGuardError, match="remove 10 of its 10") as caught:
            c.replace_audience(audience, csv_of(confirmed[:9]))
        planned = c.replace_audience(
            audience, csv_of(confirmed[:9]), dry_run=True, allow_shrink=True
        )
    assert caught.value.previous_members == 10
    assert planned.diff is not None
    assert (planned.diff.previous_entry, planned.diff.removed) == (1, 1)
    [pending] = planned.diff.uncertain
    assert (pending.entry_id, pending.status, pending.removed) == (2, "pending", 10)
    assert planned.to_dict()["diff"]["uncertain"][0]["removed_share"] == 1.0


class LandsAfter(httpx.HTTPTransport):
    """Before sending its own upload, lets ``other()`` run a whole newer upload: the older
    request reaches CommBox, and its 200 comes back, after the newer one's."""

    def __init__(self, other: object) -> None:
        super().__init__()
        self.other = other

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.other()  # type: ignore[operator]
        return super().handle_request(request)


def test_an_older_upload_answered_last_is_not_the_current_state(
    emulator: CommBoxEmulator, audience: str, ledger_dir: Path
) -> None:
    base, extra = PHONES[:10], PHONES[900:905]
    older, newer = [*base, *extra], [*base, PHONES[999]]
    with client(emulator, ledger_dir) as c:
        c.replace_audience(audience, csv_of(base))

    def newer_upload() -> None:
        with client(emulator, ledger_dir) as inner:
            inner.replace_audience(audience, csv_of(newer), allow_shrink=True)

    with client(emulator, ledger_dir, transport=LandsAfter(newer_upload)) as outer:
        report = outer.replace_audience(audience, csv_of(older))
    assert report.ledger_entry == 2
    # CommBox applied the older upload last: the audience holds it, whatever the ledger says.
    assert len(emulator.state.rows(audience)) == 15
    with client(emulator, ledger_dir) as c:
        assert c.ledger is not None
        first, late, current = c.ledger.history(audience, host=c.base_url)
        assert (first.status, late.status, current.status) == ("ok", "unconfirmed", "ok")
        assert late.error is not None
        assert "newer entry 3" in late.error
        assert late.upload is not None  # CommBox's answer is kept
        # The newer entry stays the current state; the late one is checked too: going back
        # to the newer upload's members would remove 5 of the 15 the audience may hold.
        with pytest.raises(ShrinkGuardError, match="remove 5 of its 15"):
            c.replace_audience(audience, csv_of(newer))
        planned = c.replace_audience(audience, csv_of(newer), dry_run=True, allow_shrink=True)
        assert planned.diff is not None
        assert (planned.diff.previous_entry, planned.diff.removed) == (3, 0)
        assert planned.diff.pending_entries == (2,)
        # Once a newer upload is confirmed, the late one is history.
        c.replace_audience(audience, csv_of(newer), allow_shrink=True)
        after = c.replace_audience(audience, csv_of(newer), dry_run=True)
    assert after.diff is not None
    assert (after.diff.previous_entry, after.diff.uncertain) == (4, ())


def test_committing_an_older_entry_never_touches_a_newer_one(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    draft = LedgerEntry(
        entry_id=0, audience_id=AUDIENCE, host="api.commbox.io", status="pending",
        operation="replace", created_at="2025-01-01T00:00:00.000Z", rows=1, members=1,
        sha256="0" * 64, bytes=20, filename="audience.csv", mode="phones", manifest={},
    )  # fmt: skip
    older = ledger.begin(draft, frozenset({"972500000001"}), b"phone1\n+972500000001\n")
    newer = ledger.begin(draft, frozenset({"972500000002"}), b"phone1\n+972500000002\n")
    ledger.commit(newer, {"status_code": 200})
    ledger.commit(older, {"status_code": 200})
    first, second = ledger.history(AUDIENCE, host="api.commbox.io")
    assert (first.status, second.status) == ("unconfirmed", "ok")
    assert second.error is None


# --- 10. stray and corrupt files in the ledger directory ----------------------------------------


def entry_dir(ledger_dir: Path) -> Path:
    return next(ledger_dir.rglob("000001.json")).parent


def test_stray_files_are_ignored(
    emulator: CommBoxEmulator, audience: str, ledger_dir: Path
) -> None:
    with client(emulator, ledger_dir) as c:
        c.replace_audience(audience, csv_of(PHONES[:10]))
        directory = entry_dir(ledger_dir)
        for stray in ("000001 copy.json", "1.json", "0000001.json", "000002.json.bak",
                      "٠٠٠٠٠٢.json", "000009 copy.csv"):  # fmt: skip
            (directory / stray).write_bytes((directory / "000001.json").read_bytes())
        report = c.replace_audience(audience, csv_of(PHONES[:10]))
        assert c.ledger is not None
        history = c.ledger.history(audience, host=c.base_url)
    assert [e.entry_id for e in history] == [1, 2]
    assert report.ledger_entry == 2
    assert (directory / "000009 copy.csv").exists()  # not the ledger's: never rotated away


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("000001.members", b"\xff\xfe\x00garbage\x81", "members file"),
        ("000001.json", b"\xff\xfe\x00{\x81", "corrupt"),
        ("000001.json", b"[" * 100_000, "corrupt"),
        ("000001.json", b'{"entry_id": "1"}', "corrupt"),
    ],
    ids=["members-not-utf8", "json-not-utf8", "json-too-deep", "json-wrong-shape"],
)
def test_a_corrupt_file_is_a_ledger_error_naming_it(
    emulator: CommBoxEmulator,
    audience: str,
    ledger_dir: Path,
    name: str,
    content: bytes,
    why: str,
) -> None:
    with client(emulator, ledger_dir) as c:
        c.replace_audience(audience, csv_of(PHONES[:10]))
        path = entry_dir(ledger_dir) / name
        path.write_bytes(content)
        with pytest.raises(LedgerError, match=why) as caught:
            c.replace_audience(audience, csv_of(PHONES[:10]), dry_run=True)
    assert caught.value.path == str(path)
    assert str(path) in str(caught.value)
    assert len(emulator.state.requests) == 1  # nothing more was sent


@pytest.mark.parametrize(
    "change",
    [
        {"entry_id": 7},
        {"entry_id": True},
        {"status": "done"},
        {"rows": "10"},
        {"manifest": None},
        {"file": "../../../../etc/passwd"},
        {"file": "000002.csv"},
        {"unexpected": 1},
    ],
)
def test_an_entry_with_wrong_fields_is_corrupt(
    emulator: CommBoxEmulator, audience: str, ledger_dir: Path, change: dict[str, object]
) -> None:
    with client(emulator, ledger_dir) as c:
        c.replace_audience(audience, csv_of(PHONES[:10]))
    path = entry_dir(ledger_dir) / "000001.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **change}))
    with pytest.raises(LedgerError, match="corrupt") as caught:
        Ledger(ledger_dir).history(audience, host=emulator.url)
    assert caught.value.path == str(path)


def test_the_stored_field_table_covers_every_entry_field() -> None:
    assert set(STORED_FIELDS) == {f.name for f in fields(LedgerEntry)} - {"directory"}

"""prepare() + upload end to end over loopback: the emulator holds exactly the prepared rows."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

import audience_prep as ap
from audience_prep.emulator import CommBoxEmulator

SAMPLE = Path(ap.__file__).parent / "data" / "sample_export.csv"
OLD = [{"phone1": "+972509999999", "first_name": "Old"}, {"phone1": "+972508888888"}]

pytestmark = pytest.mark.loopback


def prepared_rows(prepared: ap.Prepared) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(prepared.to_csv().decode("utf-8"), newline=""))
    return list(reader)


def test_replace_with_a_prepared_audience(emulator: CommBoxEmulator) -> None:
    audience_id = emulator.state.add_audience("312345", rows=OLD)
    prepared = ap.prepare(SAMPLE, region="IL")
    with ap.CommBoxClient(token=emulator.token, base_url=emulator.url) as client:
        report = client.replace_audience(audience_id, prepared)
    stored = emulator.state.rows(audience_id)
    assert stored == prepared_rows(prepared)
    assert [row["phone1"] for row in stored] == prepared.frame["phone1"].to_list()
    assert not {row["phone1"] for row in OLD} & {row["phone1"] for row in stored}
    assert report.rows_uploaded == prepared.report.rows_written
    assert report.sha256 == prepared.report.sha256


def test_prepared_upload_convenience(emulator: CommBoxEmulator) -> None:
    audience_id = emulator.state.add_audience("312345", rows=OLD)
    prepared = ap.prepare(SAMPLE, region="IL", phone_format="digits")
    with ap.CommBoxClient(token=emulator.token, base_url=emulator.url) as client:
        report = prepared.upload(audience_id, client=client, dry_run=True)
        assert report.dry_run
        assert emulator.state.rows(audience_id) == OLD
        report = prepared.upload(audience_id, client=client)
    assert report.rows_uploaded == prepared.frame.height
    assert emulator.state.rows(audience_id)[0]["phone1"] == "972502345678"


def test_prepared_upload_uses_the_environment(
    emulator: CommBoxEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMMBOX_API_TOKEN", emulator.token)
    monkeypatch.setenv("COMMBOX_API_URL", emulator.url)
    audience_id = emulator.state.add_audience("312345", rows=OLD)
    report = ap.prepare(SAMPLE, region="IL").upload(audience_id)
    assert report.status_code == 200
    assert len(emulator.state.rows(audience_id)) == report.rows_uploaded


def test_rejected_share_guard_uses_the_prepared_report(emulator: CommBoxEmulator) -> None:
    audience_id = emulator.state.add_audience("312345", rows=OLD)
    prepared = ap.prepare(b"Phone\n0502345678\n12\n13\n", region="IL")
    with (
        ap.CommBoxClient(token=emulator.token, base_url=emulator.url) as client,
        pytest.raises(ap.RejectedShareError, match="2 of 3"),
    ):
        client.replace_audience(audience_id, prepared)
    assert emulator.state.rows(audience_id) == OLD


def test_empty_prepared_audience_is_refused(emulator: CommBoxEmulator) -> None:
    audience_id = emulator.state.add_audience("312345", rows=OLD)
    prepared = ap.prepare(b"Phone,Name\n", region="IL")
    with (
        ap.CommBoxClient(token=emulator.token, base_url=emulator.url) as client,
        pytest.raises(ap.EmptyAudienceError),
    ):
        client.replace_audience(audience_id, prepared)
    assert emulator.state.rows(audience_id) == OLD


def test_upload_progress_reports_the_bytes_streamed(emulator: CommBoxEmulator) -> None:
    audience_id = emulator.state.add_audience("312345", rows=OLD)
    prepared = ap.prepare(SAMPLE, region="IL")
    events: list[tuple[str, int, int | None]] = []
    with ap.CommBoxClient(token=emulator.token, base_url=emulator.url, ledger=False) as client:
        client.progress = lambda *event: events.append(event)
        client.replace_audience(audience_id, prepared)
    assert emulator.state.rows(audience_id) == prepared_rows(prepared)
    assert {stage for stage, _, _ in events} == {"upload"}
    sent = [done for _, done, _ in events]
    total = events[-1][2]
    assert sent == sorted(sent)
    assert sent[0] == 0
    assert sent[-1] == total
    assert total is not None
    assert total > len(prepared.to_csv())  # the multipart body wraps the CSV


def test_async_upload_progress(emulator: CommBoxEmulator) -> None:
    import asyncio

    audience_id = emulator.state.add_audience("312345", rows=OLD)
    prepared = ap.prepare(SAMPLE, region="IL")
    events: list[tuple[str, int, int | None]] = []

    async def upload() -> None:
        async with ap.AsyncCommBoxClient(
            token=emulator.token, base_url=emulator.url, ledger=False
        ) as client:
            client.progress = lambda *event: events.append(event)
            await client.replace_audience(audience_id, prepared)

    asyncio.run(upload())
    assert emulator.state.rows(audience_id) == prepared_rows(prepared)
    assert events[-1][1] == events[-1][2]

"""The CommBox emulator speaks the documented contract, in-process and over loopback."""

from __future__ import annotations

import asyncio
import io
import re
import socket
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from audience_prep import AuthenticationError, UploadReport
from audience_prep.emulator import (
    CommBoxEmulator,
    EmulatorState,
    Faults,
    InProcessEmulator,
    SyncASGITransport,
    create_app,
)
from audience_prep.emulator.files import AudienceFileError, parse_audience_file

TOKEN = "emulator-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CSV = b"phone1,first_name\n+972501234567,Dana\n"
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def call(
    state: EmulatorState,
    method: str,
    path: str,
    *,
    headers: Mapping[str, str] = AUTH,
    files: Any = None,
    data: Any = None,
    json: Any = None,
) -> httpx.Response:
    """One request to the emulator in-process, through httpx.ASGITransport."""

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(state))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.request(
                method, path, headers=headers, files=files, data=data, json=json
            )

    return asyncio.run(send())


def upload(content: bytes = CSV, filename: str = "audience.csv") -> dict[str, Any]:
    return {"audience_file": (filename, content, "text/csv")}


@pytest.fixture
def state() -> EmulatorState:
    state = EmulatorState(token=TOKEN)
    state.add_audience("312345", name="static", rows=[{"phone1": "+972500000001"}])
    state.add_audience("777", name="dynamic", dynamic=True)
    return state


def assert_commbox_body(response: httpx.Response, status: int, description: str) -> None:
    body = response.json()
    assert response.status_code == status
    assert (body["status"], body["description"]) == (status, description)
    assert ISO_MS.match(body["response_time"])


# --- the contract ----------------------------------------------------------------------------


def test_a_put_replaces_every_member(state: EmulatorState) -> None:
    response = call(state, "PUT", "/Audiences/312345", files=upload())
    assert_commbox_body(response, 200, "Operation successful")
    assert response.json()["data"] == {"id": "312345"}
    assert state.rows("312345") == [{"phone1": "+972501234567", "first_name": "Dana"}]
    assert state.audience("312345").uploads == 1


@pytest.mark.parametrize(
    ("headers", "path", "files", "status", "description"),
    [
        ({}, "/Audiences/312345", upload(), 401, "Unauthorized"),
        ({"Authorization": "Bearer nope"}, "/Audiences/312345", upload(), 401, "Unauthorized"),
        ({"Authorization": TOKEN}, "/Audiences/312345", upload(), 401, "Unauthorized"),
        (AUTH, "/Audiences/404", upload(), 404, "Not Found"),
        (AUTH, "/Audiences/777", upload(), 400, "Bad Request"),
        (AUTH, "/Audiences/312345", upload(b"mobile\n+972501234567\n"), 400, "Bad Request"),
        (AUTH, "/Audiences/312345", upload(b"phone1\n\xff\xfe\n"), 400, "Bad Request"),
        (AUTH, "/Audiences/312345", upload(b"phone1\n+1,extra\n"), 400, "Bad Request"),
        (AUTH, "/Audiences/312345", upload(b"phone1,phone1\n+1,+2\n"), 400, "Bad Request"),
        (AUTH, "/Audiences/312345", upload(b""), 400, "Bad Request"),
        (AUTH, "/Audiences/312345", None, 400, "Bad Request"),
        (AUTH, "/Audiences/312345", {"other_file": ("a.csv", CSV)}, 400, "Bad Request"),
    ],
)
def test_refusals_follow_the_contract(
    state: EmulatorState,
    headers: dict[str, str],
    path: str,
    files: Any,
    status: int,
    description: str,
) -> None:
    response = call(state, "PUT", path, headers=headers, files=files)
    assert_commbox_body(response, status, description)
    assert "data" not in response.json()
    assert state.rows("312345") == [{"phone1": "+972500000001"}]
    assert state.requests[-1].status == status


def test_a_put_with_another_field_is_refused(state: EmulatorState) -> None:
    response = call(state, "PUT", "/Audiences/312345", files=upload(), data={"name": "x"})
    assert_commbox_body(response, 400, "Bad Request")
    assert state.requests[-1].detail is not None
    assert "only the audience_file field" in state.requests[-1].detail


def test_a_post_creates_a_static_audience(state: EmulatorState) -> None:
    response = call(state, "POST", "/audiences", files=upload(), data={"name": "NE_USA-above50"})
    assert_commbox_body(response, 200, "Operation successful")
    new_id = response.json()["data"]["id"]
    created = state.audience(new_id)
    assert (created.name, created.dynamic, len(created.rows)) == ("NE_USA-above50", False, 1)


def test_a_post_without_a_name_is_refused(state: EmulatorState) -> None:
    assert_commbox_body(call(state, "POST", "/audiences", files=upload()), 400, "Bad Request")


def test_an_excel_upload_is_read_as_text(state: EmulatorState) -> None:
    xlsxwriter = pytest.importorskip("xlsxwriter")
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer) as book:
        sheet = book.add_worksheet()
        sheet.write_row(0, 0, ["phone1", "age", "note"])
        sheet.write_row(1, 0, ["972501234567", 42])
    files = {"audience_file": ("audience.xlsx", buffer.getvalue(), "application/octet-stream")}
    assert call(state, "PUT", "/Audiences/312345", files=files).status_code == 200
    assert state.rows("312345") == [{"phone1": "972501234567", "age": "42", "note": ""}]


# --- faults ----------------------------------------------------------------------------------


def test_rate_limiting_with_and_without_retry_after(state: EmulatorState) -> None:
    state.set_faults(rate_limited=1, retry_after="3")
    first = call(state, "PUT", "/Audiences/312345", files=upload())
    assert_commbox_body(first, 429, "Too Many Requests – Rate limit exceeded")
    assert first.headers["retry-after"] == "3"
    state.set_faults(rate_limited=1)
    second = call(state, "PUT", "/Audiences/312345", files=upload())
    assert (second.status_code, "retry-after" in second.headers) == (429, False)
    assert call(state, "PUT", "/Audiences/312345", files=upload()).status_code == 200


def test_server_errors_are_counted_down(state: EmulatorState) -> None:
    state.set_faults(server_errors=2)
    statuses = [call(state, "PUT", "/Audiences/312345", files=upload()).status_code]
    statuses += [call(state, "PUT", "/Audiences/312345", files=upload()).status_code]
    statuses += [call(state, "PUT", "/Audiences/312345", files=upload()).status_code]
    assert statuses == [500, 500, 200]
    assert state.faults.server_errors == 0


def test_emulator_endpoints_are_never_faulted(state: EmulatorState) -> None:
    state.set_faults(server_errors=5, drop_connections=5)
    assert call(state, "GET", "/_emulator/audiences/312345").status_code == 200
    assert state.faults == Faults(server_errors=5, drop_connections=5)


def test_a_dropped_connection_in_process_is_a_transport_error(state: EmulatorState) -> None:
    state.set_faults(drop_connections=1)
    with pytest.raises(httpx.RemoteProtocolError):
        call(state, "PUT", "/Audiences/312345", files=upload())
    assert state.requests[-1].status is None


def test_unknown_fault_settings_are_refused(state: EmulatorState) -> None:
    with pytest.raises(ValueError, match="unknown fault settings"):
        state.set_faults(rate_limit=1)
    for bad in ({"bogus": 1}, {"rate_limited": "2"}, {"delay_s": -1}, [1]):
        assert call(state, "PUT", "/_emulator/faults", json=bad).status_code == 422
    with pytest.raises(ValueError, match="non-negative"):
        Faults(server_errors=-1)


# --- emulator-only endpoints -----------------------------------------------------------------


def test_seed_read_faults_requests_and_reset_over_http(state: EmulatorState) -> None:
    seeded = call(state, "POST", "/_emulator/audiences", json={"rows": [{"phone1": "+1"}]})
    assert seeded.status_code == 201
    new_id = seeded.json()["id"]
    read = call(state, "GET", f"/_emulator/audiences/{new_id}").json()
    assert (read["rows"], read["dynamic"]) == ([{"phone1": "+1"}], False)
    assert call(state, "GET", "/_emulator/audiences/nope").status_code == 404
    faults = call(state, "PUT", "/_emulator/faults", json={"rate_limited": 2, "retry_after": "1"})
    assert faults.json()["rate_limited"] == 2
    assert call(state, "GET", "/_emulator/faults").json()["retry_after"] == "1"
    call(state, "PUT", "/Audiences/312345", files=upload())
    (seen,) = call(state, "GET", "/_emulator/requests").json()
    assert (seen["status"], seen["path"]) == (429, "/Audiences/312345")
    assert call(state, "POST", "/_emulator/reset").status_code == 204
    assert (state.requests, state.find("312345"), state.faults) == ([], None, Faults())


def test_a_bad_seed_is_refused(state: EmulatorState) -> None:
    response = call(state, "POST", "/_emulator/audiences", json={"rows": "not a list"})
    assert response.status_code == 422


def test_requests_never_keep_the_token(state: EmulatorState) -> None:
    call(state, "PUT", "/Audiences/312345", files=upload())
    assert TOKEN not in repr(state.requests)


# --- parsing uploaded files ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "rows"),
    [
        (b"phone1\n+1\n", [{"phone1": "+1"}]),
        (b"\xef\xbb\xbfphone1,a\r\n+1,x\r\n", [{"phone1": "+1", "a": "x"}]),
        (
            b'phone1,a\n+1,"x\ny"\n\n+2\n',
            [{"phone1": "+1", "a": "x\ny"}, {"phone1": "+2", "a": ""}],
        ),
        (b"phone1\n", []),
    ],
)
def test_csv_files_are_parsed(content: bytes, rows: list[dict[str, str]]) -> None:
    assert parse_audience_file(content, "audience.csv") == rows


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"mobile\n+1\n", "no phone1"),
        (b"phone1\n+1,+2\n", "more cells"),
        (b"phone1,a,a\n", "duplicate"),
        (b"phone1\n\xff\n", "not UTF-8"),
        (b"PK\x03\x04garbage", "Excel"),
    ],
)
def test_unreadable_files_are_refused(content: bytes, reason: str) -> None:
    with pytest.raises(AudienceFileError, match=reason):
        parse_audience_file(content, None)


# --- over loopback ---------------------------------------------------------------------------


@pytest.mark.loopback
def test_the_emulator_serves_and_stops_cleanly() -> None:
    with CommBoxEmulator(token=TOKEN) as emulator:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", emulator.url)
        assert emulator.port > 0
        audience_id = emulator.state.add_audience(rows=[])
        with httpx.Client(base_url=emulator.url) as client:
            response = client.put(f"Audiences/{audience_id}", headers=AUTH, files=upload())
            seen = client.get(f"_emulator/audiences/{audience_id}").json()
        assert response.status_code == 200
        assert seen["rows"] == [{"phone1": "+972501234567", "first_name": "Dana"}]
    with socket.create_server(("127.0.0.1", emulator.port)):
        pass  # the port was released


@pytest.mark.loopback
def test_a_dropped_connection_over_loopback_is_a_transport_error(
    emulator: CommBoxEmulator,
) -> None:
    audience_id = emulator.state.add_audience(rows=[])
    emulator.set_faults(drop_connections=1)
    auth = {"Authorization": f"Bearer {emulator.token}"}
    with httpx.Client(base_url=emulator.url) as client:
        with pytest.raises(httpx.TransportError):
            client.put(f"Audiences/{audience_id}", headers=auth, files=upload())
        assert client.put(f"Audiences/{audience_id}", headers=auth, files=upload()).is_success


@pytest.mark.loopback
def test_a_delay_holds_the_answer_back(emulator: CommBoxEmulator) -> None:
    audience_id = emulator.state.add_audience(rows=[])
    emulator.set_faults(delay_s=1.0)
    auth = {"Authorization": f"Bearer {emulator.token}"}
    with httpx.Client(base_url=emulator.url, timeout=0.2) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.put(f"Audiences/{audience_id}", headers=auth, files=upload())
        emulator.set_faults(delay_s=0.05)
        assert client.put(f"Audiences/{audience_id}", headers=auth, files=upload()).is_success
    deadline = time.monotonic() + 5
    while len(emulator.state.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sorted(str(r.status) for r in emulator.state.requests) == ["200", "None"]


def test_the_emulator_cannot_start_twice() -> None:
    with CommBoxEmulator() as emulator, pytest.raises(RuntimeError, match="already running"):
        emulator.start()


# --- one line to a client, in-process or over loopback (issue 16, item 16) ----------------------

VALID = b"phone1,first_name\n+972502345678,Dana\n"
VALID_ROWS = [{"phone1": "+972502345678", "first_name": "Dana"}]


def no_sleep(_: float) -> None:
    return None


async def no_async_sleep(_: float) -> None:
    return None


def test_the_in_process_emulator_serves_the_blocking_client(tmp_path: Path) -> None:
    emulator = InProcessEmulator(token=TOKEN)
    assert (emulator.url, emulator.token) == ("http://127.0.0.1/", TOKEN)
    audience_id = emulator.state.add_audience(rows=[{"phone1": "+972500000001"}])
    emulator.set_faults(drop_connections=1, server_errors=1)
    events: list[tuple[str, int, int | None]] = []
    with emulator.client(ledger_dir=tmp_path, sleep=no_sleep) as client:
        client.progress = lambda *event: events.append(event)
        report = client.replace_audience(audience_id, VALID)
        created = client.create_audience("new", VALID)
        entries = client.history(audience_id)
    assert (report.status_code, report.attempts) == (200, 3)  # a drop and a 500, retried
    assert emulator.state.rows(audience_id) == VALID_ROWS
    assert created.audience_id is not None
    assert emulator.state.rows(created.audience_id) == VALID_ROWS
    assert [(r.status, r.detail) for r in emulator.state.requests][:2] == [
        (None, "connection dropped (fault)"),
        (500, "server_error (fault)"),
    ]
    assert [e.status for e in entries] == ["ok"]
    assert events[-1][1] == events[-1][2]  # the streamed body reached the app whole


def test_the_in_process_emulator_serves_the_async_client() -> None:
    emulator = InProcessEmulator()
    audience_id = emulator.state.add_audience(rows=[])
    emulator.set_faults(drop_connections=1)

    async def run() -> UploadReport:
        async with emulator.async_client(ledger=False, sleep=no_async_sleep) as client:
            return await client.replace_audience(audience_id, VALID)

    assert asyncio.run(run()).attempts == 2
    assert emulator.state.rows(audience_id) == VALID_ROWS


def test_a_client_with_another_token_is_refused_in_process() -> None:
    with InProcessEmulator() as emulator:
        audience_id = emulator.state.add_audience(rows=[])
        with (
            emulator.client(token="wrong", ledger=False) as client,
            pytest.raises(AuthenticationError),
        ):
            client.replace_audience(audience_id, VALID)
    assert emulator.state.requests[0].status == 401


def test_the_sync_asgi_transport_answers_an_httpx_client(state: EmulatorState) -> None:
    transport = SyncASGITransport(create_app(state))
    with httpx.Client(transport=transport, base_url="http://127.0.0.1") as client:
        response = client.put("/Audiences/312345", headers=AUTH, files=upload())
        seen = client.get("/_emulator/audiences/312345").json()
    assert_commbox_body(response, 200, "Operation successful")
    assert seen["rows"] == [{"phone1": "+972501234567", "first_name": "Dana"}]


@pytest.mark.loopback
def test_the_served_emulator_hands_out_clients(emulator: CommBoxEmulator, tmp_path: Path) -> None:
    audience_id = emulator.state.add_audience(rows=[])
    with emulator.client(ledger_dir=tmp_path) as client:
        assert client.base_url == emulator.url
        client.replace_audience(audience_id, VALID)

    async def run() -> UploadReport:
        async with emulator.async_client(ledger_dir=tmp_path) as client:
            return await client.replace_audience(audience_id, VALID)

    assert asyncio.run(run()).status_code == 200
    assert [r.status for r in emulator.state.requests] == [200, 200]

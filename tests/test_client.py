"""CommBoxClient and AsyncCommBoxClient against the emulator, over loopback and in-process."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from audience_prep import AsyncCommBoxClient, CommBoxClient, UploadReport
from audience_prep._errors import (
    AudienceNotFoundError,
    AudienceRejectedError,
    AuthenticationError,
    CommBoxConnectionError,
    CommBoxError,
    CommBoxServerError,
    ConfigurationError,
    EmptyAudienceError,
    InvalidAudienceFileError,
    RateLimitedError,
    RejectedShareError,
    SourceReadError,
    UnexpectedResponseError,
)
from audience_prep._upload.payload import count_csv_rows
from audience_prep._upload.responses import retry_after_seconds
from audience_prep.emulator import CommBoxEmulator, EmulatorState, create_app

CSV = b'phone1,first_name,notes\n+972502345678,Dana,"two\nlines"\n+972523456789,Avi,\n'
ROWS = [
    {"phone1": "+972502345678", "first_name": "Dana", "notes": "two\nlines"},
    {"phone1": "+972523456789", "first_name": "Avi", "notes": ""},
]
OLD_MEMBERS = [{"phone1": "+972500000001"}, {"phone1": "+972500000002"}]
TOKEN = "tok-SECRET-d3adb33f-never-print-me"
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@dataclass
class _Counts:
    rows_read: int
    rows_rejected: int


@dataclass
class FakePrepared:
    """Satisfies SupportsAudienceBytes, as audience_prep.Prepared does."""

    csv: bytes
    report: _Counts

    def to_csv(self) -> bytes:
        return self.csv


class Sleeps(list[float]):
    """An injected sleep that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client_for(
    emulator: CommBoxEmulator, sleeps: Sleeps | None = None, **options: object
) -> CommBoxClient:
    return CommBoxClient(
        token=emulator.token,
        base_url=emulator.url,
        sleep=Sleeps() if sleeps is None else sleeps,
        **options,  # type: ignore[arg-type]
    )


def seeded(emulator: CommBoxEmulator, *, dynamic: bool = False) -> str:
    return emulator.state.add_audience("312345", dynamic=dynamic, rows=OLD_MEMBERS)


pytestmark = pytest.mark.loopback


# --- the happy path --------------------------------------------------------------------------


def test_replace_leaves_exactly_the_uploaded_rows(emulator: CommBoxEmulator) -> None:
    audience_id = seeded(emulator)
    with client_for(emulator) as client:
        report = client.replace_audience(audience_id, CSV)
    assert emulator.state.rows(audience_id) == ROWS  # nothing lost, nothing left over
    assert report.rows_uploaded == 2  # the quoted newline is not a third record
    assert report.bytes_uploaded == len(CSV)
    assert report.status_code == 200
    assert report.description == "Operation successful"
    assert report.response_time is not None
    assert ISO_MS.match(report.response_time)
    assert report.attempts == 1
    assert not report.dry_run
    assert report.sha256 == emulator.state.audience(audience_id).last_sha256


def test_the_request_is_one_multipart_part_named_audience_file(emulator: CommBoxEmulator) -> None:
    audience_id = seeded(emulator)
    with client_for(emulator) as client:
        client.replace_audience(audience_id, CSV)
    (seen,) = emulator.state.requests
    assert (seen.method, seen.path, seen.status) == ("PUT", "/Audiences/312345", 200)
    assert seen.fields == ("audience_file",)
    assert (seen.filename, seen.content_type) == ("audience.csv", "text/csv")


def test_report_to_dict_has_the_documented_keys(emulator: CommBoxEmulator) -> None:
    audience_id = seeded(emulator)
    with client_for(emulator) as client:
        report = client.replace_audience(audience_id, CSV)
    documented = {
        "audience_id", "rows_uploaded", "bytes_uploaded", "sha256", "status_code",
        "description", "response_time", "attempts", "elapsed_s", "dry_run",
    }  # fmt: skip
    assert documented <= set(report.to_dict())
    assert report.to_dict()["audience_id"] == "312345"
    assert "rows=2" in repr(report)
    assert "status 200" in repr(report)


def test_a_prepared_object_is_uploaded_through_to_csv(emulator: CommBoxEmulator) -> None:
    audience_id = seeded(emulator)
    prepared = FakePrepared(CSV, _Counts(rows_read=3, rows_rejected=1))
    with client_for(emulator) as client:
        report = client.replace_audience(audience_id, prepared)
    assert report.rows_uploaded == 2
    assert emulator.state.rows(audience_id) == ROWS


def test_a_csv_path_is_uploaded(emulator: CommBoxEmulator, tmp_path: Path) -> None:
    audience_id = seeded(emulator)
    path = tmp_path / "audience.csv"
    path.write_bytes(CSV)
    with client_for(emulator) as client:
        client.replace_audience(audience_id, path)
    assert emulator.state.rows(audience_id) == ROWS


def test_an_xlsx_path_is_uploaded_as_excel(emulator: CommBoxEmulator, tmp_path: Path) -> None:
    xlsxwriter = pytest.importorskip("xlsxwriter")
    path = tmp_path / "members.xlsx"
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet()
        for r, row in enumerate([["phone1", "first_name"], ["+972502345678", "Dana"]]):
            sheet.write_row(r, 0, row)
    audience_id = seeded(emulator)
    with client_for(emulator) as client:
        report = client.replace_audience(audience_id, str(path))
    assert (report.rows_uploaded, report.filename) == (1, "audience.xlsx")
    assert emulator.state.requests[0].content_type is not None
    assert "spreadsheetml" in emulator.state.requests[0].content_type
    assert emulator.state.rows(audience_id) == [{"phone1": "+972502345678", "first_name": "Dana"}]


def test_create_audience_returns_the_new_id(emulator: CommBoxEmulator) -> None:
    with client_for(emulator) as client:
        report = client.create_audience("NE_USA-above50", CSV)
    assert report.audience_id is not None
    assert report.operation == "create"
    created = emulator.state.audience(report.audience_id)
    assert (created.name, created.rows) == ("NE_USA-above50", ROWS)
    assert emulator.state.requests[0].fields == ("name", "audience_file")
    assert emulator.state.requests[0].path == "/audiences"


def test_create_is_retried_only_when_commbox_cannot_have_acted(
    emulator: CommBoxEmulator,
) -> None:
    emulator.set_faults(rate_limited=1, retry_after="2")
    sleeps = Sleeps()
    with client_for(emulator, sleeps) as client:
        assert client.create_audience("throttled once", CSV).attempts == 2
        emulator.set_faults(server_errors=1)
        with pytest.raises(CommBoxServerError) as server:
            client.create_audience("maybe created", CSV)
        emulator.set_faults(drop_connections=1)
        with pytest.raises(CommBoxConnectionError) as dropped:
            client.create_audience("maybe created", CSV)
    assert (server.value.attempts, dropped.value.attempts, sleeps) == (1, 1, [2.0])


# --- every status of the contract -----------------------------------------------------------


@pytest.mark.parametrize(
    ("setup", "error", "status", "description"),
    [
        ("dynamic", AudienceRejectedError, 400, "Bad Request"),
        ("bad_token", AuthenticationError, 401, "Unauthorized"),
        ("unknown_id", AudienceNotFoundError, 404, "Not Found"),
        ("rate_limited", RateLimitedError, 429, "Too Many Requests – Rate limit exceeded"),
        ("server_error", CommBoxServerError, 500, "Server Error"),
    ],
)
def test_each_error_status_maps_to_its_exception(
    emulator: CommBoxEmulator,
    setup: str,
    error: type[CommBoxError],
    status: int,
    description: str,
) -> None:
    audience_id = seeded(emulator, dynamic=setup == "dynamic")
    emulator.set_faults(
        rate_limited=9 if setup == "rate_limited" else 0,
        server_errors=9 if setup == "server_error" else 0,
    )
    token = "wrong" if setup == "bad_token" else emulator.token
    target = "999" if setup == "unknown_id" else audience_id
    options = {"sleep": Sleeps(), "max_attempts": 2, "ledger": False}
    with (
        CommBoxClient(token=token, base_url=emulator.url, **options) as c,  # type: ignore[arg-type]
        pytest.raises(error) as caught,
    ):
        c.replace_audience(target, CSV)
    exc = caught.value
    assert (exc.status_code, exc.description) == (status, description)
    assert exc.response_time is not None
    assert ISO_MS.match(exc.response_time)
    assert exc.attempts == (2 if error.retryable else 1)
    assert str(status) in str(exc)
    assert emulator.state.rows(audience_id) == OLD_MEMBERS  # a refused upload changes nothing


def test_a_file_without_phone1_is_refused_before_sending(emulator: CommBoxEmulator) -> None:
    # Behaviour changed: the file is validated first (InvalidAudienceFileError, its
    # phone_column check); without validation the member count still refuses it.
    audience_id = seeded(emulator)
    with client_for(emulator, ledger=False) as client:
        with pytest.raises(InvalidAudienceFileError, match="no 'phone1' column") as caught:
            client.replace_audience(audience_id, b"mobile\n+972502345678\n")
        with pytest.raises(SourceReadError, match="no 'phone1' column"):
            client.replace_audience(audience_id, b"mobile\n+972502345678\n", validate=False)
    assert caught.value.counts == {"phone_column": 1}
    assert emulator.state.requests == []
    assert emulator.state.rows(audience_id) == OLD_MEMBERS


def test_terminal_errors_are_not_retried(emulator: CommBoxEmulator) -> None:
    sleeps = Sleeps()
    with client_for(emulator, sleeps) as client, pytest.raises(AudienceNotFoundError):
        client.replace_audience("404404", CSV)
    assert sleeps == []
    assert len(emulator.state.requests) == 1


# --- retries ---------------------------------------------------------------------------------


def test_retry_after_in_seconds_is_honoured(emulator: CommBoxEmulator) -> None:
    audience_id = seeded(emulator)
    emulator.set_faults(rate_limited=2, retry_after="7")
    sleeps = Sleeps()
    with client_for(emulator, sleeps) as client:
        report = client.replace_audience(audience_id, CSV)
    assert sleeps == [7.0, 7.0]
    assert report.attempts == 3
    assert emulator.state.rows(audience_id) == ROWS


def test_retry_after_as_an_http_date_is_honoured(emulator: CommBoxEmulator) -> None:
    audience_id = seeded(emulator)
    when = datetime.now(UTC) + timedelta(seconds=30)
    emulator.set_faults(rate_limited=1, retry_after=email.utils.format_datetime(when, usegmt=True))
    sleeps = Sleeps()
    with client_for(emulator, sleeps) as client:
        client.replace_audience(audience_id, CSV)
    assert len(sleeps) == 1
    assert 25 < sleeps[0] <= 30


def test_without_retry_after_the_backoff_grows(emulator: CommBoxEmulator) -> None:
    audience_id = seeded(emulator)
    emulator.set_faults(server_errors=3)
    sleeps = Sleeps()
    with client_for(emulator, sleeps) as client:
        report = client.replace_audience(audience_id, CSV)
    assert report.attempts == 4
    assert [int(s) for s in sleeps] == [1, 2, 4]  # 2**n seconds plus up to 1 s of jitter


def test_exhausted_retries_raise_the_last_error_with_attempts(emulator: CommBoxEmulator) -> None:
    audience_id = seeded(emulator)
    emulator.set_faults(rate_limited=10, retry_after="1")
    sleeps = Sleeps()
    with (
        client_for(emulator, sleeps, max_attempts=3) as client,
        pytest.raises(RateLimitedError, match="after 3 attempts") as caught,
    ):
        client.replace_audience(audience_id, CSV)
    assert caught.value.attempts == 3
    assert sleeps == [1.0, 1.0]
    assert len(emulator.state.requests) == 3


def test_a_retry_after_beyond_the_time_budget_is_not_waited(emulator: CommBoxEmulator) -> None:
    audience_id = seeded(emulator)
    emulator.set_faults(rate_limited=1, retry_after="3600")
    sleeps = Sleeps()
    with (
        client_for(emulator, sleeps, max_retry_time=60) as client,
        pytest.raises(RateLimitedError) as caught,
    ):
        client.replace_audience(audience_id, CSV)
    assert (caught.value.attempts, sleeps) == (1, [])


def test_a_timeout_is_retried_then_raised(emulator: CommBoxEmulator) -> None:
    audience_id = seeded(emulator)
    emulator.set_faults(delay_s=2.0)
    with (
        client_for(emulator, timeout=0.2, max_attempts=2) as client,
        pytest.raises(CommBoxConnectionError, match="ReadTimeout") as caught,
    ):
        client.replace_audience(audience_id, CSV)
    assert caught.value.attempts == 2
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert emulator.state.rows(audience_id) == OLD_MEMBERS
    # The emulator notices each abandoned request and answers nothing.
    deadline = time.monotonic() + 5
    while len(emulator.state.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [(r.status, r.detail) for r in emulator.state.requests] == [
        (None, "client went away")
    ] * 2


def test_a_connection_dropped_mid_upload_is_retried(emulator: CommBoxEmulator) -> None:
    audience_id = seeded(emulator)
    big = b"phone1,notes\n" + b"".join(b"+9725%08d,%s\n" % (i, b"x" * 200) for i in range(5000))
    emulator.set_faults(drop_connections=1)
    sleeps = Sleeps()
    with client_for(emulator, sleeps) as client:
        report = client.replace_audience(audience_id, big)
    assert (report.attempts, len(sleeps), report.rows_uploaded) == (2, 1, 5000)
    assert len(emulator.state.rows(audience_id)) == 5000
    assert [r.status for r in emulator.state.requests] == [None, 200]


def test_dropped_connections_exhaust_into_a_connection_error(emulator: CommBoxEmulator) -> None:
    audience_id = seeded(emulator)
    emulator.set_faults(drop_connections=5)
    with (
        client_for(emulator, max_attempts=3) as client,
        pytest.raises(CommBoxConnectionError) as caught,
    ):
        client.replace_audience(audience_id, CSV)
    assert caught.value.attempts == 3
    assert isinstance(caught.value.__cause__, httpx.TransportError)
    assert emulator.state.rows(audience_id) == OLD_MEMBERS


def test_an_unreachable_server_is_a_connection_error() -> None:
    with CommBoxEmulator() as stopped:
        url = stopped.url  # the port is free again once the emulator has stopped
    with (
        CommBoxClient(token=TOKEN, base_url=url, sleep=Sleeps(), max_attempts=2) as client,
        pytest.raises(CommBoxConnectionError, match="ConnectError") as caught,
    ):
        client.replace_audience("1", CSV)
    assert caught.value.attempts == 2


# --- guards ----------------------------------------------------------------------------------


def test_zero_rows_are_refused_and_nothing_is_sent(emulator: CommBoxEmulator) -> None:
    audience_id = seeded(emulator)
    with client_for(emulator) as client, pytest.raises(EmptyAudienceError, match="allow_empty"):
        client.replace_audience(audience_id, b"phone1\n")
    assert emulator.state.requests == []
    assert emulator.state.rows(audience_id) == OLD_MEMBERS


def test_zero_rows_are_uploaded_when_allowed(emulator: CommBoxEmulator) -> None:
    audience_id = seeded(emulator)
    with client_for(emulator) as client:
        report = client.replace_audience(audience_id, b"phone1\n", allow_empty=True)
    assert report.rows_uploaded == 0
    assert emulator.state.rows(audience_id) == []


def test_too_many_rejects_are_refused(emulator: CommBoxEmulator) -> None:
    audience_id = seeded(emulator)
    prepared = FakePrepared(CSV, _Counts(rows_read=10, rows_rejected=6))
    with client_for(emulator) as client:
        with pytest.raises(RejectedShareError, match="6 of 10") as caught:
            client.replace_audience(audience_id, prepared)
        client.replace_audience(audience_id, prepared, max_rejected_share=0.6)
    assert caught.value.limit == 0.5
    assert emulator.state.rows(audience_id) == ROWS
    assert len(emulator.state.requests) == 1


def test_an_out_of_range_share_is_a_configuration_error(emulator: CommBoxEmulator) -> None:
    with client_for(emulator) as client, pytest.raises(ConfigurationError, match="between 0"):
        client.replace_audience("1", CSV, max_rejected_share=1.5)


def test_a_dry_run_sends_nothing(emulator: CommBoxEmulator) -> None:
    audience_id = seeded(emulator)
    with client_for(emulator) as client:
        report = client.replace_audience(audience_id, CSV, dry_run=True)
    assert emulator.state.requests == []
    assert emulator.state.rows(audience_id) == OLD_MEMBERS
    assert (report.dry_run, report.status_code, report.attempts) == (True, None, 0)
    assert report.rows_uploaded == 2


def test_a_dry_run_still_applies_the_guards(emulator: CommBoxEmulator) -> None:
    with client_for(emulator) as client, pytest.raises(EmptyAudienceError):
        client.replace_audience("1", b"phone1\n", dry_run=True)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ("missing.csv", SourceReadError),
        ("export.parquet", SourceReadError),
        (12345, TypeError),
    ],
)
def test_unusable_data_is_refused_before_sending(
    emulator: CommBoxEmulator, tmp_path: Path, data: object, error: type[Exception]
) -> None:
    if isinstance(data, str):
        data = tmp_path / data
        if data.suffix == ".parquet":
            data.write_bytes(b"PAR1")
    with client_for(emulator) as client, pytest.raises(error):
        client.replace_audience("1", data)  # type: ignore[arg-type]
    assert emulator.state.requests == []


# --- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["http://api.commbox.io/", "http://10.0.0.1:8765/", "ftp://127.0.0.1/", "api.commbox.io"],
)
def test_an_unsafe_base_url_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError, match="https"):
        CommBoxClient(token=TOKEN, base_url=url)


@pytest.mark.parametrize(
    "url",
    ["https://api.commbox.io", "http://127.0.0.1:8765", "http://127.9.9.9/", "http://[::1]:1/",
     "http://localhost:8765/"],
)  # fmt: skip
def test_https_and_loopback_urls_are_accepted(url: str) -> None:
    with CommBoxClient(token=TOKEN, base_url=url) as client:
        assert client.base_url.endswith("/")


def test_credentials_in_the_base_url_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="must not hold credentials") as caught:
        CommBoxClient(token=TOKEN, base_url="https://user:hunter2@api.commbox.io/")
    assert "hunter2" not in str(caught.value)


def test_the_token_and_url_fall_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMBOX_API_TOKEN", TOKEN)
    monkeypatch.setenv("COMMBOX_API_URL", "http://127.0.0.1:9/")
    with CommBoxClient() as client:
        assert client.base_url == "http://127.0.0.1:9/"
    monkeypatch.delenv("COMMBOX_API_URL")
    with CommBoxClient() as client:
        assert client.base_url == "https://api.commbox.io/"


def test_a_missing_token_says_to_set_the_variable(
    emulator: CommBoxEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Behaviour changed: a client is built without a token (a dry run needs none); the
    # first call that would send raises, before anything is read, sent or recorded.
    monkeypatch.delenv("COMMBOX_API_TOKEN", raising=False)
    audience_id = seeded(emulator)
    with (
        CommBoxClient(base_url=emulator.url) as client,
        pytest.raises(ConfigurationError, match="set COMMBOX_API_TOKEN"),
    ):
        client.replace_audience(audience_id, CSV)
    assert emulator.state.requests == []


@pytest.mark.parametrize(("option", "value"), [("max_attempts", 0), ("max_retry_time", 0)])
def test_retry_bounds_must_be_positive(option: str, value: int) -> None:
    with pytest.raises(ConfigurationError, match=option):
        CommBoxClient(token=TOKEN, **{option: value})  # type: ignore[arg-type]


# --- secrets ---------------------------------------------------------------------------------


def test_the_token_never_shows(emulator: CommBoxEmulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    state = emulator.state
    audience_id = seeded(emulator)
    state.set_faults(rate_limited=1, retry_after="0", drop_connections=1)
    with CommBoxClient(token=TOKEN, base_url=emulator.url, sleep=Sleeps()) as client:
        assert TOKEN not in repr(client)
        assert TOKEN not in str(vars(client))
        assert emulator.url in repr(client)
        with pytest.raises(AuthenticationError) as caught:
            client.replace_audience(audience_id, CSV)
        report = client.replace_audience(audience_id, CSV, dry_run=True)
    for text in (str(caught.value), repr(caught.value), repr(report), str(report.to_dict())):
        assert TOKEN not in text
    assert TOKEN not in caplog.text
    assert "Attempt 1 failed" in caplog.text  # the logs were captured, and are clean


def test_a_body_echoing_the_token_is_redacted() -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text=f"<html>{request.headers['authorization']}</html>")

    def teapot(request: httpx.Request) -> httpx.Response:
        return httpx.Response(418, text=f"<html>{request.headers['authorization']}</html>")

    with (
        CommBoxClient(token=TOKEN, transport=httpx.MockTransport(teapot)) as client,
        pytest.raises(UnexpectedResponseError, match="418") as caught,
    ):
        client.replace_audience("1", CSV)
    assert TOKEN not in str(caught.value)
    assert "***" in str(caught.value)
    sleeps = Sleeps()
    transport = httpx.MockTransport(echo)
    with (
        CommBoxClient(token=TOKEN, transport=transport, sleep=sleeps, max_attempts=2) as client,
        pytest.raises(CommBoxServerError, match="502") as server,
    ):
        client.replace_audience("1", CSV)
    assert server.value.description is None
    assert TOKEN not in str(server.value)


# --- responses outside the contract ----------------------------------------------------------


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html>maintenance</html>"),
        httpx.Response(200, json={"status": 200, "description": "Operation successful"}),
        httpx.Response(200, json=["not", "an", "object"]),
        httpx.Response(302, headers={"location": "https://example.com/"}),
        httpx.Response(403, text="Forbidden"),
    ],
)
def test_an_unexpected_answer_is_an_unexpected_response_error(response: httpx.Response) -> None:
    transport = httpx.MockTransport(lambda request: response)
    with (
        CommBoxClient(token=TOKEN, transport=transport) as client,
        pytest.raises(UnexpectedResponseError, match=str(response.status_code)) as caught,
    ):
        client.replace_audience("1", CSV)
    assert caught.value.status_code == response.status_code


def test_a_create_answer_without_an_id_is_unexpected() -> None:
    answer = httpx.Response(200, json={"status": 200, "data": {}})
    transport = httpx.MockTransport(lambda request: answer)
    with (
        CommBoxClient(token=TOKEN, transport=transport) as client,
        pytest.raises(UnexpectedResponseError, match=r"data\.id"),
    ):
        client.create_audience("new", CSV)


def test_the_audience_id_is_one_encoded_path_segment() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"status": 200, "data": {"id": "x"}})

    with CommBoxClient(token=TOKEN, transport=httpx.MockTransport(answer)) as client:
        client.replace_audience("a/b c?d", CSV)
    assert seen[0].url.raw_path == b"/Audiences/a%2Fb%20c%3Fd"
    assert seen[0].method == "PUT"
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"


# --- every httpx exception is translated -----------------------------------------------------


def _all_subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _all_subclasses(sub)
    return found


_RETRYABLE = [
    httpx.ConnectTimeout, httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout,
    httpx.TimeoutException, httpx.ConnectError, httpx.ReadError, httpx.WriteError,
    httpx.CloseError, httpx.NetworkError, httpx.RemoteProtocolError,
]  # fmt: skip
_CONFIGURATION = [httpx.ProxyError, httpx.UnsupportedProtocol, httpx.LocalProtocolError]
_UNEXPECTED = [
    httpx.DecodingError, httpx.TooManyRedirects, httpx.ProtocolError, httpx.TransportError,
    httpx.RequestError,
]  # fmt: skip
HTTPX_MAPPING: dict[type[httpx.RequestError], type[Exception]] = {
    **dict.fromkeys(_RETRYABLE, CommBoxConnectionError),
    **dict.fromkeys(_CONFIGURATION, ConfigurationError),
    **dict.fromkeys(_UNEXPECTED, UnexpectedResponseError),
}


def test_the_mapping_covers_every_httpx_request_error() -> None:
    # A new httpx exception class fails here until it is given a deliberate mapping.
    assert _all_subclasses(httpx.RequestError) | {httpx.RequestError} == set(HTTPX_MAPPING)


@pytest.mark.parametrize(("exc_class", "expected"), list(HTTPX_MAPPING.items()))
def test_each_httpx_exception_is_translated(
    exc_class: type[httpx.RequestError], expected: type[Exception]
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise exc_class("boom", request=request)

    sleeps = Sleeps()
    transport = httpx.MockTransport(fail)
    with (
        CommBoxClient(token=TOKEN, transport=transport, sleep=sleeps, max_attempts=2) as client,
        pytest.raises(expected) as caught,
    ):
        client.replace_audience("1", CSV)
    assert type(caught.value) is expected
    assert isinstance(caught.value.__cause__, exc_class)
    retried = expected is CommBoxConnectionError
    assert len(sleeps) == (1 if retried else 0)
    if isinstance(caught.value, CommBoxError):
        assert caught.value.attempts == (2 if retried else 1)


# --- small pure parts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "rows"),
    [
        (b"", 0),
        (b"phone1\n", 0),
        (b"phone1", 0),
        (b"phone1\n+1\n", 1),
        (b"phone1\r\n+1\r\n+2", 2),
        (b'phone1,notes\n+1,"a\nb\nc"\n', 1),
        (b"phone1\n\n+1\n\n", 1),
        (b"\xef\xbb\xbfphone1\n+1\n", 1),
        (b"phone1,name\n+1,\xe9\xe8\n", 1),
    ],
)
def test_csv_rows_are_counted_as_records(content: bytes, rows: int) -> None:
    assert count_csv_rows(content) == rows


def test_retry_after_parsing() -> None:
    now = datetime(2025, 2, 6, 7, 51, 52, tzinfo=UTC)
    later = email.utils.format_datetime(now + timedelta(seconds=90), usegmt=True)
    earlier = email.utils.format_datetime(now - timedelta(seconds=90), usegmt=True)
    cases = {"": None, "5": 5.0, later: 90.0, earlier: 0.0, "soon": None, "-1": None}
    for value, expected in cases.items():
        response = httpx.Response(429, headers={"Retry-After": value} if value else {})
        assert retry_after_seconds(response, now=now) == expected, value


def test_upload_report_is_frozen() -> None:
    report = UploadReport(
        "1", 1, 10, "0" * 64, 200, "ok", None, 1, 0.1, False, "replace", "audience.csv"
    )
    with pytest.raises(AttributeError):
        report.rows_uploaded = 2  # type: ignore[misc]


# --- the async client ------------------------------------------------------------------------


class AsyncSleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_async_client_replaces_over_loopback(emulator: CommBoxEmulator) -> None:
    audience_id = seeded(emulator)
    emulator.set_faults(rate_limited=1, retry_after="3", server_errors=1)
    sleeps = AsyncSleeps()

    async def run() -> UploadReport:
        async with AsyncCommBoxClient(
            token=emulator.token, base_url=emulator.url, sleep=sleeps
        ) as client:
            return await client.replace_audience(audience_id, CSV)

    report = asyncio.run(run())
    assert (report.attempts, report.rows_uploaded, report.status_code) == (3, 2, 200)
    assert sleeps[0] == 3.0
    assert emulator.state.rows(audience_id) == ROWS


def test_async_client_has_the_same_errors_and_guards(emulator: CommBoxEmulator) -> None:
    audience_id = seeded(emulator, dynamic=True)

    async def run() -> None:
        async with AsyncCommBoxClient(token=emulator.token, base_url=emulator.url) as client:
            with pytest.raises(EmptyAudienceError):
                await client.replace_audience(audience_id, b"phone1\n")
            dry = await client.replace_audience(audience_id, CSV, dry_run=True)
            assert dry.dry_run
            with pytest.raises(AudienceRejectedError) as caught:
                await client.replace_audience(audience_id, CSV)
            assert caught.value.attempts == 1

    asyncio.run(run())
    assert [r.status for r in emulator.state.requests] == [400]


def test_async_client_in_process_with_asgi_transport() -> None:
    state = EmulatorState(token=TOKEN)
    audience_id = state.add_audience(rows=OLD_MEMBERS)
    state.set_faults(drop_connections=1)
    sleeps = AsyncSleeps()

    async def run() -> tuple[UploadReport, UploadReport]:
        transport = httpx.ASGITransport(app=create_app(state))
        async with AsyncCommBoxClient(
            token=TOKEN, base_url="http://127.0.0.1/", transport=transport, sleep=sleeps
        ) as client:
            replaced = await client.replace_audience(audience_id, CSV)
            created = await client.create_audience("new", CSV)
            return replaced, created

    replaced, created = asyncio.run(run())
    assert (replaced.attempts, len(sleeps)) == (2, 1)  # the in-process drop was retried
    assert state.rows(audience_id) == ROWS
    assert created.audience_id is not None
    assert state.rows(created.audience_id) == ROWS


# --- a token is needed only to send (issue 16, item 4) ----------------------------------------

NO_TOKEN = (
    "No CommBox API token: pass token=... or set COMMBOX_API_TOKEN "
    "(create a key in the CommBox management console)."
)
LONGER = CSV + b"+972500000003,Noa,\n"


def test_dry_runs_need_no_token_and_a_send_says_so_first(
    emulator: CommBoxEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("COMMBOX_API_TOKEN", raising=False)
    audience_id = seeded(emulator)
    with client_for(emulator, ledger_dir=tmp_path) as client:
        client.replace_audience(audience_id, CSV)
        client.replace_audience(audience_id, LONGER)
    sent = len(emulator.state.requests)
    with CommBoxClient(base_url=emulator.url, ledger_dir=tmp_path, sleep=Sleeps()) as client:
        assert "token=None" in repr(client)
        planned = client.replace_audience(audience_id, CSV, dry_run=True, allow_shrink=True)
        created = client.create_audience("dry", CSV, dry_run=True)
        rolled = client.rollback(audience_id, dry_run=True, allow_shrink=True)
        for send in (
            lambda: client.replace_audience(audience_id, CSV),
            lambda: client.create_audience("new", CSV),
            lambda: client.rollback(audience_id),
        ):
            with pytest.raises(ConfigurationError) as caught:
                send()
            assert str(caught.value) == NO_TOKEN
        history = client.history(audience_id)
    assert (planned.dry_run, created.dry_run, rolled.rollback_of) == (True, True, 1)
    assert planned.diff is not None
    assert planned.diff.removed == 1
    assert len(emulator.state.requests) == sent  # nothing more was sent
    assert [e.status for e in history] == ["ok", "ok"]  # and no write-ahead entry written


def test_the_async_client_dry_runs_without_a_token(
    emulator: CommBoxEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("COMMBOX_API_TOKEN", raising=False)
    audience_id = seeded(emulator)

    async def run() -> UploadReport:
        async with AsyncCommBoxClient(base_url=emulator.url, ledger_dir=tmp_path) as client:
            await client.create_audience("dry", CSV, dry_run=True)
            with pytest.raises(ConfigurationError, match="COMMBOX_API_TOKEN"):
                await client.replace_audience(audience_id, CSV)
            with pytest.raises(ConfigurationError, match="COMMBOX_API_TOKEN"):
                await client.rollback(audience_id)
            return await client.replace_audience(audience_id, CSV, dry_run=True)

    assert asyncio.run(run()).dry_run
    assert emulator.state.requests == []


def test_a_given_but_unusable_token_is_still_refused_at_once() -> None:
    with pytest.raises(ConfigurationError, match="whitespace"):
        CommBoxClient(token=" padded ")

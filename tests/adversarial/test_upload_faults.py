"""Hostile answers and hostile input on the upload side (issue 14): no crash, no silent
corruption, no guard bypass, no leak.

Each test names the issue item it holds. Wire-level bounds are tested against real servers on
loopback (the emulator, or a raw socket server that drips its answer); answer shapes the
emulator cannot produce go through ``httpx.MockTransport``.
"""

from __future__ import annotations

import asyncio
import csv
import json
import logging
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

import audience_prep as ap
from audience_prep import AsyncCommBoxClient, CommBoxClient, Ledger
from audience_prep._errors import (
    CommBoxConnectionError,
    ConfigurationError,
    EmptyAudienceError,
    RateLimitedError,
    ShrinkGuardError,
    UnexpectedResponseError,
)
from audience_prep._ledger.diff import CSV_FIELD_LIMIT, read_members
from audience_prep._upload.bounds import MAX_RESPONSE_BYTES
from audience_prep._upload.payload import count_csv_rows
from audience_prep._upload.responses import retry_after_seconds
from audience_prep.emulator import CommBoxEmulator
from audience_prep.emulator.files import parse_audience_file

pytestmark = pytest.mark.loopback

TOKEN = "tok-ADVERSARIAL-5ecret-c0ffee-never-show"
CSV = b"phone1,first_name\n+972502345678,Dana\n+972523456789,Avi\n"
OK_JSON = {
    "status": 200,
    "description": "Operation successful",
    "response_time": "2025-02-06T07:51:52.258Z",
    "data": {"id": "312345"},
}


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


class AsyncSleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def mock_client(
    answer: Callable[[httpx.Request], httpx.Response], **options: object
) -> CommBoxClient:
    return CommBoxClient(
        token=TOKEN,
        transport=httpx.MockTransport(answer),
        sleep=Sleeps(),
        **options,  # type: ignore[arg-type]
    )


def everything_in(directory: Path) -> str:
    return "".join(
        p.read_bytes().decode("utf-8", "replace") for p in directory.rglob("*") if p.is_file()
    )


def chain_text(exc: BaseException) -> str:
    """Every text an exception and the exceptions chained to it carry."""
    texts = []
    current: BaseException | None = exc
    while current is not None and str(id(current)) not in texts:
        texts += [str(id(current)), str(current), repr(current), repr(vars(current))]
        current = current.__cause__ or current.__context__
    return "\n".join(texts)


# --- 5. the empty guard and min_rows count members, not rows ---------------------------------
# These files fail the uploader's validation (blank or mixed-form phone1 cells), which refuses
# them first; validate=False puts the guards themselves under test.


@pytest.mark.parametrize("ledger", [True, False])
def test_rows_without_a_phone_do_not_pass_the_empty_guard(
    emulator: CommBoxEmulator, ledger: bool
) -> None:
    audience_id = emulator.state.add_audience("312345", rows=[{"phone1": "+972500000001"}])
    blank = b"phone1,name\n,Alice\n,Bob\n"
    with CommBoxClient(token=emulator.token, base_url=emulator.url, ledger=ledger) as client:
        with pytest.raises(EmptyAudienceError):
            client.replace_audience(audience_id, blank, validate=False)
        with pytest.raises(EmptyAudienceError):
            client.replace_audience(audience_id, blank, dry_run=True, validate=False)
        assert emulator.state.requests == []
        assert emulator.state.rows(audience_id) == [{"phone1": "+972500000001"}]
        allowed = client.replace_audience(audience_id, blank, allow_empty=True, validate=False)
    assert (allowed.rows_uploaded, allowed.members_uploaded) == (2, 0)
    assert allowed.to_dict()["members_uploaded"] == 0


def test_the_async_client_counts_members_too(emulator: CommBoxEmulator) -> None:
    audience_id = emulator.state.add_audience("312345", rows=[{"phone1": "+972500000001"}])

    async def run() -> None:
        async with AsyncCommBoxClient(
            token=emulator.token, base_url=emulator.url, ledger=False
        ) as client:
            with pytest.raises(EmptyAudienceError):
                await client.replace_audience(audience_id, b"phone1\n  \n\n", validate=False)

    asyncio.run(run())
    assert emulator.state.requests == []


def test_min_rows_counts_distinct_phones_without_a_ledger(emulator: CommBoxEmulator) -> None:
    audience_id = emulator.state.add_audience("312345")
    # five data rows, two members: a repeat, the same phone without its +, and a blank
    data = b"phone1,name\n+972501234567,a\n+972501234567,b\n972501234567,c\n ,d\n+972541234567,e\n"
    with CommBoxClient(token=emulator.token, base_url=emulator.url, ledger=False) as client:
        with pytest.raises(ShrinkGuardError, match="fewer than the required 3"):
            client.replace_audience(audience_id, data, min_rows=3, validate=False)
        report = client.replace_audience(audience_id, data, min_rows=2, validate=False)
    assert (report.rows_uploaded, report.members_uploaded) == (5, 2)


# --- 6. the token cannot leak through CommBox's answer ----------------------------------------


def echo_answer(request: httpx.Request) -> httpx.Response:
    """A hostile or broken server that echoes the Authorization header into every field."""
    auth = request.headers["authorization"]
    return httpx.Response(
        200,
        json={
            "status": 200,
            "description": f"Operation successful for {auth}",
            "response_time": auth,
            "data": {"id": "312345", "debug": {auth: [auth, {"nested": auth}]}},
        },
    )


def test_an_echoed_token_never_reaches_a_report_or_the_ledger(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with mock_client(echo_answer, ledger_dir=tmp_path) as client:
        report = client.replace_audience("312345", CSV)
        created = client.create_audience("echo", CSV)
    for shown in (report, created):
        assert TOKEN not in json.dumps(shown.to_dict())
        assert TOKEN not in repr(shown)
        assert TOKEN not in shown._repr_html_()
    assert report.description == "Operation successful for Bearer ***"
    assert report.response_time == "Bearer ***"
    assert TOKEN not in everything_in(tmp_path)
    assert "Bearer ***" in everything_in(tmp_path)  # the answer was recorded, redacted
    assert TOKEN not in caplog.text


def test_an_echoed_token_never_reaches_an_async_report(tmp_path: Path) -> None:
    async def run() -> ap.UploadReport:
        async with AsyncCommBoxClient(
            token=TOKEN, transport=httpx.MockTransport(echo_answer), ledger_dir=tmp_path
        ) as client:
            return await client.replace_audience("312345", CSV)

    report = asyncio.run(run())
    assert TOKEN not in json.dumps(report.to_dict())
    assert TOKEN not in everything_in(tmp_path)


def echo_error(request: httpx.Request) -> httpx.Response:
    auth = request.headers["authorization"]
    return httpx.Response(400, json={"status": 400, "description": auth, "response_time": auth})


def test_an_echoed_token_never_reaches_an_error() -> None:
    with mock_client(echo_error, ledger=False) as client, pytest.raises(ap.CommBoxError) as sync:
        client.replace_audience("1", CSV)

    async def run() -> None:
        async with AsyncCommBoxClient(
            token=TOKEN, transport=httpx.MockTransport(echo_error), ledger=False
        ) as client:
            await client.replace_audience("1", CSV)

    with pytest.raises(ap.CommBoxError) as asynchronous:
        asyncio.run(run())
    for caught in (sync.value, asynchronous.value):
        assert caught.status_code == 400
        assert caught.description == "Bearer ***"
        assert TOKEN not in chain_text(caught)


def test_a_token_cut_by_the_body_snippet_leaves_no_half() -> None:
    def straddle(request: httpx.Request) -> httpx.Response:
        # the snippet keeps 200 characters: the token starts just before the cut
        return httpx.Response(200, text="x" * 180 + request.headers["authorization"])

    with (
        mock_client(straddle, ledger=False) as client,
        pytest.raises(UnexpectedResponseError) as caught,
    ):
        client.replace_audience("1", CSV)
    assert TOKEN[:8] not in chain_text(caught.value)


def test_an_echoed_token_in_an_http_error_is_redacted_from_the_whole_chain() -> None:
    def malformed(request: httpx.Request) -> httpx.Response:
        auth = request.headers["authorization"]  # as h11 quotes a malformed header line
        raise httpx.RemoteProtocolError(f"Illegal header name b'{auth} x'", request=request)

    with (
        mock_client(malformed, ledger=False, max_attempts=1) as client,
        pytest.raises(CommBoxConnectionError) as caught,
    ):
        client.replace_audience("1", CSV)
    assert isinstance(caught.value.__cause__, httpx.RemoteProtocolError)
    assert TOKEN not in chain_text(caught.value)


# --- 9. Retry-After is parsed strictly and never raises -----------------------------------------


def test_an_obs_text_retry_after_on_a_200_is_ignored() -> None:
    def ok(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=[(b"Retry-After", b"\xb2")], json=OK_JSON)

    with mock_client(ok, ledger=False) as client:
        report = client.replace_audience("312345", CSV)
    assert (report.status_code, report.attempts) == (200, 1)


def test_an_unreadable_retry_after_falls_back_to_backoff() -> None:
    answers = iter(
        [
            httpx.Response(429, headers=[(b"Retry-After", b"\xb2")], json={"status": 429}),
            httpx.Response(429, headers=[(b"Retry-After", "٣".encode())], json={"status": 429}),
            httpx.Response(200, json=OK_JSON),
        ]
    )
    sleeps = Sleeps()
    transport = httpx.MockTransport(lambda request: next(answers))
    with CommBoxClient(token=TOKEN, transport=transport, sleep=sleeps, ledger=False) as client:
        report = client.replace_audience("312345", CSV)
    assert report.attempts == 3
    assert [int(s) for s in sleeps] == [1, 2]  # the backoff, not a parsed value


@pytest.mark.parametrize(
    "value",
    ["²", "١٢", "1.5", "+5", "5 s", "Sun, 06 Nov 99999 08:49:37 GMT",
     "1 Jan 9999999999999999999999 1:1:1", "Sun, 31 Feb 1994 08:49:37 GMT", "Ｓun, 06 Nov 1994"],
)  # fmt: skip
def test_retry_after_values_outside_the_grammar_are_none(value: str) -> None:
    response = httpx.Response(429, headers=[(b"Retry-After", value.encode("utf-8"))])
    assert retry_after_seconds(response) is None


def test_a_429_with_a_retry_after_still_waits_what_it_says() -> None:
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "4"}, json={"status": 429}),
            httpx.Response(429, headers={"Retry-After": "99999"}, json={"status": 429}),
        ]
    )
    sleeps = Sleeps()
    transport = httpx.MockTransport(lambda request: next(answers))
    with (
        CommBoxClient(token=TOKEN, transport=transport, sleep=sleeps, ledger=False) as client,
        pytest.raises(RateLimitedError),
    ):
        client.replace_audience("312345", CSV)
    assert sleeps == [4.0]  # and 99999 s is past the time budget: not waited


# --- 10. a token that cannot be sent is refused when the client is built ---------------------


@pytest.mark.parametrize("token", ["tok-SECRÉT-123", "tоk-cyrillic-o-123", "tok-ｆｕｌｌ-123"])
def test_a_non_ascii_token_is_refused_at_construction(token: str) -> None:
    with pytest.raises(ConfigurationError, match="non-ASCII") as caught:
        CommBoxClient(token=token)
    assert token not in chain_text(caught.value)
    with pytest.raises(ConfigurationError, match="non-ASCII"):
        AsyncCommBoxClient(token=token)


# --- 13. each attempt has a total deadline, and an answer has a size cap ----------------------


class DripServer:
    """A raw HTTP server on loopback that reads a request, then sends ``head`` at once and
    ``drip`` one byte per ``interval`` seconds, closing the connection after ``lifetime``."""

    def __init__(self, head: bytes, drip: bytes, *, interval: float = 1.0, lifetime: float = 8.0):
        self.head, self.drip, self.interval, self.lifetime = head, drip, interval, lifetime
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._serve, daemon=True)]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def __enter__(self) -> DripServer:
        self._threads[0].start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            thread = threading.Thread(target=self._answer, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            received = b""
            while b"\r\n\r\n" not in received:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                received += chunk
            ends = time.monotonic() + self.lifetime
            try:
                conn.sendall(self.head)
                for byte in self.drip:
                    if self._stop.wait(self.interval) or time.monotonic() > ends:
                        return
                    conn.sendall(bytes([byte]))
            except OSError:  # the client gave up: what the deadline is for
                return


BODY = json.dumps(OK_JSON).encode()
DRIP_BODY = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
    + str(len(BODY)).encode()
    + b"\r\n\r\n",
    BODY,
)
DRIP_HEADERS = (b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"a" * 100 + b"\r\n")


@pytest.mark.parametrize("drip", [DRIP_BODY, DRIP_HEADERS], ids=["body", "headers"])
def test_a_slow_drip_answer_cannot_outlive_the_attempt_deadline(
    drip: tuple[bytes, bytes],
) -> None:
    # The scenario: a byte a second never trips timeout=2, so the old client read for
    # as long as the server dripped (here 8 s).
    with (
        DripServer(*drip) as server,
        CommBoxClient(
            token=TOKEN, base_url=server.url, timeout=2, max_retry_time=1.0, sleep=Sleeps()
        ) as client,
    ):
        started = time.monotonic()
        with pytest.raises(CommBoxConnectionError, match=r"within the 1 s") as caught:
            client.replace_audience("312345", CSV)
        elapsed = time.monotonic() - started
    assert elapsed < 3.0
    assert caught.value.attempts == 1  # the time budget was spent: no second attempt


@pytest.mark.parametrize("drip", [DRIP_BODY, DRIP_HEADERS], ids=["body", "headers"])
def test_a_slow_drip_answer_cannot_outlive_an_async_attempt(drip: tuple[bytes, bytes]) -> None:
    async def run(url: str) -> None:
        async with AsyncCommBoxClient(
            token=TOKEN,
            base_url=url,
            timeout=2,
            attempt_timeout=1.0,
            max_attempts=1,
            sleep=AsyncSleeps(),
        ) as client:
            await client.replace_audience("312345", CSV)

    with DripServer(*drip) as server:
        started = time.monotonic()
        with pytest.raises(CommBoxConnectionError, match=r"within the 1 s"):
            asyncio.run(run(server.url))
        elapsed = time.monotonic() - started
    assert elapsed < 3.0


def test_a_timed_out_attempt_is_retried_within_the_budget(emulator: CommBoxEmulator) -> None:
    audience_id = emulator.state.add_audience("312345")
    emulator.set_faults(delay_s=2.0)
    with CommBoxClient(
        token=emulator.token, base_url=emulator.url, attempt_timeout=0.3, sleep=Sleeps()
    ) as client:
        with pytest.raises(CommBoxConnectionError, match=r"within the 0\.3 s") as caught:
            client.replace_audience(audience_id, CSV)
        history = client.ledger.history(audience_id, host=client.base_url)  # type: ignore[union-attr]
    assert caught.value.attempts == 5  # retryable, like any timeout
    assert [e.status for e in history] == ["pending"]  # it may have been applied


class Endless:
    """A body that would go on for 1.5 GB; counts what was pulled and stops at 8 MiB."""

    def __init__(self) -> None:
        self.pulled = 0

    def chunks(self) -> Iterator[bytes]:
        chunk = b"x" * 65536
        for _ in range(1536 * 16):  # 1.5 GB
            if self.pulled >= 8 * MAX_RESPONSE_BYTES:
                return
            self.pulled += len(chunk)
            yield chunk

    async def achunks(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks():
            yield chunk


@pytest.mark.parametrize("declared", [False, True], ids=["chunked", "content-length"])
def test_a_huge_2xx_answer_is_not_buffered_and_leaves_the_upload_unconfirmed(
    tmp_path: Path, declared: bool
) -> None:
    body = Endless()

    def huge(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Length": str(1536 * 1024 * 1024)} if declared else {}
        return httpx.Response(200, headers=headers, content=body.chunks())

    with (
        mock_client(huge, ledger_dir=tmp_path) as client,
        pytest.raises(UnexpectedResponseError, match="longer than 1024 KiB") as caught,
    ):
        client.replace_audience("312345", CSV)
    assert body.pulled <= MAX_RESPONSE_BYTES + 65536
    assert caught.value.status_code == 200
    [entry] = Ledger(tmp_path).history("312345", host=client.base_url)
    assert entry.status == "unconfirmed"


def test_a_huge_answer_is_not_buffered_by_the_async_client() -> None:
    body = Endless()

    async def run() -> None:
        transport = httpx.MockTransport(lambda request: httpx.Response(502, content=body.achunks()))
        async with AsyncCommBoxClient(
            token=TOKEN, transport=transport, ledger=False, sleep=AsyncSleeps()
        ) as client:
            await client.replace_audience("312345", CSV)

    with pytest.raises(UnexpectedResponseError, match="longer than 1024 KiB"):
        asyncio.run(run())
    assert body.pulled <= MAX_RESPONSE_BYTES + 65536


# --- 14. a cell longer than the csv module's default limit --------------------------------------


@pytest.fixture
def default_csv_limit() -> Iterator[None]:
    """Start from the csv module's default limit, as a fresh process has it."""
    before = csv.field_size_limit(131072)
    yield
    csv.field_size_limit(before)


def test_a_prepared_audience_with_a_200_kb_cell_can_be_uploaded(
    emulator: CommBoxEmulator, default_csv_limit: None
) -> None:
    import polars as pl

    # A frame, not a CSV file: what is tested is the upload of what polars writes.
    crm = pl.DataFrame({"phone1": ["050-234-5678", "052-345-6789"], "notes": ["n" * 200_000, ""]})
    prepared = ap.prepare(crm, region="IL")
    audience_id = emulator.state.add_audience("312345")
    with CommBoxClient(token=emulator.token, base_url=emulator.url) as client:
        planned = client.replace_audience(audience_id, prepared, dry_run=True)
        report = client.replace_audience(audience_id, prepared)
    assert (planned.rows_uploaded, report.rows_uploaded, report.members_uploaded) == (2, 2, 2)
    stored = emulator.state.rows(audience_id)
    assert max(len(value) for row in stored for value in row.values()) == 200_000


def test_the_readers_take_any_cell_and_never_lower_the_limit(default_csv_limit: None) -> None:
    content = b'phone1,notes\n+972501234567,"' + b"a\n" * 150_000 + b'"\n'
    assert count_csv_rows(content) == 1
    assert read_members(content) == {"972501234567"}
    [row] = parse_audience_file(content, "audience.csv")
    assert len(row["notes"]) == 300_000
    assert csv.field_size_limit() == CSV_FIELD_LIMIT
    csv.field_size_limit(CSV_FIELD_LIMIT - 1)  # whoever sets it later keeps their value…
    count_csv_rows(b"phone1\n+1\n")
    assert csv.field_size_limit() == CSV_FIELD_LIMIT  # …raised again only when lower


# --- 15. a 2xx outside the contract may have been applied ----------------------------------------


def test_a_200_that_is_not_json_leaves_the_entry_unconfirmed_and_stricter(
    tmp_path: Path,
) -> None:
    phones = [f"+97250{n:07d}" for n in range(10)]

    def csv_of(members: list[str]) -> bytes:
        return ("phone1\n" + "".join(f"{p}\n" for p in members)).encode()

    answers = iter([httpx.Response(200, json=OK_JSON), httpx.Response(200, text="<html>ok")])
    with mock_client(lambda request: next(answers), ledger_dir=tmp_path) as client:
        client.replace_audience("312345", csv_of(phones))
        with pytest.raises(UnexpectedResponseError, match="200"):
            client.replace_audience("312345", csv_of([*phones, "+972520000001"]))
        first, second = client.ledger.history("312345", host=client.base_url)  # type: ignore[union-attr]
        planned = client.replace_audience("312345", csv_of(phones), dry_run=True)
    assert (first.status, second.status) == ("ok", "unconfirmed")
    assert second.error is not None
    assert "HTTP 200" in second.error
    assert planned.diff is not None
    assert (planned.diff.previous_entry, planned.diff.pending_entries) == (1, (2,))
    [uncertain] = planned.diff.uncertain
    assert (uncertain.entry_id, uncertain.status, uncertain.removed) == (2, "unconfirmed", 1)

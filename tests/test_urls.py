"""Sources given as URLs: http(s) from a real server on loopback, file://, and other schemes
through fsspec (its in-memory filesystem stands in for s3://, which cannot run here)."""

from __future__ import annotations

import io
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import xlsxwriter
from click.testing import CliRunner

import audience_prep as ap
from audience_prep._prepare.read import urls
from audience_prep.cli import cli

CSV = b"Phone,Name\n050-234-5678,Dana\n050-234-5679,Eli\n"
PHONES = ["+972502345678", "+972502345679"]

Route = Callable[[BaseHTTPRequestHandler], None]


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer) as book:
        sheet = book.add_worksheet("Contacts")
        for r, row in enumerate([["Phone", "Name"], ["0502345678", "Dana"]]):
            for c, value in enumerate(row):
                sheet.write_string(r, c, value)
    return buffer.getvalue()


def answer(
    body: bytes, *, status: int = 200, headers: dict[str, str] | None = None, length: bool = True
) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for key, value in (headers or {"Content-Type": "text/csv"}).items():
            handler.send_header(key, value)
        if length:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return route


def stall(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/csv")
    handler.end_headers()
    handler.wfile.write(b"Phone\n")
    handler.wfile.flush()
    time.sleep(3)


def drip(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/csv")
    handler.end_headers()
    handler.wfile.write(b"Phone\n")
    for _ in range(40):
        handler.wfile.write(b"0502345678\n")
        handler.wfile.flush()
        time.sleep(0.05)


def endless(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/csv")
    handler.end_headers()
    handler.wfile.write(b"Phone\n")
    try:
        for _ in range(10_000):
            handler.wfile.write(b"0502345678\n" * 1000)
    except (BrokenPipeError, ConnectionResetError):
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, dict[str, Route]]]:
    """A threaded HTTP server on loopback; tests put their routes (path -> handler) in it."""
    routes: dict[str, Route] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            route = routes.get(self.path.split("?")[0])
            if route is None:
                answer(b"not found", status=404, headers={"Content-Type": "text/plain"})(self)
            else:
                route(self)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", routes
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_csv_by_url(server: tuple[str, dict[str, Route]]) -> None:
    base, routes = server
    routes["/exports/contacts.csv"] = answer(CSV)

    prepared = ap.prepare(f"{base}/exports/contacts.csv", region="IL")

    assert prepared.frame.get_column("phone1").to_list() == PHONES
    assert prepared.report.source == f"{base}/exports/contacts.csv"
    assert prepared.rejected.height == 0


def test_credentials_and_a_signed_query_never_show(server: tuple[str, dict[str, Route]]) -> None:
    base, routes = server
    routes["/x.csv"] = answer(CSV)
    host = base.removeprefix("http://")
    url = f"http://user:hunter2@{host}/x.csv?X-Amz-Signature=sekrit&expires=1"

    prepared = ap.prepare(url, region="IL")

    assert prepared.report.source == f"{base}/x.csv?…"
    shown = prepared.report.to_json() + prepared.rejected_csv().decode() + repr(prepared)
    assert "hunter2" not in shown
    assert "sekrit" not in shown
    with pytest.raises(ap.SourceReadError) as info:
        ap.prepare(url.replace("/x.csv", "/missing.csv"), region="IL")
    assert "hunter2" not in str(info.value)
    assert "sekrit" not in str(info.value)


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        {"Content-Type": "application/octet-stream"},  # the bytes say it is a workbook
        {
            "Content-Type": "application/octet-stream",
            "Content-Disposition": 'attachment; filename="contacts.xlsx"',
        },
    ],
)
def test_a_workbook_by_a_url_without_a_suffix(
    server: tuple[str, dict[str, Route]], headers: dict[str, str]
) -> None:
    base, routes = server
    routes["/export"] = answer(xlsx_bytes(), headers=headers)

    prepared = ap.prepare(f"{base}/export?format=xlsx", region="IL")

    assert prepared.report.format == "excel"
    assert prepared.frame.get_column("phone1").to_list() == ["+972502345678"]


def test_a_redirect_is_followed(server: tuple[str, dict[str, Route]]) -> None:
    base, routes = server
    routes["/old.csv"] = answer(b"", status=302, headers={"Location": f"{base}/new.csv"})
    routes["/new.csv"] = answer(CSV)

    assert ap.prepare(f"{base}/old.csv", region="IL").frame.height == 2


@pytest.mark.parametrize(
    ("status", "reason", "hint"),
    [(404, "404 Not Found", None), (403, "403 Forbidden", "needs credentials"), (500, "500", None)],
)
def test_an_error_status_is_a_source_read_error(
    server: tuple[str, dict[str, Route]], status: int, reason: str, hint: str | None
) -> None:
    base, routes = server
    routes["/x.csv"] = answer(b"no", status=status, headers={"Content-Type": "text/plain"})

    with pytest.raises(ap.SourceReadError, match=f"the server answered {reason}") as info:
        ap.prepare(f"{base}/x.csv", region="IL")
    assert info.value.source == f"{base}/x.csv"
    if hint:
        assert hint in (info.value.hint or "")


def test_a_web_page_is_not_taken_for_the_file(server: tuple[str, dict[str, Route]]) -> None:
    base, routes = server
    routes["/share"] = answer(b"<html>Sign in</html>", headers={"Content-Type": "text/html"})

    with pytest.raises(ap.SourceReadError, match="sent a web page, not a file"):
        ap.prepare(f"{base}/share", region="IL")


def test_a_declared_size_past_the_limit_is_refused_before_the_body(
    server: tuple[str, dict[str, Route]], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, routes = server
    routes["/big.csv"] = answer(CSV)
    monkeypatch.setattr(urls, "MAX_INPUT_BYTES", 10)

    with pytest.raises(ap.SourceReadError, match="past the limit"):
        ap.prepare(f"{base}/big.csv", region="IL")


def test_an_endless_answer_stops_at_the_limit(
    server: tuple[str, dict[str, Route]], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, routes = server
    routes["/endless.csv"] = endless
    monkeypatch.setattr(urls, "MAX_INPUT_BYTES", 1024**2)

    with pytest.raises(ap.SourceReadError, match="more than 1 MiB"):
        ap.prepare(f"{base}/endless.csv", region="IL")


def test_a_stalled_answer_times_out(
    server: tuple[str, dict[str, Route]], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, routes = server
    routes["/stall.csv"] = stall
    monkeypatch.setattr(urls, "URL_TIMEOUT", 0.3)

    started = time.monotonic()
    with pytest.raises(ap.SourceReadError, match="cannot download it"):
        ap.prepare(f"{base}/stall.csv", region="IL")
    assert time.monotonic() - started < 2.5


def test_a_dripping_answer_meets_the_deadline(
    server: tuple[str, dict[str, Route]], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, routes = server
    routes["/drip.csv"] = drip
    monkeypatch.setattr(urls, "URL_DEADLINE", 0.3)

    with pytest.raises(ap.SourceReadError, match=r"took more than 0 s \(URL_DEADLINE\)"):
        ap.prepare(f"{base}/drip.csv", region="IL")


def test_nothing_listening_is_a_source_read_error() -> None:
    with pytest.raises(ap.SourceReadError, match="cannot download it"):
        ap.prepare("http://127.0.0.1:9/x.csv", region="IL")


def test_a_file_url(tmp_path: Path) -> None:
    path = tmp_path / "my contacts.csv"
    path.write_bytes(CSV)

    prepared = ap.prepare(path.as_uri(), region="IL")

    assert prepared.frame.get_column("phone1").to_list() == PHONES


def test_other_schemes_go_through_fsspec() -> None:
    fsspec = pytest.importorskip("fsspec")
    with fsspec.open("memory://exports/contacts.csv", "wb") as handle:
        handle.write(CSV)

    prepared = ap.prepare("memory://exports/contacts.csv", region="IL")

    assert prepared.frame.get_column("phone1").to_list() == PHONES
    with pytest.raises(ap.SourceReadError, match="no such file"):
        ap.prepare("memory://exports/missing.csv", region="IL")


def test_a_cloud_scheme_without_its_package_names_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("fsspec")
    if "s3fs" in sys.modules or _importable("s3fs"):
        pytest.skip("s3fs is installed here")
    with pytest.raises(ap.SourceReadError, match="s3fs") as info:
        ap.prepare("s3://bucket/contacts.csv", region="IL")
    assert "pip install s3fs" in (info.value.hint or "")

    monkeypatch.setitem(sys.modules, "fsspec", None)  # as if fsspec were not installed
    with pytest.raises(ap.SourceReadError, match="needs fsspec and gcsfs") as info:
        ap.prepare("gs://bucket/contacts.csv", region="IL")
    assert "pip install fsspec gcsfs" in (info.value.hint or "")


def test_an_unknown_scheme() -> None:
    pytest.importorskip("fsspec")
    with pytest.raises(ap.SourceReadError, match="unknown URL scheme 'nope'"):
        ap.prepare("nope://x/contacts.csv", region="IL")


def test_a_list_of_urls_and_the_cli(server: tuple[str, dict[str, Route]]) -> None:
    base, routes = server
    routes["/a.csv"] = answer(CSV)
    routes["/b.csv"] = answer(b"Phone\n050-234-5670\n")

    prepared = ap.prepare([f"{base}/a.csv", f"{base}/b.csv"], region="IL")
    assert prepared.frame.height == 3
    assert prepared.report.files == [f"{base}/a.csv", f"{base}/b.csv"]

    result = CliRunner().invoke(cli, ["prepare", f"{base}/a.csv", "--region", "IL", "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["rows_written"] == 2


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None

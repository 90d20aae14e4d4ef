"""The validation gate (issue 15): audience files judged as CommBox will receive them."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

import audience_prep as ap
from audience_prep.cli import cli

SAMPLE = Path(ap.__file__).parent / "data" / "sample_export.csv"


def failures(report: ap.ValidationReport) -> list[tuple[int | None, str]]:
    return [(row, check) for row, check in report.failures.select("row", "check").iter_rows()]


def test_a_prepared_audience_is_compliant_in_both_forms() -> None:
    for phone_format in ("e164", "digits"):
        prepared = ap.prepare(SAMPLE, region="IL", phone_format=phone_format)  # type: ignore[arg-type]
        report = ap.validate(prepared.to_csv(), phone_format=phone_format)  # type: ignore[arg-type]
        assert report.ok, report.failures
        assert report.rows == prepared.report.rows_written
        assert report.counts == {}


def test_the_issues_file_fails_on_every_bad_cell() -> None:
    """The bytes that replaced an audience's valid member before the gate existed."""
    data = b"phone1,name\n050-1234567,a\n9.72501E+11,b\n+972507234567,c\n+972507234567,d\n,e\n"
    report = ap.validate(data)
    assert not report.ok
    assert failures(report) == [
        (2, "format"),
        (2, "valid_number"),
        (3, "format"),
        (3, "valid_number"),
        (4, "unique"),
        (5, "unique"),
        (6, "not_empty"),
    ]
    assert report.failures.filter(pl.col("row") == 3)["value"].to_list()[0] == "9.72501E+11"


def test_padding_and_the_digits_form() -> None:
    report = ap.validate(b"phone1\n +972507234567\n972523456789\n")
    assert failures(report) == [
        (2, "no_padding"),
        (2, "format"),
        (3, "format"),
        (3, "valid_number"),
    ]
    assert ap.validate(b"phone1\n972523456789\n", phone_format="digits").ok


@pytest.mark.parametrize(
    ("data", "check", "row"),
    [
        (b"name,email\nDana,d@x.org\n", "phone_column", 1),
        (b"phone1,name\n+972507234567,\xe9\n", "utf8", 2),
        (b"phone1,phone1\n+972507234567,+972523456789\n", "header", 1),
        (b"phone1,name\n+972507234567,a,extra\n", "field_count", 2),
        (b"", "header", 1),
    ],
)
def test_file_level_failures(data: bytes, check: str, row: int) -> None:
    report = ap.validate(data)
    assert report.counts.get(check) == 1, report.failures
    assert report.failures.filter(pl.col("check") == check)["row"].to_list() == [row]


def test_rows_are_numbered_as_a_spreadsheet_shows_them() -> None:
    data = b'phone1,note\n+972507234567,"two\nlines"\n\n050-1234567,x\n'
    assert failures(ap.validate(data)) == [(4, "format"), (4, "valid_number")]


def test_an_excel_audience_is_read_from_its_first_sheet(tmp_path: Path) -> None:
    xlsxwriter = pytest.importorskip("xlsxwriter")
    path = tmp_path / "audience.xlsx"
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet()
        for r, row in enumerate([["phone1", "name"], ["+972507234567", "a"], ["0501234567", "b"]]):
            sheet.write_row(r, 0, row)
    report = ap.validate(path)
    assert failures(report) == [(3, "format"), (3, "valid_number")]


def test_the_report_as_data_and_as_html() -> None:
    report = ap.validate(b"phone1\n050-1234567\n", name="crm.csv")
    data = report.to_dict()
    assert data["ok"] is False
    assert data["source"] == "crm.csv"
    assert data["counts"] == {"format": 1, "valid_number": 1}
    assert json.loads(json.dumps(data))["failures"][0]["row"] == 2
    html = report._repr_html_()
    assert "not compliant" in html
    assert "050***4567" in html  # the value is masked
    assert report.first(1) == [
        "row 2, phone1: phone1 is not in the chosen form: + and digits (E.164)"
    ]


def test_cli_exit_codes_and_json(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(b"phone1,name\n+972507234567,a\n")
    bad.write_bytes(b"phone1,name\n050-1234567,a\n")
    runner = CliRunner()
    ok = runner.invoke(cli, ["validate", str(good)])
    assert ok.exit_code == 0
    assert "Compliant" in ok.stdout
    refused = runner.invoke(cli, ["validate", str(bad), "--json"])
    assert refused.exit_code == 1
    assert json.loads(refused.stdout)["counts"] == {"format": 1, "valid_number": 1}
    missing = runner.invoke(cli, ["validate", str(tmp_path / "none.csv"), "--json"])
    assert missing.exit_code == 1
    assert json.loads(missing.stdout)["error"]["type"] == "SourceReadError"
    usage = runner.invoke(cli, ["validate", str(good), "--phone-format", "intl"])
    assert usage.exit_code == 2


def test_validate_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    content = b"phone1\n050-1234567\n"
    path.write_bytes(content)
    ap.validate(path)
    assert path.read_bytes() == content

"""`audience-prep prepare`: exit codes, JSON, human output, files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import audience_prep as ap
from audience_prep.cli import cli

SAMPLE = str(Path(ap.__file__).parent / "data" / "sample_export.csv")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_prepare_human_output() -> None:
    code, out, err = run("prepare", SAMPLE, "--region", "IL")
    assert code == 0, err
    assert "Column mapping" in out
    assert "Mobile Phone" in out
    assert "24 rows read, 15 written, 9 rejected" in out
    for reason in ("duplicate", "invalid_number", "missing_phone", "scientific_notation"):
        assert reason in out
    assert "row 7: '9.72541E+11'" in out


def test_prepare_json_is_exactly_one_object() -> None:
    code, out, _ = run("prepare", SAMPLE, "--region", "IL", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["rows_written"] == 15
    assert report == ap.prepare(SAMPLE, region="IL").report.to_dict()


def test_prepare_writes_output_and_rejects(tmp_path: Path) -> None:
    out_csv, rejects_csv = tmp_path / "a.csv", tmp_path / "r.csv"
    code, _, err = run(
        "prepare",
        SAMPLE,
        "--region",
        "IL",
        "-o",
        str(out_csv),
        "--rejects",
        str(rejects_csv),
        "--phone-format",
        "digits",
        "--keep",
        "last",
        "--extra-columns",
        "drop",
    )
    assert code == 0, err
    expected = ap.prepare(
        SAMPLE, region="IL", phone_format="digits", keep="last", extra_columns="drop"
    )
    assert out_csv.read_bytes() == expected.to_csv()
    assert (
        rejects_csv.read_text(encoding="utf-8-sig")
        .splitlines()[0]
        .startswith("source_file,source_row,raw_phone,reason,message,duplicate_of")
    )


def test_prepare_output_to_stdout_keeps_stdout_clean() -> None:
    code, out, err = run("prepare", SAMPLE, "--region", "IL", "-o", "-")
    assert code == 0
    assert out.encode("utf-8") == ap.prepare(SAMPLE, region="IL").to_csv()
    assert "Column mapping" in err


def test_map_option(tmp_path: Path) -> None:
    source = tmp_path / "x.csv"
    source.write_text("Cell #,Mail Addr\n0502345678,a@b.io\n", encoding="utf-8")
    code, out, err = run(
        "prepare",
        str(source),
        "--region",
        "IL",
        "--map",
        "Cell #=phone1",
        "--map",
        "Mail Addr=email",
        "--json",
    )
    assert code == 0, err
    assert json.loads(out)["column_mapping"] == {"Cell #": "phone1", "Mail Addr": "email"}


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("Name,Address\na,b\n", ("--region", "IL"), "No column for 'phone1'"),
        ("Phone,Name\n", ("--region", "IL"), "has a header but no data rows"),
        ("Phone\n12\n", ("--region", "IL"), "all 1 rows were rejected (invalid_number=1)"),
        ("", ("--region", "IL"), "the file is empty"),
        ("Mobile,Cell\n1,2\n", ("--region", "IL", "--strict-columns"), "refusing to guess"),
    ],
)
def test_input_errors_exit_1_with_one_line(
    tmp_path: Path, content: str, args: tuple[str, ...], message: str
) -> None:
    source = tmp_path / "in.csv"
    source.write_text(content, encoding="utf-8")
    code, out, err = run("prepare", str(source), *args)
    assert code == 1
    assert out == ""
    assert err.startswith("Error: ")
    assert message in err
    assert "Traceback" not in err


def test_unreadable_file_exits_1(tmp_path: Path) -> None:
    code, _, err = run("prepare", str(tmp_path / "missing.csv"), "--region", "IL")
    assert code == 1
    assert "no such file" in err


@pytest.mark.parametrize(
    "args",
    [
        ("prepare", SAMPLE, "--region", "XX"),
        ("prepare", SAMPLE, "--region", "IL", "--keep", "newest"),
        ("prepare", SAMPLE, "--region", "IL", "--map", "nonsense"),
        ("prepare",),
    ],
)
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    code, _, err = run(*args)
    assert code == 2
    assert "Traceback" not in err


def test_debug_shows_the_traceback() -> None:
    result = CliRunner().invoke(cli, ["prepare", SAMPLE, "--region", "XX", "--debug"])
    assert result.exit_code == 2
    assert "Traceback" in result.stderr
    assert "UnknownRegionError" in result.stderr


def test_help_shows_examples() -> None:
    for args in (["--help"], ["prepare", "--help"]):
        code, out, _ = run(*args)
        assert code == 0
        assert "Examples:" in out
        assert "audience-prep prepare export.csv --region IL" in out


def test_python_dash_m_entry_point() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "audience_prep", "prepare", SAMPLE, "--region", "IL", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["rows_read"] == 24


def test_version() -> None:
    code, out, _ = run("--version")
    assert code == 0
    assert out.strip() == f"audience-prep, version {ap.__version__}"


def test_a_file_without_a_header_row(tmp_path: Path) -> None:
    """The first row is data: every row is read, the decision is printed with its fix, and
    --header-row 0 says the same without a note (--header-row 1 reads it as a header)."""
    path = tmp_path / "list.csv"
    path.write_text("0502345678,Dana\n0502345679,Eli\n0502345670,Avi\n", encoding="utf-8")

    code, out, err = run("prepare", str(path), "--region", "IL")
    assert code == 0, err
    assert "3 rows read, 3 written, 0 rejected" in out
    assert "header row: none: no cell of the first row names a column" in " ".join(out.split())
    assert "--header-row 1" in out

    code, out, _ = run("prepare", str(path), "--region", "IL", "--header-row", "0", "--json")
    assert code == 0
    report = json.loads(out)
    assert (report["header_row"], report["rows_written"]) == (0, 3)
    assert [note["column"] for note in report["mapping_notes"]] == ["phone1"]

    code, out, _ = run("prepare", str(path), "--region", "IL", "--header-row", "1", "--json")
    assert code == 0
    assert json.loads(out)["rows_written"] == 2  # the first row named the columns

    code, _, err = run("prepare", str(path), "--region", "IL", "--header-row", "-1")
    assert code == 2

"""The CLI's scripting contract (issues 14 and 16): one JSON object on every exit code, the
report on stderr when the audience goes to stdout, no traceback for a bad output path, the
rejects file written when it is needed most, logs that say what each stage did."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import assert_one_error_line
from click.testing import CliRunner

import audience_prep as ap
from audience_prep.cli import cli

SAMPLE = str(Path(ap.__file__).parent / "data" / "sample_export.csv")


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_json_with_the_audience_on_stdout_puts_the_report_on_stderr() -> None:
    code, out, err = invoke("prepare", SAMPLE, "--region", "IL", "-o", "-", "--json")
    assert code == 0
    assert out.startswith("phone1,")
    assert json.loads(err)["rows_written"] == 15


@pytest.mark.parametrize(
    ("args", "code", "error_type"),
    [
        (("prepare", "/nonexistent/in.csv", "--region", "IL"), 1, "SourceReadError"),
        (("prepare", SAMPLE, "--region", "XX"), 2, "UnknownRegionError"),
        (("prepare", SAMPLE, "--region", "IL", "--encoding", "nope"), 2, "ConfigurationError"),
    ],
)
def test_json_failures_are_one_error_object(
    args: tuple[str, ...], code: int, error_type: str
) -> None:
    exit_code, out, err = invoke(*args, "--json")
    assert exit_code == code
    document = json.loads(out)
    assert document["error"]["type"] == error_type
    assert document["error"]["exit_code"] == code
    assert document["error"]["message"]
    assert err.startswith("Error: ")


def test_click_usage_errors_are_one_json_object_too() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "audience_prep", "prepare", SAMPLE, "--keep", "newest", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    document = json.loads(done.stdout)
    assert document["error"]["exit_code"] == 2
    assert "newest" in document["error"]["message"]


def test_all_rows_rejected_still_writes_the_rejects(tmp_path: Path) -> None:
    data, rejects = tmp_path / "in.csv", tmp_path / "rejects.csv"
    data.write_text("Phone,Name\n12,a\n34,b\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["prepare", str(data), "--region", "IL", "--rejects", str(rejects)]
    )
    assert_one_error_line(result, 1, "all 2 rows were rejected")
    text = rejects.read_bytes()
    assert text.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 right with the BOM
    assert text.count(b"invalid_number") == 2


def test_rejects_without_bom_on_request(tmp_path: Path) -> None:
    rejects = tmp_path / "r.csv"
    code, _, _ = invoke("prepare", SAMPLE, "--region", "IL", "--rejects", str(rejects), "--no-bom")
    assert code == 0
    assert rejects.read_bytes().startswith(b"source_file,")


@pytest.mark.parametrize("option", ["-o", "--rejects"])
def test_an_output_path_in_a_missing_folder_is_one_error_line(option: str) -> None:
    result = CliRunner().invoke(
        cli, ["prepare", SAMPLE, "--region", "IL", option, "/nonexistent/dir/x.csv"]
    )
    assert_one_error_line(result, 2, "cannot write /nonexistent/dir/x.csv")


def test_debug_keeps_the_exit_code_and_adds_the_traceback() -> None:
    result = CliRunner().invoke(cli, ["prepare", SAMPLE, "--region", "XX", "--debug"])
    assert result.exit_code == 2
    assert "Traceback" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith("Error: ")


def test_verbose_logs_each_stage_and_keeps_other_libraries_quiet() -> None:
    env = dict(os.environ)
    done = subprocess.run(
        [sys.executable, "-m", "audience_prep", "prepare", SAMPLE, "--region", "IL", "-v"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    assert "DEBUG audience_prep: stage normalize begins (24 rows)" in done.stderr
    assert "took" in done.stderr
    assert "charset_normalizer" not in done.stderr
    assert all(
        line.startswith(("DEBUG audience_prep", "INFO audience_prep", "WARNING"))
        for line in done.stderr.splitlines()
    )

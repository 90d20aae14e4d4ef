"""Hostile inputs that would kill, hang or exhaust the process (issue 14): each is refused with
a SourceReadError naming the file, the sheet and the limit, before the expensive step.

Each one is read in a child process limited to 1.5 GB of address space and a timeout, so a
regression fails its test (the child dies or times out) instead of killing pytest. The
legitimate twins of the hostile workbooks are read in this process: the checks must not
refuse what the reader reads.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import hostile
import hostile_binary
import pytest

from audience_prep import prepare
from audience_prep._prepare.read.sources import read_source
from audience_prep._prepare.working import ROW

MEMORY = 1536 * hostile.MIB
TIMEOUT = 120

_CHILD = textwrap.dedent(
    """
    import json, resource, sys
    from audience_prep import SourceReadError
    from audience_prep._prepare.read.sources import read_source
    {prelude}
    try:
        table = read_source({source})
    except SourceReadError as exc:
        out = dict(error=type(exc).__name__, source=exc.source, reason=exc.reason, hint=exc.hint)
    else:
        out = dict(rows=table.frame.height)
    out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps(out))
    """
)


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def read_isolated(source: str, *, prelude: str = "") -> dict[str, Any]:
    """``read_source(<source>)`` (a Python expression) in a child limited to MEMORY of address
    space and TIMEOUT seconds; what it raised, or how many rows it read."""
    code = _CHILD.format(source=source, prelude=prelude)
    child = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        preexec_fn=_limit_memory,
        check=False,
    )
    assert child.returncode == 0, f"the child died ({child.returncode}):\n{child.stderr[-3000:]}"
    result: dict[str, Any] = json.loads(child.stdout.splitlines()[-1])
    return result


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def assert_refused(result: dict[str, Any], path: Path, *fragments: str) -> None:
    assert result.get("error") == "SourceReadError", result
    assert result["source"] == str(path)
    for fragment in fragments:
        assert fragment in result["reason"]
    assert result["hint"]


# --- 1. sheets whose used range the reader cannot allocate --------------------------------


PAST_THE_AREA = [
    ("far.xlsx", hostile.far_corners_xlsx()),
    *((f"{label}.xlsx", data) for label, data in hostile.far_corners_unusual_xml().items()),
    ("far.xlsb", hostile_binary.far_corners_xlsb()),
    ("repeated.ods", hostile.repeated_ods()),
    ("repeated-rows.ods", hostile.repeated_rows_ods()),
    ("dimensions.xls", hostile_binary.huge_dimensions_xls()),
]


@pytest.mark.parametrize(("name", "data"), PAST_THE_AREA, ids=[n for n, _ in PAST_THE_AREA])
def test_a_sheet_past_the_area_limit_is_refused_before_it_is_read(
    tmp_path: Path, name: str, data: bytes
) -> None:
    assert len(data) < 64 * 1024  # small files: it is what they ask for that is hostile
    path = write(tmp_path, name, data)

    result = read_isolated(repr(str(path)))

    assert_refused(result, path, "sheet 'Sheet1'", "MAX_SHEET_AREA", "100,000,000")


def test_a_cell_past_excels_last_column_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "far.xls", hostile_binary.far_corner_xls())

    result = read_isolated(repr(str(path)))

    assert_refused(result, path, "sheet 'Sheet1'", "column 65,536", "MAX_SHEET_COLUMNS")


def test_a_shared_string_table_declaring_a_trillion_strings_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "strings.xlsx", hostile.huge_shared_strings_xlsx())

    result = read_isolated(repr(str(path)))

    assert_refused(result, path, "1,000,000,000,000 distinct strings", "MAX_SHEET_CELLS")


def test_the_far_corners_are_refused_from_bytes_and_file_objects_too(tmp_path: Path) -> None:
    path = write(tmp_path, "far.xlsx", hostile.far_corners_xlsx())

    from_bytes = read_isolated(f"open({str(path)!r}, 'rb').read()")
    from_handle = read_isolated(f"open({str(path)!r}, 'rb')")

    assert from_bytes["error"] == from_handle["error"] == "SourceReadError"
    assert "MAX_SHEET_AREA" in from_bytes["reason"]
    assert from_handle["source"] == str(path)


# --- 2. zip bombs ------------------------------------------------------------------------------


def test_a_zip_bomb_is_refused_by_its_compression_ratio(tmp_path: Path) -> None:
    data = hostile.zip_bomb_xlsx(2 * hostile.GIB)
    assert len(data) < 3 * hostile.MIB
    path = write(tmp_path, "bomb.xlsx", data)

    result = read_isolated(repr(str(path)))

    assert_refused(result, path, "xl/worksheets/sheet1.xml", "MAX_COMPRESSION_RATIO", "2.0 GiB")
    assert result["peak_mib"] < 1024


def test_a_zip_bomb_that_lies_about_its_size_is_refused_as_it_inflates(tmp_path: Path) -> None:
    """Declared 1 MiB (a ratio of 0.5), it inflates to 2 GiB: zipfile stops at the declared
    size, and the checksum of what it read is not the one declared."""
    path = write(tmp_path, "lying.xlsx", hostile.zip_bomb_xlsx(2 * hostile.GIB, lie=True))

    result = read_isolated(repr(str(path)))

    assert_refused(result, path, "not a readable workbook", "CRC")
    assert result["peak_mib"] < 1024


# --- 8. sources that never end ---------------------------------------------------------------


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_path_is_refused_before_it_is_opened(device: str) -> None:
    result = read_isolated(repr(device))

    assert result["error"] == "SourceReadError"
    assert result["source"] == device
    assert "character device" in result["reason"]
    assert "not a regular file" in result["reason"]


def test_a_device_file_object_is_refused_before_it_is_read() -> None:
    result = read_isolated("open('/dev/zero', 'rb')")

    assert result["error"] == "SourceReadError"
    assert result["source"] == "/dev/zero"
    assert "character device" in result["reason"]


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "export.csv"
    os.mkfifo(fifo)

    result = read_isolated(repr(str(fifo)))

    assert result["error"] == "SourceReadError"
    assert "FIFO" in result["reason"]


def test_a_file_object_that_never_ends_is_refused_at_the_input_limit() -> None:
    """The limit is lowered in the child to 64 MiB; the default (4 GiB) works the same way."""
    prelude = textwrap.dedent(
        """
        import audience_prep._prepare.read.sources as sources
        sources.MAX_INPUT_BYTES = 64 * 1024 * 1024
        class Endless:
            name = "<endless>"
            def read(self, size=-1):
                return b"0" * size
        """
    )

    result = read_isolated("Endless()", prelude=prelude)

    assert result["error"] == "SourceReadError"
    assert result["source"] == "<endless>"
    assert "MAX_INPUT_BYTES" in result["reason"]
    assert result["peak_mib"] < 1024


def test_a_file_past_the_input_limit_is_refused_by_its_size(tmp_path: Path) -> None:
    """A sparse file: 5 GiB by its size, nothing on disk."""
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.truncate(5 * hostile.GIB)

    result = read_isolated(repr(str(path)))

    assert_refused(result, path, "5 GiB", "MAX_INPUT_BYTES")


# --- their legitimate twins ----------------------------------------------------------------------

TWINS = [
    ("book.xlsx", hostile.xlsx(hostile.sheet_xml(hostile.header_rows(), dimension="A1:B2"))),
    ("book.xlsb", hostile_binary.xlsb()),
    ("book.ods", hostile.ods(hostile.ods_rows())),
    ("book.xls", hostile_binary.xls()),
    # LibreOffice's thousands of trailing empty cells and rows cost nothing
    ("trailing.ods", hostile.trailing_empty_ods()),
    # a styled but empty cell at XFD1048576, as some tools write: the reader skips it
    (
        "styled.xlsx",
        hostile.xlsx(
            hostile.sheet_xml(
                hostile.header_rows() + '<row r="1048576"><c r="XFD1048576" s="1"/></row>',
                dimension="A1:XFD1048576",
            )
        ),
    ),
]


@pytest.mark.parametrize(("name", "data"), TWINS, ids=[name for name, _ in TWINS])
def test_the_legitimate_twins_are_read(tmp_path: Path, name: str, data: bytes) -> None:
    table = read_source(write(tmp_path, name, data))

    assert table.headers == ("phone", "name")
    assert table.frame.select(ROW, "phone", "name").rows() == [(2, "0502345678", "Dana")]


def test_a_workbook_just_inside_the_limits_is_prepared(tmp_path: Path) -> None:
    rows = hostile.header_rows() + f'<row r="3">{hostile.cell("Z3", "note")}</row>'
    path = write(tmp_path, "wide.xlsx", hostile.xlsx(hostile.sheet_xml(rows)))

    prepared = prepare(path, region="IL")

    assert prepared.frame.get_column("phone1").to_list() == ["+972502345678"]


def test_a_compound_file_declaring_four_billion_fat_sectors_is_refused(tmp_path: Path) -> None:
    """The reader reserves room for the FAT its header declares before it reads a sector."""
    data = bytearray(hostile_binary.xls())
    data[0x2C:0x30] = (0xFFFFFFF0).to_bytes(4, "little")
    path = write(tmp_path, "corrupt.xls", bytes(data))

    result = read_isolated(repr(str(path)))

    assert_refused(result, path, "not a readable workbook", "allocation sectors")

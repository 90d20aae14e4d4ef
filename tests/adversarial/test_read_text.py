"""Text that is not what it seems (issue 14, items 3 and 15): stray bytes in UTF-8, UTF-16 and
UTF-32 without a byte-order mark, NUL bytes, a CR alone inside an LF file. Each is read by the
documented rule (``read/charset.py``, ``read/decode.py``), never garbled in silence.
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

import hostile
import hostile_binary
import polars as pl
import pytest

from audience_prep import SourceReadError, prepare
from audience_prep._prepare.read.charset import (
    Utf8Verdict,
    bomless_unicode,
    utf8_census,
    utf8_verdict,
)
from audience_prep._prepare.read.sources import ReadOptions, read_source
from audience_prep._prepare.working import MALFORMED, RAGGED, ROW, UNDECODABLE


def original_rows(rows: int) -> list[tuple[int, str, str]]:
    """(source row, phone, name) of :func:`hostile.hebrew_csv` as written."""
    lines = hostile.hebrew_csv(rows).splitlines()[1:]
    return [(i + 2, *line.split(",")) for i, line in enumerate(lines)]  # type: ignore[misc]


# --- 3. a few stray bytes in a UTF-8 file ------------------------------------------------------


def test_two_stray_bytes_leave_a_utf8_file_utf8_and_reject_their_rows(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes(hostile.utf8_with_stray_bytes(400, stray=(17, 250)))

    with caplog.at_level(logging.WARNING, logger="audience_prep"):
        prepared = prepare(path, region="IL")

    assert prepared.report.encoding == "utf-8"
    expected = [(row, name) for row, _, name in original_rows(400) if row not in (19, 252)]
    kept = prepared.frame.select("full_name" if "full_name" in prepared.frame.columns else "name")
    assert kept.to_series().to_list() == [name for _, name in expected]
    rejected = prepared.rejected.filter(pl.col("reason") == "undecodable")
    assert rejected.get_column("source_row").to_list() == [19, 252]
    assert prepared.report.rejected_by_reason == {"undecodable": 2}
    column = "full_name" if "full_name" in rejected.columns else "name"
    assert (
        rejected.get_column("message").to_list()
        == [
            f'the cell in column "{column}" holds bytes that are not UTF-8 (shown as \ufffd); '
            "the row is not uploaded garbled"
        ]
        * 2
    )
    assert all("\ufffd" in name for name in rejected.get_column("name").to_list())
    assert prepared.report.rows_read == prepared.report.rows_written + prepared.report.rows_rejected
    assert "not UTF-8" in caplog.text
    assert "rows 19, 252" in caplog.text


def test_stray_bytes_with_encoding_utf8_given_follow_the_same_rule() -> None:
    table = read_source(
        hostile.utf8_with_stray_bytes(400, stray=(3,)), ReadOptions(encoding="utf-8")
    )

    assert table.encoding == "utf-8"
    assert table.frame.filter(pl.col(MALFORMED) == UNDECODABLE).get_column(ROW).to_list() == [5]
    assert table.frame.get_column("name").to_list()[0] == "דנה כהן 0"


def test_a_real_cp1255_file_is_still_cp1255() -> None:
    raw = hostile.hebrew_csv(50).encode("cp1255")

    table = read_source(raw, ReadOptions(region="IL"))

    assert table.encoding == "cp1255"
    assert table.frame.select(ROW, "phone", "name").rows() == original_rows(50)


def test_a_cp1255_file_with_one_utf8_word_is_cp1255() -> None:
    """1 valid UTF-8 sequence among hundreds that are not: a legacy code page (a share of 1%
    or less), detected again from the bytes around the first invalid one."""
    raw = hostile.hebrew_csv(200).encode("cp1255") + "0502345999,José\n".encode()

    table = read_source(raw, ReadOptions(region="IL"))

    assert table.encoding == "cp1255"
    assert table.frame.get_column("name").to_list()[:2] == ["דנה כהן 0", "אלי לוי 1"]


def test_a_file_that_mixes_utf8_and_cp1255_is_refused() -> None:
    raw = hostile.hebrew_csv(100).encode() + hostile.hebrew_csv(100).encode("cp1255")

    with pytest.raises(SourceReadError, match="mixes UTF-8") as info:
        read_source(raw, ReadOptions(region="IL"))
    assert info.value.hint is not None
    assert "encoding=" in info.value.hint


VERDICTS = [
    # (valid non-ASCII sequences, invalid ones, verdict)
    (0, 0, Utf8Verdict.UTF8),
    (5000, 0, Utf8Verdict.UTF8),
    (99, 1, Utf8Verdict.UTF8),
    (9900, 100, Utf8Verdict.UTF8),
    (98, 2, Utf8Verdict.MIXED),
    (50, 50, Utf8Verdict.MIXED),
    (2, 98, Utf8Verdict.MIXED),
    (1, 99, Utf8Verdict.LEGACY),
    (0, 1, Utf8Verdict.LEGACY),
    (0, 4000, Utf8Verdict.LEGACY),
]


@pytest.mark.parametrize(("valid", "invalid", "verdict"), VERDICTS)
def test_the_utf8_rule(valid: int, invalid: int, verdict: Utf8Verdict) -> None:
    assert utf8_verdict(valid, invalid) is verdict


CENSUS = [
    # (bytes, valid, invalid)
    (b"phone,name\n", 0, 0),
    ("דנה".encode(), 3, 0),
    ("דנה".encode() + b"\xff", 3, 1),
    ("דנה".encode("cp1255"), 0, 3),
    ("\ufffd".encode(), 1, 0),  # a U+FFFD written in the file is a character
    ("ש".encode()[:1], 0, 1),  # a sequence cut by the end of the file
]


@pytest.mark.parametrize(("raw", "valid", "invalid"), CENSUS)
def test_the_utf8_census(raw: bytes, valid: int, invalid: int) -> None:
    census = utf8_census([raw])

    assert (census.valid, census.invalid) == (valid, invalid)


# --- 15. UTF-16 and UTF-32 without a BOM -------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_unicode_without_a_bom_is_detected_by_its_nul_bytes(encoding: str, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(hostile.hebrew_csv(20).encode(encoding))

    table = read_source(path)

    assert table.encoding == encoding
    assert table.frame.select(ROW, "phone", "name").rows() == original_rows(20)


BOMLESS = [
    # (sample, detected)
    ("phone,name\n".encode("utf-16-le"), "utf-16-le"),
    ("טלפון,שם\n0502345678,דנה\n".encode("utf-16-be"), "utf-16-be"),
    ("phone\n".encode("utf-32-le"), "utf-32-le"),
    (b"phone,name\n0502345678,Dana\n", None),
    (b"phone,na\x00me\n0502\x00345678,Dana\x00\n", None),  # a few stray NULs: UTF-8
    (b"\x00" * 64, None),  # NULs on both sides: padding, not text
]


@pytest.mark.parametrize(("sample", "detected"), BOMLESS)
def test_bomless_unicode(sample: bytes, detected: str | None) -> None:
    assert bomless_unicode(sample) == detected


# --- 15. NUL bytes ---------------------------------------------------------------------------


def test_nul_bytes_are_removed_and_never_reach_the_audience_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "padded.csv"
    path.write_bytes(b"pho\x00ne,name\n0502\x00345678,Da\x00na\n0502345679,Eli\x00\x00\n")

    with caplog.at_level(logging.WARNING, logger="audience_prep"):
        prepared = prepare(path, region="IL")

    assert b"\x00" not in prepared.to_csv()
    assert prepared.frame.get_column("phone1").to_list() == ["+972502345678", "+972502345679"]
    assert "5 NUL bytes removed" in caplog.text


def test_nul_characters_are_removed_from_a_sheet() -> None:
    table = read_source(hostile_binary.xls(name="Da\x00na"))  # XLSX cannot hold a NUL; XLS can

    assert table.frame.select("phone", "name").rows() == [("0502345678", "Dana")]


# --- 15. a CR alone inside an LF file -----------------------------------------------------------

BARE_CR = [
    # a CR between two records (a line glued on by an old Mac tool): both rows are kept
    b"phone,name\n0502345678,Dana\r0502345679,Moshe\n0502345680,Eli\n",
    # a CR inside an unquoted cell: the record ends there, both halves ragged
    b"phone,name,city\n0502345678,Da\rna\n0502345679,Eli,Haifa\n",
    # inside quotes it stays in the cell
    b'phone,note\n0502345678,"a\rb"\n0502345679,x\n',
    # at the very end
    b"phone,name\n0502345678,Dana\r",
]


@pytest.mark.parametrize("body", BARE_CR)
def test_a_bare_cr_is_read_as_the_csv_module_reads_it(body: bytes) -> None:
    table = read_source(body)

    records = list(csv.reader(io.StringIO(body.decode(), newline="")))
    width = len(records[0])
    expected = [tuple((r + [""] * width)[:width]) for r in records[1:] if any(c.strip() for c in r)]
    cells = [tuple(c or "" for c in row) for row in table.frame.select(table.headers).rows()]
    assert cells == expected


def test_a_bare_cr_loses_no_name_from_the_output_or_the_rejects() -> None:
    body = b"phone,name\n0502345678,Dana\r0502345679,Moshe\n0502345680,Eli\n"

    prepared = prepare(body, region="IL")

    assert prepared.frame.select("phone1").to_series().to_list() == [
        "+972502345678",
        "+972502345679",
        "+972502345680",
    ]
    assert prepared.rejected.height == 0


def test_a_bare_cr_in_a_large_lf_file_agrees_with_the_csv_module(tmp_path: Path) -> None:
    """The record is cut at the CR: ``0502348178,na`` is whole, ``me 2500`` is ragged."""
    lines = [f"05{2345678 + i:08d},name {i}" for i in range(5000)]
    lines[2500] = lines[2500].replace("name", "na\rme")
    body = ("phone,name\n" + "\n".join(lines) + "\n").encode()
    path = tmp_path / "big.csv"
    path.write_bytes(body)

    table = read_source(path)

    records = list(csv.reader(io.StringIO(body.decode(), newline="")))
    assert table.frame.height == len(records) - 1 == 5001
    assert table.frame.filter(pl.col(ROW).is_between(2502, 2504)).select(
        "phone", "name"
    ).rows() == [
        ("0502348178", "na"),
        ("me 2500", None),
        ("0502348179", "name 2501"),
    ]
    assert table.frame.filter(pl.col(MALFORMED) == RAGGED).get_column(ROW).to_list() == [2503]

"""Spreadsheet formula injection (issue 14, item 7): quoted where a spreadsheet would run it."""

from __future__ import annotations

import polars as pl
import pytest

import audience_prep as ap
from audience_prep._prepare.formulas import defuse_formulas

CELLS = [
    # (cell, written)
    ('=HYPERLINK("http://x.example","click")', '\'=HYPERLINK("http://x.example","click")'),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("@alice", "'@alice"),
    ("-", "'-"),
    # plain numbers are never touched
    ("-5", "-5"),
    ("-1.5", "-1.5"),
    ("+972 52-111-2233", "+972 52-111-2233"),
    ("+1 (212) 555-0134", "+1 (212) 555-0134"),
    # nor anything that does not start with a trigger
    ("Dana = Levi", "Dana = Levi"),
    ("a@example.com", "a@example.com"),
    (None, None),
]


@pytest.mark.parametrize(("cell", "written"), CELLS)
def test_cells(cell: str | None, written: str | None) -> None:
    frame, count = defuse_formulas(pl.DataFrame({"x": [cell, "ok"]}, schema={"x": pl.String}))
    assert frame["x"].to_list() == [written, "ok"]
    assert count == (written != cell)


def test_skipped_and_non_text_columns_are_left_alone() -> None:
    frame = pl.DataFrame({"phone1": ["+972502345678"], "n": [-5], "note": ["=1+1"]})
    out, count = defuse_formulas(frame, skip=("phone1",))
    assert out.rows() == [("+972502345678", -5, "'=1+1")]
    assert count == 1


HOSTILE = "\n".join(
    [
        "Phone,Name,Note,phone2",
        '050-2345678,"=HYPERLINK(""http://x.example"",""Click"")",'
        "+cmd|' /C calc'!A0,+972 52-111-2233",
        "050-2345679,Dana,-5,",
        '=cmd|" /C calc"!A0,Eli,@x,',
        "",
    ]
).encode()


def test_the_audience_quotes_every_column_but_phone1_and_counts_them() -> None:
    prepared = ap.prepare(HOSTILE, region="IL")
    assert prepared.frame.rows() == [
        (
            "+972502345678",
            "+972 52-111-2233",
            '\'=HYPERLINK("http://x.example","Click")',
            "'+cmd|' /C calc'!A0",
        ),
        ("+972502345679", None, "Dana", "-5"),
    ]
    assert prepared.report.formula_cells_quoted == 2
    assert b"'=HYPERLINK" in prepared.to_csv()


def test_quote_formulas_false_keeps_cells_as_they_are() -> None:
    prepared = ap.prepare(HOSTILE, region="IL", quote_formulas=False)
    assert prepared.frame["full_name"][0].startswith("=HYPERLINK")
    assert prepared.report.formula_cells_quoted == 0


def test_the_rejects_csv_always_quotes_and_can_start_with_a_bom() -> None:
    prepared = ap.prepare(HOSTILE, region="IL", quote_formulas=False)
    raw = prepared.rejected["raw_phone"].to_list()
    assert raw == ['=cmd|" /C calc"!A0']  # the frame holds the export's own text
    text = prepared.rejected_csv().decode("utf-8")
    assert '\'=cmd|"" /C calc""!A0' in text
    assert "'@x" in text
    assert prepared.rejected_csv(bom=True).startswith(b"\xef\xbb\xbf")

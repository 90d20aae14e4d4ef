"""Real export layouts (tests/corpus/): with only ``region=`` given, each gives the right audience.

Every layout's header row was copied from the public source named in tests/corpus/SOURCES.md;
the people in its rows are invented. The expected audience of each was decided row by row, as
a careful person handed the file would decide it (see corpus.toml).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

import audience_prep as ap

CORPUS = Path(__file__).parent / "corpus"
LAYOUTS: list[dict[str, Any]] = tomllib.loads((CORPUS / "corpus.toml").read_text("utf-8"))["layout"]


def test_the_corpus_is_large_and_every_layout_is_cited() -> None:
    sources = (CORPUS / "SOURCES.md").read_text("utf-8")
    assert len(LAYOUTS) >= 40
    assert len({layout["tool"] for layout in LAYOUTS}) >= 30
    for layout in LAYOUTS:
        assert layout["source_url"].startswith("https://"), layout["slug"]
        assert f"| {layout['slug']} |" in sources
        assert (CORPUS / "exports" / f"{layout['slug']}.csv").is_file()


@pytest.mark.parametrize("layout", LAYOUTS, ids=[layout["slug"] for layout in LAYOUTS])
def test_layout_gives_the_right_audience(layout: dict[str, Any]) -> None:
    path = CORPUS / "exports" / f"{layout['slug']}.csv"
    if "expected_error" in layout:
        with pytest.raises(getattr(ap, layout["expected_error"])):
            ap.prepare(path, region=layout["region"])
        return
    prepared = ap.prepare(path, region=layout["region"])
    report = prepared.report
    assert prepared.frame["phone1"].to_list() == layout["expected_phones"]
    assert report.rows_rejected == layout["expected_rejected"]
    assert list(report.phone_sources) == layout["phone_headers"]
    assert not set(report.phone_sources) & set(layout["not_phone_headers"])
    assert report.rows_read == report.rows_written + report.rows_rejected

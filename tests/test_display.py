"""Rich displays: HTML parsed with html.parser (never compared as strings), masking, explain."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

import audience_prep as ap
from audience_prep import NOTES
from audience_prep._display import diff_html, mask_phone, mask_phones_in, upload_html
from audience_prep.cli import cli

SAMPLE = str(Path(ap.__file__).parent / "data" / "sample_export.csv")
XSS_HEADER = "<script>alert('header')</script>"
XSS_CELL = "<img src=x onerror=alert(1)>"


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def find_all(self, tag: str) -> list[Element]:
        found = []
        for child in self.children:
            if isinstance(child, Element):
                found += [child] if child.tag == tag else []
                found += child.find_all(tag)
        return found


class TreeBuilder(HTMLParser):
    """A strict little DOM: fails on a closing tag that does not match the open one."""

    VOID = frozenset({"br", "img", "hr", "meta", "input"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in self.VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(markup: str) -> Element:
    builder = TreeBuilder()
    builder.feed(markup)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder.root


def table_rows(table: Element) -> list[list[str]]:
    return [
        [cell.text() for cell in row.children if isinstance(cell, Element)]
        for row in table.find_all("tr")
    ]


def table_titled(root: Element, first_header: str) -> list[list[str]]:
    for table in root.find_all("table"):
        rows = table_rows(table)
        if rows and rows[0][0] == first_header:
            return rows
    raise AssertionError(f"no table whose first header is {first_header!r}")


@pytest.fixture(scope="module")
def sample() -> ap.Prepared:
    return ap.prepare(SAMPLE, region="IL")


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("+972502345678", "+97250***5678"),
        ("972502345678", "97250***5678"),
        ("050-234-5678", "050***5678"),
        ("+1 (202) 555-0143", "+1202***0143"),
        ("050000000", "0500***00"),
        ("1234567", "12***67"),
        ("12345", "12345"),
        ("n/a", "n/a"),
        ("", ""),
    ],
)
def test_mask_phone(raw: str, masked: str) -> None:
    assert mask_phone(raw) == masked


def test_mask_phones_in_text_keeps_row_numbers_and_short_numbers() -> None:
    text = "duplicate of row 1234567 (+972523456789); '12345' is not valid"
    assert mask_phones_in(text) == "duplicate of row 1234567 (+97252***6789); '12345' is not valid"


def test_rejected_summary(sample: ap.Prepared) -> None:
    summary = sample.rejected_summary()
    assert summary.columns == ["reason", "count", "share", "examples"]
    assert summary.schema["examples"] == pl.List(pl.String)
    assert summary.rows()[0][:2] == ("duplicate", 4)
    assert dict(summary.select("reason", "count").rows()) == sample.report.rejected_by_reason
    assert summary["share"].sum() == pytest.approx(sample.report.rejected_share)
    assert summary["count"].to_list() == sorted(summary["count"].to_list(), reverse=True)
    duplicates = summary.filter(pl.col("reason") == "duplicate")["examples"][0].to_list()
    assert duplicates == [
        "row 10: duplicate of row 2 (+97250***5678)",
        "row 17: duplicate of row 3 (+97252***6789)",
        "row 20: duplicate of row 8 (+9723***3456)",
    ]


def test_rejected_summary_show_phones_and_examples(sample: ap.Prepared) -> None:
    summary = sample.rejected_summary(examples=1, show_phones=True)
    duplicates = summary.filter(pl.col("reason") == "duplicate")["examples"][0].to_list()
    assert duplicates == ["row 10: duplicate of row 2 (+972502345678)"]


def test_rejected_summary_of_nothing_rejected() -> None:
    prepared = ap.prepare(pl.DataFrame({"phone": ["0502345678"]}), region="IL")
    summary = prepared.rejected_summary()
    assert summary.height == 0
    assert summary.columns == ["reason", "count", "share", "examples"]


def test_prepared_html_counts_mapping_and_reasons(sample: ap.Prepared) -> None:
    root = parse(sample._repr_html_())
    report = sample.report
    counts = dict(row for row in table_titled(root, "")[1:] if len(row) == 2)
    assert counts["rows read"] == "24"
    assert counts["rows written"] == "15"
    assert counts["rows rejected"] == "9 (37.5%)"
    mapping = table_titled(root, "source header")
    assert ["Mobile Phone", "phone1", "14"] in mapping
    assert ["Notes", "passed through", ""] in mapping
    reasons = table_titled(root, "reason")
    assert reasons[0] == ["reason", "rows", "share", "of rows read", "examples"]
    assert {row[0]: int(row[1]) for row in reasons[1:]} == report.rejected_by_reason
    assert "row 12: '12345' is not a valid phone number (region IL)" in reasons[-1][4] + "".join(
        row[4] for row in reasons
    )


def test_prepared_html_bars_are_proportional(sample: ap.Prepared) -> None:
    root = parse(sample.to_html())
    bars = [span for span in root.find_all("span") if span.attrs.get("class") == "ap-bar"]
    assert len(bars) == len(sample.report.rejected_by_reason)
    widths = [int(re.findall(r"width:(\d+)px", bar.children[0].attrs["style"])[0]) for bar in bars]  # type: ignore[union-attr]
    # duplicate 4/24, then 2/24 twice, then 1/24, of a 120px track
    assert widths == [20, 10, 10, 5]
    assert [bar.attrs["title"] for bar in bars] == ["16.7%", "8.3%", "8.3%", "4.2%"]


def test_prepared_html_masks_phones_unless_asked(sample: ap.Prepared) -> None:
    kept = sample.frame["phone1"].to_list()
    masked_text = parse(sample.to_html()).text()
    assert not [phone for phone in kept if phone in masked_text]
    assert "+97250***5678" in masked_text
    shown_text = parse(sample.to_html(show_phones=True)).text()
    assert "+972502345678" in shown_text


def test_html_escapes_headers_and_cells() -> None:
    frame = pl.DataFrame(
        {
            "phone": ["0502345678", XSS_CELL, "0502345678"],
            XSS_HEADER: ["a", "b", "c"],
        }
    )
    prepared = ap.prepare(frame, region="IL")
    assert prepared.report.rejected_by_reason == {"duplicate": 1, "unparseable": 1}
    for markup in (prepared.to_html(show_phones=True), prepared.report._repr_html_()):
        root = parse(markup)
        assert not root.find_all("script")
        assert not root.find_all("img")
        assert XSS_HEADER in root.text()
    frame = pl.DataFrame({"phone": ["0502345678", "<b>050</b>12345"]})
    root = parse(ap.prepare(frame, region="IL").to_html(show_phones=True))
    assert not root.find_all("b")
    assert "<b>050</b>12345" in root.text()


def test_report_html(sample: ap.Prepared) -> None:
    root = parse(sample.report._repr_html_())
    assert root.find_all("h3")[0].text() == f"PrepReport: {sample.report.source}"
    reasons = table_titled(root, "reason")
    assert reasons[0] == ["reason", "rows", "share", "of rows read"]
    assert len(reasons) == 1 + len(sample.report.rejected_by_reason)


def test_report_html_lists_notes() -> None:
    frame = pl.DataFrame({"phone": ["050-2345678 ext. 12", "447400123456"]})
    report = ap.prepare(frame, region="IL").report
    notes = table_titled(parse(report._repr_html_()), "note")
    assert notes[1:] == [
        ["country_code_without_plus", "1", NOTES["country_code_without_plus"]],
        ["extension", "1", NOTES["extension"]],
    ]


def _upload_report(**changes: object) -> ap.UploadReport:
    values: dict[str, object] = {
        "audience_id": "312345",
        "rows_uploaded": 15,
        "bytes_uploaded": 900,
        "sha256": "ab" * 32,
        "status_code": 200,
        "description": "Success",
        "response_time": "2024-01-01T00:00:00Z",
        "attempts": 2,
        "elapsed_s": 0.5,
        "dry_run": False,
        "operation": "replace",
        "filename": "audience.csv",
    }
    values.update(changes)
    return ap.UploadReport(**values)


def test_upload_html() -> None:
    rows = dict(table_rows(parse(upload_html(_upload_report())).find_all("table")[0])[1:])
    assert rows["audience"] == "312345"
    assert rows["rows uploaded"] == "15"
    assert rows["result"] == "HTTP 200 Success"
    assert rows["attempts"] == "2"
    dry = dict(
        table_rows(parse(upload_html(_upload_report(dry_run=True))).find_all("table")[0])[1:]
    )
    assert dry["result"] == "dry run: nothing was sent"
    escaped = parse(upload_html(_upload_report(description=XSS_CELL)))
    assert not escaped.find_all("img")


def test_upload_html_shows_the_members_uploaded() -> None:
    report = _upload_report(rows_uploaded=1500, members_uploaded=1498, bytes_uploaded=25_000)
    rows = dict(table_rows(parse(upload_html(report)).find_all("table")[0])[1:])
    assert (rows["rows uploaded"], rows["members uploaded"]) == ("1,500", "1,498")
    assert rows["bytes"] == "25,000"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("reason", list(ap.REASONS))
def test_explain_reason(reason: str) -> None:
    code, out, err = run("explain", reason)
    assert (code, err) == (0, "")
    assert out.startswith(f"{reason} (reason code)\n")
    assert " ".join(out.split()[3:]) == " ".join(ap.REASONS[reason].split())


def test_explain_note_and_spelling() -> None:
    code, out, _ = run("explain", "Multiple-Numbers")
    assert code == 0
    assert out.startswith("multiple_numbers (note on a kept row)")


def test_explain_lists_everything() -> None:
    code, out, _ = run("explain")
    assert code == 0
    listed = re.findall(r"^(\w+) \((?:reason code|note on a kept row)\)$", out, re.MULTILINE)
    assert listed == [*ap.REASONS, *NOTES]


def test_explain_unknown_reason_exits_2_listing_known_ones() -> None:
    code, out, err = run("explain", "bad_phone")
    assert (code, out) == (2, "")
    assert err.startswith("Error: unknown reason 'bad_phone'. Known reasons: missing_phone, ")
    for known in [*ap.REASONS, *NOTES]:
        assert known in err
    assert err.count("\n") == 1


@dataclass
class FakeDiff:
    """The shape of the ledger's ReplacementDiff that diff_html reads."""

    audience_id: str = "312345"
    members: int = 3
    added: int = 2
    removed: int = 1
    kept: int = 1
    first_upload: bool = False
    previous_members: int = 2
    previous_entry: int | None = 1
    pending_entries: tuple[int, ...] = (2,)
    hashed: bool = False
    sets: dict[str, list[str]] = field(
        default_factory=lambda: {
            "added": ["972502345678", "972523456789"],
            "removed": ["972501111111"],
            "kept": ["972544123456"],
        }
    )

    def frames(self) -> dict[str, pl.DataFrame]:
        return {name: pl.DataFrame({"phone1": keys}) for name, keys in self.sets.items()}


def test_diff_html_counts_masks_and_warns() -> None:
    root = parse(diff_html(FakeDiff()))
    rows = table_titled(root, "members")
    assert [row[:2] for row in rows[1:]] == [["added", "2"], ["removed", "1"], ["kept", "1"]]
    assert rows[1][3] == "97250***567897252***6789"  # two examples, one per line (<br>)
    assert "972502345678" not in root.text()
    assert "Upload(s) 2 to this audience were never confirmed" in root.text()
    assert "instead of entry 1" in root.text()
    shown = parse(diff_html(FakeDiff(), show_phones=True)).text()
    assert "972502345678" in shown


def test_diff_html_hashed_removed_members() -> None:
    diff = FakeDiff(hashed=True, pending_entries=())
    diff.sets["removed"] = ["ab" * 32]
    root = parse(diff_html(diff))
    rows = table_titled(root, "members")
    assert rows[2][3] == f"sha256 {'ab' * 6}…"
    assert "never confirmed" not in root.text()


def test_diff_html_renders_the_ledger_diff() -> None:
    from audience_prep._ledger.diff import diff_members

    before = ["972501111111", "972523456789"]
    diff = diff_members("312345", frozenset({"972502345678", "972523456789"}), before, rows=2)
    rows = table_titled(parse(diff_html(diff)), "members")
    assert [row[:2] for row in rows[1:]] == [["added", "1"], ["removed", "1"], ["kept", "1"]]
    assert rows[2][3] == "97250***1111"


def test_mapping_decisions_are_shown_escaped_with_their_fix() -> None:
    data = b"Home Phone,Mobile,<b>Email</b>,Email\n03-6123456,050-2345678,a@x.org,b@x.org\n"
    prepared = ap.prepare(data, region="IL")
    html = prepared.to_html()
    assert "Mapping decisions" in html
    assert "&#x27;Mobile&#x27; (mobile), &#x27;Home Phone&#x27; (other)" in html
    assert "<b>Email</b>" not in html  # header text is escaped
    assert "columns={&#x27;Mobile&#x27;: &#x27;phone1&#x27;}" in html


def test_no_mapping_decisions_no_section() -> None:
    prepared = ap.prepare(b"Phone\n050-2345678\n", region="IL")
    assert prepared.report.mapping_notes == []
    assert "Mapping decisions" not in prepared.to_html()


# --- colours that read on light and dark notebooks (WCAG contrast arithmetic) -------------

LIGHT, DARK = (255, 255, 255), (17, 17, 17)  # a light theme; JupyterLab's dark layout colour
DARKER = (30, 30, 30)  # VS Code's dark notebook background


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _over(
    rgba: tuple[float, float, float, float], background: tuple[int, int, int]
) -> tuple[float, float, float]:
    *rgb, alpha = rgba
    return tuple(alpha * c + (1 - alpha) * b for c, b in zip(rgb, background, strict=True))  # type: ignore[return-value]


def _hex(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


@pytest.mark.parametrize("background", [LIGHT, DARK, DARKER])
@pytest.mark.parametrize("meaning", ["rejected", "added", "removed", "kept"])
def test_bars_stand_out_from_their_track_on_light_and_dark_themes(
    meaning: str, background: tuple[int, int, int]
) -> None:
    """WCAG 1.4.11: a graphical object needs 3:1 against what is next to it."""
    from audience_prep._display import _TRACK, BAR_COLORS

    track = _over(tuple(float(v) for v in _TRACK[5:-1].split(",")), background)  # type: ignore[arg-type]
    fill = _hex(BAR_COLORS[meaning])
    assert _contrast(fill, track) >= 3.0
    assert _contrast(fill, background) >= 3.0


@pytest.mark.parametrize(
    ("text", "background"), [((0, 0, 0), LIGHT), ((212, 212, 212), DARK), ((204, 204, 204), DARKER)]
)
def test_muted_text_keeps_aa_contrast(
    text: tuple[int, int, int], background: tuple[int, int, int]
) -> None:
    """Muted text is the theme's own text colour at 80 % opacity: WCAG AA needs 4.5:1."""
    from audience_prep._display import _MUTED

    opacity = float(_MUTED.split(":")[1])
    assert _contrast(_over((*text, opacity), background), background) >= 4.5


def test_added_removed_and_kept_have_their_own_colours() -> None:
    from audience_prep._display import BAR_COLORS

    assert len({BAR_COLORS["added"], BAR_COLORS["removed"], BAR_COLORS["kept"]}) == 3


def test_no_fixed_grey_or_red_text_in_any_display() -> None:
    prepared = ap.prepare(SAMPLE, region="IL")
    html = prepared.to_html()
    for fixed in ("#eee", "#555", "#a94442", "color:#"):
        assert fixed not in html


def test_to_html_displays_in_a_notebook() -> None:
    shown = ap.prepare(SAMPLE, region="IL").to_html(show_phones=True)
    assert isinstance(shown, str)
    assert shown._repr_html_() == str(shown)

"""Rich displays: HTML for notebooks and plain text for terminals, with phones masked.

Everything here returns strings; nothing prints. Every piece of data placed in HTML (headers,
cells, messages, file names) goes through :func:`html.escape`, because exports are untrusted
input: a header ``<script>`` must render as text. Phones in examples are masked
(``+97250***5678``) unless the caller passes ``show_phones=True``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Protocol

from audience_prep._reasons import NOTES, REASONS

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "BAR_COLORS",
    "DiffLike",
    "Html",
    "PreparedLike",
    "ReportLike",
    "UploadLike",
    "ValidationLike",
    "diff_html",
    "mask_phone",
    "mask_phones_in",
    "prepared_html",
    "rejected_summary",
    "report_html",
    "upload_html",
    "validation_html",
]

#: A run of digits and phone punctuation; masked when it holds at least 7 digits.
_PHONE_RUN: Final = re.compile(r"(?<!row )\+?[0-9][0-9 ()./-]*[0-9]")
_MASK_MIN_DIGITS: Final = 7
_BAR_PX: Final = 120
#: Colours that read on a light and a dark notebook alike (tests/test_display.py checks the
#: contrast arithmetic): bars sit on a half-transparent grey track, muted text is the theme's
#: own text colour at 80 % opacity, and nothing else is coloured.
_TRACK: Final = "rgba(127,127,127,0.15)"
BAR_COLORS: Final = {
    "rejected": "#d9534f",
    "removed": "#d9534f",
    "added": "#2f8f4e",
    "kept": "#75808c",
}
_MUTED: Final = "opacity:0.8"
_CELL: Final = "padding:2px 8px;text-align:left;vertical-align:top"
_NUM: Final = "padding:2px 8px;text-align:right;vertical-align:top"


class ReportLike(Protocol):
    """What the displays read of a preparation report (``PrepReport``)."""

    @property
    def source(self) -> str: ...
    @property
    def format(self) -> str: ...
    @property
    def rows_read(self) -> int: ...
    @property
    def rows_written(self) -> int: ...
    @property
    def rows_rejected(self) -> int: ...
    @property
    def rejected_share(self) -> float: ...
    @property
    def rejected_by_reason(self) -> Mapping[str, int]: ...
    @property
    def column_mapping(self) -> Mapping[str, str]: ...
    @property
    def phone_sources(self) -> Mapping[str, int]: ...
    @property
    def extra_columns(self) -> Sequence[str]: ...
    @property
    def notes(self) -> Mapping[str, int]: ...
    @property
    def region(self) -> str | None: ...
    @property
    def region_column(self) -> str | None: ...
    @property
    def sheet(self) -> str | None: ...
    @property
    def header_row(self) -> int: ...
    @property
    def empty_rows_skipped(self) -> int: ...
    @property
    def keep(self) -> str: ...
    @property
    def phone_format(self) -> str: ...
    @property
    def mobile_only(self) -> bool: ...
    @property
    def sha256(self) -> str: ...
    @property
    def mapping_notes(self) -> Sequence[Mapping[str, Any]]: ...
    @property
    def encoding(self) -> str | None: ...
    @property
    def delimiter(self) -> str | None: ...


class PreparedLike(Protocol):
    """What the displays read of a prepared audience (``Prepared``)."""

    @property
    def report(self) -> ReportLike: ...
    @property
    def rejected(self) -> pl.DataFrame: ...


class UploadLike(Protocol):
    """What the displays read of an upload report (``UploadReport``)."""

    @property
    def operation(self) -> str: ...
    @property
    def audience_id(self) -> str | None: ...
    @property
    def name(self) -> str | None: ...
    @property
    def rows_uploaded(self) -> int: ...
    @property
    def members_uploaded(self) -> int | None: ...
    @property
    def bytes_uploaded(self) -> int: ...
    @property
    def filename(self) -> str: ...
    @property
    def dry_run(self) -> bool: ...
    @property
    def status_code(self) -> int | None: ...
    @property
    def description(self) -> str | None: ...
    @property
    def attempts(self) -> int: ...
    @property
    def sha256(self) -> str: ...
    @property
    def diff(self) -> DiffLike | None: ...


def _summary_schema() -> dict[str, pl.DataType]:
    import polars as pl

    return {
        "reason": pl.String(),
        "count": pl.Int64(),
        "share": pl.Float64(),
        "examples": pl.List(pl.String()),
    }


def mask_phone(text: str) -> str:
    """Hide the middle digits of a phone: ``+972502345678`` -> ``+97250***5678``.

    Rules: only ASCII digits (and a leading ``+``) are kept, punctuation is dropped; with 10 or
    more digits the first 5 and last 4 stay, with fewer the last 2 and at most 4 first, and at
    least 3 digits are always hidden. Text with fewer than 7 digits is returned unchanged.
    """
    digits = "".join(ch for ch in text if "0" <= ch <= "9")
    if len(digits) < _MASK_MIN_DIGITS:
        return text
    end = 4 if len(digits) >= 10 else 2
    start = min(5, len(digits) - end - 3)
    plus = "+" if text.lstrip().startswith("+") else ""
    return f"{plus}{digits[:start]}***{digits[-end:]}"


def mask_phones_in(text: str) -> str:
    """Mask every phone-like run (7 or more digits) inside free text, e.g. a reject message."""
    return _PHONE_RUN.sub(lambda match: mask_phone(match.group(0)), text)


def rejected_summary(
    rejected: pl.DataFrame, rows_read: int, *, examples: int = 3, show_phones: bool = False
) -> pl.DataFrame:
    """One row per reason: ``reason``, ``count``, ``share`` (of rows read), ``examples``.

    Sorted by count (largest first), then reason. Each example reads ``row N: message`` for the
    first ``examples`` rejected rows of that reason, in source order; phones are masked unless
    ``show_phones``.
    """
    import polars as pl

    schema = _summary_schema()
    if rejected.is_empty():
        return pl.DataFrame(schema=schema)
    several_files = rejected["source_file"].n_unique() > 1
    label = pl.format("row {}: ", pl.col("source_row"))
    if several_files:
        label = pl.format("{} row {}: ", pl.col("source_file"), pl.col("source_row"))
    lines = rejected.select(
        "reason", (label + pl.col("message").fill_null(pl.col("reason"))).alias("example")
    )
    if not show_phones:
        lines = lines.with_columns(pl.col("example").map_elements(mask_phones_in, pl.String))
    summary = lines.group_by("reason", maintain_order=True).agg(
        pl.len().cast(pl.Int64).alias("count"), pl.col("example").head(examples).alias("examples")
    )
    share = pl.col("count") / rows_read if rows_read else pl.lit(0.0)
    return (
        summary.with_columns(share.cast(pl.Float64).alias("share"))
        .select(list(schema))
        .sort(["count", "reason"], descending=[True, False])
    )


# HTML ------------------------------------------------------------------------------------------


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _table(head: Iterable[str], rows: Iterable[Iterable[str]], *, numeric: set[int]) -> str:
    """A small table; ``rows`` hold already-escaped HTML cells, ``numeric`` right-aligns."""
    ths = "".join(
        f'<th style="{_NUM if i in numeric else _CELL}">{_e(h)}</th>' for i, h in enumerate(head)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td style="{_NUM if i in numeric else _CELL}">{c}</td>' for i, c in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return (
        f'<table style="border-collapse:collapse"><thead><tr>{ths}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def _bar(share: float, meaning: str = "rejected") -> str:
    """An inline bar, ``share`` (0-1) of a fixed width: CSS only, no plotting dependency."""
    width = round(max(0.0, min(1.0, share)) * _BAR_PX)
    return (
        f'<span class="ap-bar" title="{share:.1%}" style="display:inline-block;width:{_BAR_PX}px;'
        f'height:0.8em;background:{_TRACK}"><span style="display:block;width:{width}px;'
        f'height:100%;background:{BAR_COLORS[meaning]}"></span></span>'
    )


def _section(title: str, body: str) -> str:
    return f'<h4 style="margin:0.8em 0 0.3em 0">{_e(title)}</h4>{body}'


def _wrap(title: str, sections: Iterable[str]) -> str:
    return (
        '<div class="audience-prep" style="font-family:sans-serif;font-size:0.9em">'
        f'<h3 style="margin:0 0 0.4em 0">{_e(title)}</h3>{"".join(sections)}</div>'
    )


def _counts_html(report: ReportLike) -> str:
    rows = [
        ("rows read", f"{report.rows_read:,}"),
        ("rows written", f"{report.rows_written:,}"),
        ("rows rejected", f"{report.rows_rejected:,} ({report.rejected_share:.1%})"),
    ]
    if report.empty_rows_skipped:
        label = "empty row skipped" if report.empty_rows_skipped == 1 else "empty rows skipped"
        rows.append((label, f"{report.empty_rows_skipped:,}"))
    return _table(["", "rows"], [[_e(k), _e(v)] for k, v in rows], numeric={1})


def _mapping_html(report: ReportLike) -> str:
    rows = [
        [_e(header), _e(canonical), _e(_count(report.phone_sources.get(header)))]
        for header, canonical in report.column_mapping.items()
    ]
    rows += [[_e(header), "<i>passed through</i>", ""] for header in report.extra_columns]
    return _table(["source header", "column", "phone1 rows from it"], rows, numeric={2})


def _reasons_html(
    counts: Mapping[str, int], rows_read: int, examples: Mapping[str, list[str]] | None
) -> str:
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    rows = []
    for reason, count in ordered:
        share = count / rows_read if rows_read else 0.0
        hint = REASONS.get(reason, "")
        cells = [
            f'<code title="{_e(hint)}">{_e(reason)}</code>',
            _e(f"{count:,}"),
            _e(f"{share:.1%}"),
            _bar(share),
        ]
        if examples is not None:
            cells.append("<br>".join(_e(line) for line in examples.get(reason, [])))
        rows.append(cells)
    head = ["reason", "rows", "share", "of rows read"]
    if examples is not None:
        head.append("examples")
    return _table(head, rows, numeric={1, 2})


def _notes_html(notes: Mapping[str, int]) -> str:
    rows = [
        [f"<code>{_e(k)}</code>", _e(f"{v:,}"), _e(NOTES.get(k, ""))]
        for k, v in sorted(notes.items())
    ]
    return _table(["note", "rows", "meaning"], rows, numeric={1})


def _settings_html(report: ReportLike) -> str:
    region = report.region or "-"
    if report.region_column:
        region += f" (per row from {report.region_column!r})"
    sheet = f", sheet {report.sheet!r}" if report.sheet else ""
    text = ""
    if report.encoding:
        delimiter = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}.get(
            report.delimiter or "", repr(report.delimiter)
        )
        text = f", {report.encoding}, {delimiter}-delimited"
    header = f"header row {report.header_row}" if report.header_row else "no header row"
    return (
        f'<p style="margin:0.5em 0;{_MUTED}">{_e(report.format)}{_e(sheet)}{_e(text)}, '
        f"{_e(header)}, region {_e(region)}, keep={_e(report.keep)}, "
        f"phone_format={_e(report.phone_format)}, mobile_only={_e(report.mobile_only)}, "
        f"sha256 <code>{_e(report.sha256[:12])}</code></p>"
    )


def _decisions_html(notes: Sequence[Mapping[str, Any]]) -> str:
    """Each decision of the header matching: the column, the rule, and the columns= fix."""
    rows = [
        [
            f"<code>{_e(note['column'])}</code>",
            _e(note["rule"]),
            "" if not note.get("fix") else f"<code>{_e(note['fix'])}</code>",
        ]
        for note in notes
    ]
    return _table(["column", "decision", "to change it"], rows, numeric=set())


def _report_sections(report: ReportLike, examples: Mapping[str, list[str]] | None) -> list[str]:
    sections = [_counts_html(report), _settings_html(report)]
    sections.append(_section("Column mapping", _mapping_html(report)))
    if report.mapping_notes:
        sections.append(_section("Mapping decisions", _decisions_html(report.mapping_notes)))
    if report.rejected_by_reason:
        reasons = _reasons_html(report.rejected_by_reason, report.rows_read, examples)
        explain = (
            f'<p style="{_MUTED}">What a reason means and how to fix it: '
            "<code>audience-prep explain REASON</code></p>"
        )
        sections.append(_section("Rejected rows by reason", reasons + explain))
    if report.notes:
        sections.append(_section("Notes on kept rows", _notes_html(report.notes)))
    return sections


def report_html(report: ReportLike) -> str:
    """A PrepReport as HTML: counts, settings, mapping, rejects by reason with bars, notes."""
    return _wrap(f"PrepReport: {report.source}", _report_sections(report, None))


def prepared_html(prepared: PreparedLike, *, show_phones: bool = False, examples: int = 3) -> str:
    """A Prepared as HTML: the report plus a few example rows per reason (phones masked)."""
    summary = rejected_summary(
        prepared.rejected, prepared.report.rows_read, examples=examples, show_phones=show_phones
    )
    lines = {str(row["reason"]): list(row["examples"]) for row in summary.iter_rows(named=True)}
    title = f"Prepared audience: {prepared.report.source}"
    return _wrap(title, _report_sections(prepared.report, lines))


def upload_html(report: UploadLike) -> str:
    """An UploadReport as HTML: what was sent, where, and what CommBox answered."""
    if report.dry_run:
        outcome = "dry run: nothing was sent"
    else:
        outcome = f"HTTP {report.status_code} {report.description or ''}".strip()
    rows = [
        ("operation", report.operation),
        ("audience", report.audience_id or "-"),
        ("name", report.name or "-"),
        ("rows uploaded", f"{report.rows_uploaded:,}"),
        ("members uploaded", _count(report.members_uploaded) or "-"),
        ("bytes", f"{report.bytes_uploaded:,}"),
        ("file", report.filename),
        ("result", outcome),
        ("attempts", report.attempts),
        ("sha256", report.sha256[:12]),
    ]
    table = _table(["", "value"], [[_e(k), _e(v)] for k, v in rows], numeric=set())
    diff = report.diff  # set when the upload went through a ledger
    extra = [] if diff is None else [_section("Members", _diff_body(diff, show_phones=False))]
    return _wrap("UploadReport", [table, *extra])


class DiffLike(Protocol):
    """What the display needs of a replacement diff (the ledger's ``ReplacementDiff``)."""

    @property
    def audience_id(self) -> str: ...
    @property
    def members(self) -> int: ...
    @property
    def added(self) -> int: ...
    @property
    def removed(self) -> int: ...
    @property
    def kept(self) -> int: ...
    @property
    def first_upload(self) -> bool: ...
    @property
    def previous_members(self) -> int: ...
    @property
    def previous_entry(self) -> int | None: ...
    @property
    def pending_entries(self) -> Sequence[int]: ...
    @property
    def hashed(self) -> bool: ...

    def frames(self) -> dict[str, Any]: ...


def diff_html(diff: DiffLike, *, show_phones: bool = False, examples: int = 3) -> str:
    """A replacement diff as HTML: members added, removed and kept, bars, a few examples."""
    body = _diff_body(diff, show_phones=show_phones, examples=examples)
    return _wrap(f"Replacement of audience {diff.audience_id}", [body])


def _diff_body(diff: DiffLike, *, show_phones: bool, examples: int = 3) -> str:
    scale = max(diff.members, diff.previous_members, 1)
    frames = diff.frames()
    rows = []
    for name, count in (("added", diff.added), ("removed", diff.removed), ("kept", diff.kept)):
        column = frames[name].columns[0]
        shown = [str(v) for v in frames[name][column].head(examples).to_list()]
        if not show_phones and not (name == "removed" and diff.hashed):
            shown = [mask_phone(v) for v in shown]
        if name == "removed" and diff.hashed:
            shown = [f"sha256 {v[:12]}…" for v in shown]
        if diff.first_upload and name != "added":  # the members before are not known
            rows.append([_e(name), "<i>unknown</i>", "", ""])
            continue
        bar = _bar(count / scale, name)
        rows.append([_e(name), _e(f"{count:,}"), bar, "<br>".join(map(_e, shown))])
    notes = []
    if diff.first_upload:
        notes.append(
            "First upload recorded for this audience: the members it held before are not "
            "known, so what this replacement removes is unknown."
        )
    if diff.pending_entries:
        entries = ", ".join(str(entry) for entry in diff.pending_entries)
        basis = f" instead of entry {diff.previous_entry}" if diff.previous_entry else ""
        notes.append(
            f"Upload(s) {entries} to this audience were never confirmed (a timeout, a crash, or "
            f"one still running elsewhere): the audience may hold them{basis}."
        )
    table = _table(["members", "count", "", "examples"], rows, numeric={1})
    return table + "".join(f"<p><b>Note:</b> {_e(n)}</p>" for n in notes)


class ValidationLike(Protocol):
    """What the display reads of a validation report (``ValidationReport``)."""

    @property
    def source(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    @property
    def rows(self) -> int: ...
    @property
    def counts(self) -> Mapping[str, int]: ...
    @property
    def phone_format(self) -> str: ...
    @property
    def failures(self) -> pl.DataFrame: ...


def validation_html(
    report: ValidationLike, *, examples: int = 10, show_phones: bool = False
) -> str:
    """A ValidationReport as HTML: the verdict, failures by check, the first failures."""
    verdict = (
        f"compliant: {report.rows:,} rows, phone1 in {report.phone_format}"
        if report.ok
        else f"not compliant: {report.failures.height:,} failures in {report.rows:,} rows"
    )
    sections = [f"<p><b>{_e(verdict)}</b></p>"]
    if not report.ok:
        counts = [[f"<code>{_e(k)}</code>", _e(f"{v:,}")] for k, v in report.counts.items()]
        sections.append(
            _section("Failures by check", _table(["check", "count"], counts, numeric={1}))
        )
        rows = []
        for row in report.failures.head(examples).iter_rows(named=True):
            value = "" if row["value"] is None else str(row["value"])
            shown = value if show_phones else mask_phone(value)
            rows.append(
                [
                    _e("file" if row["row"] is None else row["row"]),
                    _e(row["column"] or ""),
                    f"<code>{_e(row['check'])}</code>",
                    _e(shown),
                    _e(row["message"]),
                ]
            )
        head = ["row", "column", "check", "value", "message"]
        sections.append(_section("First failures", _table(head, rows, numeric={0})))
    return _wrap(f"Validation of {report.source}", sections)


def _count(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


class Html(str):
    """HTML text that a notebook displays as HTML (and that is still a ``str``)."""

    __slots__ = ()

    def _repr_html_(self) -> str:
        return str(self)

"""PrepReport: what prepare() read, kept, rejected and why, as plain data.

``to_dict()`` is typed (:class:`PrepReportDict`), and the same shape is shipped as a JSON Schema
(``schemas/json/prep_report.schema.json``, :func:`report_json_schema`) so an ETL job can check
what it stores; a test keeps the two the same.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, cast

from typing_extensions import TypedDict  # pydantic reads its fields on Python 3.11


class MappingNoteDict(TypedDict):
    """One decision of the header matching (see ``PrepReport.mapping_notes``)."""

    column: str
    chosen: list[str]
    over: list[str]
    rule: str
    fix: str | None


class PrepReportDict(TypedDict):
    """``PrepReport.to_dict()``: every field of the report, plus ``rejected_share``."""

    source: str
    format: str
    rows_read: int
    rows_written: int
    rows_rejected: int
    rejected_by_reason: dict[str, int]
    duplicates: int
    column_mapping: dict[str, str]
    phone_sources: dict[str, int]
    notes: dict[str, int]
    region: str | None
    region_column: str | None
    phone_format: str
    mobile_only: bool
    keep: str
    schema: str
    sha256: str
    audience_prep_version: str
    phonenumbers_version: str
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    empty_rows_skipped: int
    header_row: int
    files: list[str]
    extra_columns: list[str]
    mapping_notes: list[MappingNoteDict]
    formula_cells_quoted: int
    rejected_share: float


def report_json_schema(name: str = "prep_report") -> dict[str, Any]:
    """A shipped JSON Schema of a report's ``to_dict()``: ``prep_report`` or
    ``validation_report``."""
    from audience_prep._prepare.schema import builtin_dir

    path = builtin_dir() / "json" / f"{name}.schema.json"
    schema: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return schema


@dataclass(frozen=True, slots=True)
class PrepReport:
    """The accounting of one prepare() run; ``rows_read == rows_written + rows_rejected``."""

    source: str
    format: str
    rows_read: int
    rows_written: int
    rows_rejected: int
    rejected_by_reason: dict[str, int]
    duplicates: int
    column_mapping: dict[str, str]
    phone_sources: dict[str, int]
    notes: dict[str, int]
    region: str | None
    region_column: str | None
    phone_format: str
    mobile_only: bool
    keep: str
    schema: str
    sha256: str
    audience_prep_version: str
    phonenumbers_version: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    empty_rows_skipped: int = 0
    header_row: int = 1
    files: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    #: Every decision of the header matching: the column, the header(s) chosen, those passed
    #: over, the rule that decided and the ``columns=`` that would change it.
    mapping_notes: list[dict[str, Any]] = field(default_factory=list)
    #: Cells (never phone1's) given a leading ``'`` so a spreadsheet shows them as text
    #: instead of running them as formulas (``quote_formulas=True``).
    formula_cells_quoted: int = 0

    @property
    def rejected_share(self) -> float:
        """Share of the rows read that were rejected (0.0 for an empty input)."""
        return self.rows_rejected / self.rows_read if self.rows_read else 0.0

    def to_dict(self) -> PrepReportDict:
        """The report as JSON-ready plain data (the shape of ``report_json_schema()``)."""
        data = asdict(self)
        data["rejected_share"] = round(self.rejected_share, 6)
        return cast(PrepReportDict, data)

    def to_json(self, *, indent: int | None = 2) -> str:
        """The report as a JSON document (keys in a fixed order)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def __repr__(self) -> str:
        reasons = ", ".join(f"{k}={v}" for k, v in sorted(self.rejected_by_reason.items()))
        return (
            f"PrepReport(source={self.source!r}, rows_read={self.rows_read}, "
            f"rows_written={self.rows_written}, rows_rejected={self.rows_rejected}"
            f"{' (' + reasons + ')' if reasons else ''}, region={self.region!r}, "
            f"sha256={self.sha256[:12]}…)"
        )

    def _repr_html_(self) -> str:
        """Notebook display: counts, mapping, rejects by reason with a bar chart, notes."""
        from audience_prep._display import report_html

        return report_html(self)

"""PrepReport: what prepare() read, kept, rejected and why, as plain data."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


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

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready plain data."""
        data = asdict(self)
        data["rejected_share"] = round(self.rejected_share, 6)
        return data

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

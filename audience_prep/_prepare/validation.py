"""The validation gate: judge an audience file as CommBox will receive it, changing nothing.

:func:`validate` reads a CSV or Excel audience file (a path, bytes, or a prepared audience's
CSV) and reports every way it falls short, as rows of a failures frame. Checks (``check``):

- ``utf8``: a CSV is UTF-8 (a BOM is allowed); the first bad byte is reported with its row;
- ``header``: the first row is a header whose names are unique and not empty;
- ``field_count``: every record has the header's number of fields;
- ``phone_column``: the header holds the schema's phone column (``phone1``);
- ``required_columns``: the header holds every column the schema requires;
- ``not_empty``, ``no_padding``, ``format``, ``valid_number``, ``unique``: every phone1 cell is
  filled, has no surrounding whitespace, has exactly the chosen form (``+`` and digits for
  ``e164``, digits for ``digits``), is a valid number whose normal form is the cell itself
  (:func:`normalize_phone`), and appears once.

The row checks are a pandera schema (``_cell_schema``): its failure cases, with lazy
validation, become the failures, so the checks are declared once and run by pandera.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, cast

import polars as pl
from typing_extensions import TypedDict  # pydantic reads its fields on Python 3.11

from audience_prep._errors import SourceReadError
from audience_prep._options import PhoneFormat
from audience_prep._prepare.phones.normalize import read_cells
from audience_prep._prepare.phones.oracle import check_phone_format
from audience_prep._prepare.schema import PHONE_PATTERNS, AudienceSchema, load_schema

__all__ = ["CHECKS", "ValidationReport", "validate"]

#: Every check, in the order the report lists them.
CHECKS: Final = (
    "utf8", "header", "field_count", "phone_column", "required_columns",
    "not_empty", "no_padding", "format", "valid_number", "unique",
)  # fmt: skip
_FAILURES_SCHEMA: Final = {
    "row": pl.Int64,
    "column": pl.String,
    "check": pl.String,
    "value": pl.String,
    "message": pl.String,
}
#: The hidden column of each record's row number, as a spreadsheet shows it.
LINE: Final = "\x00line"
_ZIP_MAGIC: Final = b"PK\x03\x04"
_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0"


class FailureDict(TypedDict):
    """One failure of a validation (a row of ``ValidationReport.failures``)."""

    row: int | None
    column: str | None
    check: str
    value: str | None
    message: str | None


class ValidationReportDict(TypedDict):
    """``ValidationReport.to_dict()`` (JSON Schema: ``report_json_schema("validation_report")``)."""

    source: str
    ok: bool
    rows: int
    phone_column: str
    phone_format: str
    counts: dict[str, int]
    failures: list[FailureDict]


@dataclass(frozen=True, repr=False)
class ValidationReport:
    """The verdict on one audience file: ``ok``, every failure and counts by check.

    ``failures`` has one row per failure: ``row`` (as a spreadsheet shows it, the header is
    row 1; null for the file as a whole), ``column``, ``check``, ``value`` and ``message``.
    """

    source: str
    phone_column: str
    phone_format: str
    rows: int
    failures: pl.DataFrame

    @property
    def ok(self) -> bool:
        """Whether the file passed every check."""
        return self.failures.is_empty()

    @property
    def counts(self) -> dict[str, int]:
        """Failures by check, in CHECKS order (checks that passed are left out)."""
        found = dict(self.failures.group_by("check").len().iter_rows())
        return {check: int(found[check]) for check in CHECKS if check in found}

    def first(self, n: int = 5) -> list[str]:
        """The first ``n`` failures as one line each (``row 3, phone1: ...``)."""
        lines = []
        for row in self.failures.head(n).iter_rows(named=True):
            where = "file" if row["row"] is None else f"row {row['row']}"
            column = f", {row['column']}" if row["column"] else ""
            lines.append(f"{where}{column}: {row['message']}")
        return lines

    def to_dict(self) -> ValidationReportDict:
        """JSON-ready values: the verdict, counts, and every failure."""
        return {
            "source": self.source,
            "ok": self.ok,
            "rows": self.rows,
            "phone_column": self.phone_column,
            "phone_format": self.phone_format,
            "counts": self.counts,
            "failures": cast(list[FailureDict], self.failures.to_dicts()),
        }

    def _repr_html_(self) -> str:
        from audience_prep._display import validation_html

        html: str = validation_html(self)
        return html

    def __repr__(self) -> str:
        verdict = "compliant" if self.ok else f"{self.failures.height} failures {self.counts}"
        return f"<ValidationReport {self.source}: {self.rows} rows, {verdict}>"


def validate(
    source: str | Path | bytes,
    *,
    schema: str | Path | AudienceSchema | None = None,
    phone_format: PhoneFormat = "e164",
    name: str | None = None,
) -> ValidationReport:
    """Judge the audience file ``source`` (a .csv or .xlsx path, or its bytes) as CommBox will
    receive it; see the module docstring for the checks. Nothing is changed or sent."""
    check_phone_format(phone_format)
    audience = load_schema(schema)
    label, data = _load(source, name)
    table, failures = _table(data, label)
    failures += _header_failures(table, audience)
    if any(f["check"] in ("phone_column", "header") for f in failures) or table is None:
        return _report(
            label, audience, phone_format, 0 if table is None else table.height, failures
        )
    cells = _cell_failures(table, audience.phone_column, phone_format)
    return _report(label, audience, phone_format, table.height, failures, cells)


def _load(source: str | Path | bytes, name: str | None) -> tuple[str, bytes]:
    if isinstance(source, bytes | bytearray | memoryview):
        return name or "<bytes>", bytes(source)
    path = Path(source)
    try:
        return name or str(path), path.read_bytes()
    except OSError as exc:
        raise SourceReadError(str(path), exc.strerror or type(exc).__name__) from exc


def _report(
    label: str,
    schema: AudienceSchema,
    phone_format: str,
    rows: int,
    failures: list[dict[str, Any]],
    cells: pl.DataFrame | None = None,
) -> ValidationReport:
    frame = pl.DataFrame(failures, schema=_FAILURES_SCHEMA)
    if cells is not None:
        frame = pl.concat([frame, cells.select(list(_FAILURES_SCHEMA))])
    order = {check: i for i, check in enumerate(CHECKS)}
    rank = pl.col("check").replace_strict(order, return_dtype=pl.Int64)
    frame = frame.sort(pl.col("row"), rank, nulls_last=False)
    return ValidationReport(label, schema.phone_column, phone_format, rows, frame)


def _failure(
    row: int | None, column: str | None, check: str, value: str | None, message: str
) -> dict[str, Any]:
    return {"row": row, "column": column, "check": check, "value": value, "message": message}


def _table(data: bytes, label: str) -> tuple[pl.DataFrame | None, list[dict[str, Any]]]:
    """The file as a frame of text (header as column names), and the file-level failures."""
    if data.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        return _sheet(data, label)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        return None, [
            _failure(
                row,
                None,
                "utf8",
                None,
                f"byte {exc.start} (0x{data[exc.start]:02x}) is "
                "not UTF-8: CommBox reads audience files as UTF-8; save the file as UTF-8",
            )
        ]
    return _records(text)


def _records(text: str) -> tuple[pl.DataFrame | None, list[dict[str, Any]]]:
    """The records as a frame, numbered as a spreadsheet shows them (one row per record, a
    blank line counted, a quoted cell with line breaks one row), and the field-count failures."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    try:
        for number, record in enumerate(reader, start=1):
            if record:
                records.append((number, record))
    except csv.Error as exc:
        row = len(records) + 1
        return None, [_failure(row, None, "field_count", None, f"malformed CSV: {exc}")]
    if not records:
        return None, [_failure(1, None, "header", None, "the file is empty: it needs a header row")]
    (_, header), rows = records[0], records[1:]
    failures = [
        _failure(
            line, None, "field_count", None, f"{len(r)} fields where the header has {len(header)}"
        )
        for line, r in rows
        if len(r) != len(header)
    ]
    width = len(header)
    columns = {
        f"\x00{i}": [(r[i] or None) if i < len(r) else None for _, r in rows] for i in range(width)
    }
    frame = pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String))
    frame = frame.rename(dict(zip(columns, _header_names(header), strict=True)))
    return frame.with_columns(pl.Series(LINE, [line for line, _ in rows], pl.Int64)), failures


def _header_names(header: Sequence[str]) -> list[str]:
    """The header as frame column names; repeats and blanks are made unique (and reported)."""
    seen: dict[str, int] = {}
    names = []
    for cell in header:
        seen[cell] = seen.get(cell, 0) + 1
        names.append(cell if seen[cell] == 1 else f"{cell}\x00{seen[cell]}")
    return names


def _sheet(data: bytes, label: str) -> tuple[pl.DataFrame | None, list[dict[str, Any]]]:
    from audience_prep._prepare.read.excel import read_excel_bytes

    _, cells = read_excel_bytes(data, label, 0)
    if cells.height == 0:
        return None, [
            _failure(1, None, "header", None, "the sheet is empty: it needs a header row")
        ]
    header = ["" if v is None else str(v) for v in cells.row(0)]
    frame = cells.slice(1).rename(dict(zip(cells.columns, _header_names(header), strict=True)))
    lines = pl.int_range(2, frame.height + 2, dtype=pl.Int64, eager=True).alias(LINE)
    return frame.with_columns(lines), []


def _header_failures(table: pl.DataFrame | None, schema: AudienceSchema) -> list[dict[str, Any]]:
    if table is None:
        return []
    names = [c.split("\x00")[0] for c in table.columns if c != LINE]
    failures = [
        _failure(1, name or None, "header", name, "a header name is repeated: make it unique")
        for name in dict.fromkeys(n for n in names if names.count(n) > 1)
    ]
    failures += [
        _failure(1, None, "header", None, f"column {i + 1} has no header name")
        for i, n in enumerate(names)
        if not n.strip()
    ]
    if schema.phone_column not in names:
        failures.append(
            _failure(
                1,
                schema.phone_column,
                "phone_column",
                None,
                f"no {schema.phone_column!r} column (headers: {', '.join(names)}); "
                "prepare the export first: audience_prep.prepare()",
            )
        )
    failures += [
        _failure(1, c.name, "required_columns", None, f"the schema requires a {c.name!r} column")
        for c in schema.columns
        if c.required and c.type != "phone" and c.name not in names
    ]
    return failures


def _cell_failures(table: pl.DataFrame, column: str, phone_format: str) -> pl.DataFrame:
    """The phone column's failures: pandera's failure cases of ``_cell_schema``."""
    from pandera.errors import SchemaErrors

    try:
        _cell_schema(column, phone_format).validate(table.select(column), lazy=True)
    except SchemaErrors as exc:
        cases: pl.DataFrame = exc.failure_cases
    else:
        return pl.DataFrame(schema=_FAILURES_SCHEMA)
    form = "+ and digits (E.164)" if phone_format == "e164" else "digits, without +"
    messages = {
        "not_empty": f"{column} is empty: every member needs a phone",
        "no_padding": f"{column} has spaces around the number",
        "format": f"{column} is not in the chosen form: {form}",
        "valid_number": f"{column} is not a valid number in its normal form",
        "unique": f"{column} appears in another row too",
    }
    at = cases.filter(pl.col("index").is_not_null())
    rows = table.get_column(LINE).gather(at.get_column("index").cast(pl.UInt32))
    return at.select(
        rows.alias("row"),
        pl.lit(column).alias("column"),
        pl.col("check"),
        pl.col("failure_case").cast(pl.String).alias("value"),
        pl.col("check").replace_strict(messages, default=None).alias("message"),
    )


def _cell_schema(column: str, phone_format: str) -> Any:
    """The pandera schema of the phone column; each check is named as in CHECKS."""
    import pandera.polars as pa

    pattern = PHONE_PATTERNS[phone_format]
    checks = [
        pa.Check(
            lambda data: data.lazyframe.select(
                pl.col(data.key).is_not_null() & (pl.col(data.key).str.strip_chars() != "")
            ),
            name="not_empty",
            ignore_na=False,
        ),
        pa.Check(
            lambda data: data.lazyframe.select(
                pl.col(data.key) == pl.col(data.key).str.strip_chars()
            ),
            name="no_padding",
        ),
        pa.Check(
            lambda data: data.lazyframe.select(pl.col(data.key).str.contains(pattern)),
            name="format",
        ),
        pa.Check(lambda data: _valid(data, phone_format), name="valid_number"),
        pa.Check(
            lambda data: data.lazyframe.select(~pl.col(data.key).is_duplicated()),
            name="unique",
        ),
    ]
    return pa.DataFrameSchema({column: pa.Column(pl.String, nullable=True, checks=checks)})


def _valid(data: Any, phone_format: str) -> pl.LazyFrame:
    """Whether each cell is a valid number and its own normal form (read with no region)."""
    cells = data.lazyframe.select(pl.col(data.key)).collect().to_series()
    shown = cells.str.strip_chars()
    plus = shown if phone_format == "e164" else "+" + shown
    read = read_cells(plus, None).get_column("phone")
    # an empty cell is not_empty's failure, not this check's
    return pl.LazyFrame({data.key: cells.is_null() | (read.is_not_null() & (read == plus))})

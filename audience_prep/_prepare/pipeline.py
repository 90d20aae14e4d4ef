"""prepare(): read, map, normalise, dedupe and validate an export into a Prepared audience."""

from __future__ import annotations

import codecs
import hashlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final, get_args

import phonenumbers
import polars as pl

from audience_prep._errors import (
    ConfigurationError,
    InternalValidationError,
    MappingError,
    MissingColumnError,
)
from audience_prep._options import ExtraColumns, Keep, PhoneFormat
from audience_prep._prepare.columns import ColumnMapping, MappingNote, map_columns
from audience_prep._prepare.dedupe import check_keep, plan_dedupe
from audience_prep._prepare.evidence import settle_phone_sources
from audience_prep._prepare.formulas import defuse_formulas
from audience_prep._prepare.phones.inputs import phone_inputs
from audience_prep._prepare.phones.normalize import ENGINES, Engine, PhoneOptions, normalize_phones
from audience_prep._prepare.phones.oracle import check_phone_format, check_region
from audience_prep._prepare.prepared import Prepared, write_csv
from audience_prep._prepare.read.csvtext import data_cell
from audience_prep._prepare.read.sources import ReadOptions, Source, read_source
from audience_prep._prepare.read.table import RawTable
from audience_prep._prepare.rejects import build_rejected, rejected_rows
from audience_prep._prepare.report import PrepReport
from audience_prep._prepare.schema import AudienceSchema, load_schema
from audience_prep._prepare.working import (
    CLEAN,
    DUPLICATE_OF,
    DUPLICATE_OF_FILE,
    FILE,
    FROM,
    MALFORMED,
    NOTE,
    PHONE,
    RAW,
    REASON,
    REGION,
    REGION_CELL,
    REGION_RAW,
    ROW,
)
from audience_prep._progress import ProgressCallback, ignore
from audience_prep._reasons import Reason
from audience_prep._text import header_key
from audience_prep._version import __version__

log = logging.getLogger("audience_prep")

EXTRA_COLUMNS: Final = get_args(ExtraColumns)


def prepare(
    source: Source,
    *,
    region: str | None = None,
    region_column: str | None = None,
    columns: Mapping[str, str] | None = None,
    schema: str | Path | AudienceSchema | None = None,
    mobile_only: bool = False,
    keep: Keep = "first",
    phone_format: PhoneFormat = "e164",
    sheet: str | int | None = None,
    extra_columns: ExtraColumns = "keep",
    encoding: str | None = None,
    delimiter: str | None = None,
    header_row: int | None = None,
    progress: ProgressCallback | None = None,
    engine: Engine = "vectorised",
    strict_columns: bool = False,
    quote_formulas: bool = True,
) -> Prepared:
    """Turn ``source`` into a validated CommBox audience; every input row is kept or rejected.

    ``region`` is the default ISO 3166 alpha-2 region for national-format numbers;
    ``region_column`` names a column of per-row regions (codes or country names in many
    languages). Without either, numbers written with their country code are read and the
    others are rejected as ``no_region``.
    ``columns`` maps source headers to canonical names and wins over automatic matching; every
    decision of the automatic matching is in ``report.mapping_notes``, and
    ``strict_columns=True`` refuses (``AmbiguousColumnsError``, ``MissingColumnError``) where a
    rule had to choose between headers of equal standing or the values had to find the phone.
    ``header_row`` (1-based) says where the header is when titles sit above it, 0 that the file
    has none; by default it is the first of the first 20 rows that matches the schema's words,
    and a file whose first row holds a phone number or an e-mail address where a header would
    be is read as having none (its columns named ``column_1``, ... ; a mapping note says so).
    ``quote_formulas`` (default on) puts a ``'`` before every cell but phone1's that a
    spreadsheet would run as a formula (``=HYPERLINK(...)``; see ``_prepare.formulas``);
    ``report.formula_cells_quoted`` counts them.
    ``engine="oracle"`` runs the readable per-cell definition of the phone rules instead of the
    vectorised engine (same answers, much slower), for debugging.
    ``progress(stage, done, total)`` is called as the stages advance (see ``ProgressCallback``).
    See the README for every option and reason code.
    """
    report_progress = _StageLog(progress or ignore)
    region = _check_options(region, keep, phone_format, extra_columns)
    _check_encoding(encoding)
    if engine not in ENGINES:
        raise ConfigurationError(f"engine must be 'vectorised' or 'oracle', not {engine!r}.")
    audience_schema = load_schema(schema)
    read_options = ReadOptions(
        sheet=sheet,
        encoding=encoding,
        delimiter=delimiter,
        header_row=header_row,
        is_header=audience_schema.is_header,
        region=region,
        progress=report_progress,
        usable=_has_phone_column(audience_schema, columns, region),
    )
    table = read_source(source, read_options)
    try:
        mapping = _map(table, audience_schema, columns, region, strict=strict_columns)
    except MissingColumnError as exc:
        if len(table.sheets) < 2 or sheet is not None:
            raise
        raise MissingColumnError(
            exc.source,
            exc.canonical,
            exc.headers,
            exc.closest,
            likely_header=exc.likely_header,
            sheets=table.sheets,
        ) from None
    if table.header_row == 0 and header_row is None:
        mapping = replace(mapping, notes=(_no_header_note(table), *mapping.notes))
    if len(table.sheets) > 1 and sheet is None:
        mapping = replace(mapping, notes=(_sheet_note(table), *mapping.notes))
    log.debug(
        "%s: %d headers, phone1 from %s, %d mapping decisions",
        table.source,
        len(table.headers),
        ", ".join(repr(h) for h in mapping.phone_sources),
        len(mapping.notes),
    )
    phone_options = PhoneOptions(
        sources=mapping.phone_sources,
        region=region,
        region_column=_resolve_region_column(region_column, table, mapping),
        mobile_only=mobile_only,
        phone_format=phone_format,
        engine=engine,
    )
    run = _Run(
        table, mapping, audience_schema, phone_options, keep, report_progress, quote_formulas
    )
    return run.execute(extra_columns)


def _map(
    table: RawTable,
    schema: AudienceSchema,
    columns: Mapping[str, str] | None,
    region: str | None,
    *,
    strict: bool,
) -> ColumnMapping:
    """The table's headers mapped onto the schema, the phone sources settled by their values."""
    mapping = map_columns(
        table.headers, schema, overrides=columns, source=table.source, strict=strict
    )
    return settle_phone_sources(
        mapping, table.frame, schema, region=region, source=table.source, strict=strict
    )


def _has_phone_column(
    schema: AudienceSchema, columns: Mapping[str, str] | None, region: str | None
) -> Callable[[RawTable], bool]:
    """Whether a workbook sheet's table has a column the mapping would take phones from (by
    ``columns``, its headers or its values), for choosing the sheet to read."""

    def usable(table: RawTable) -> bool:
        try:
            return bool(_map(table, schema, columns, region, strict=False).phone_sources)
        except MappingError:
            return False

    return usable


def _sheet_note(table: RawTable) -> MappingNote:
    """Which sheet of a workbook was read, and why (see ``read.sources._read_workbook``)."""
    sheets, chosen = table.sheets, table.sheet or ""
    at = sheets.index(chosen) if chosen in sheets else 0
    before, after = sheets[:at], sheets[at + 1 :]
    if before:
        rule = f"{chosen!r}, the first sheet with a phone column ({_names(before)} before it: none)"
    else:
        rule = f"{chosen!r}, the first sheet, which has a phone column"
    if after:
        rule += f"; not read: {_names(after)}"
    other = (*after, *before)[0]
    return MappingNote(
        column="sheet",
        chosen=(chosen,),
        over=(*before, *after),
        rule=rule,
        fix=f'sheet={other!r} (CLI: --sheet "{other}") reads another',
    )


def _names(names: Sequence[str]) -> str:
    return ", ".join(repr(n) for n in names)


def _no_header_note(table: RawTable) -> MappingNote:
    """The decision to read a file's first row as data (see ``read.csvtext.locate_header``)."""
    first = table.frame.head(1).select(table.headers).rows()
    cell = data_cell(first[0]) if first else None
    what = "an e-mail address" if cell and "@" in cell else "a phone number"
    width = len(table.headers)
    columns = "one column named column_1" if width == 1 else f"columns column_1 to column_{width}"
    return MappingNote(
        column="header row",
        chosen=(),
        over=(),
        rule=(
            f"none: no cell of the first row names a column, and {cell!r} is {what}; every row "
            f"is data, in {columns}"
        ),
        fix="header_row=1 (CLI: --header-row 1) reads the first row as the header",
    )


@dataclass(slots=True)
class _Run:
    """One prepare() after its options are checked: the stages in order.

    Each stage drops the frames it no longer needs, so a large export is held about once.
    """

    table: RawTable
    mapping: ColumnMapping
    schema: AudienceSchema
    options: PhoneOptions
    keep: Keep
    progress: ProgressCallback
    quote_formulas: bool = True

    def execute(self, extra_columns: ExtraColumns) -> Prepared:
        """Normalise, dedupe, validate and write; every input row ends up kept or rejected."""
        source = self.table.frame
        rows_read = source.height
        self.table = replace(self.table, frame=source.clear())  # keep the metadata only
        has_malformed = bool(source.get_column(MALFORMED).max() or 0)
        malformed = source.filter(pl.col(MALFORMED) != CLEAN) if has_malformed else source.clear()
        self.progress("normalize", 0, rows_read)
        cells = source.filter(pl.col(MALFORMED) == CLEAN) if has_malformed else source
        del source
        # The phone stage's columns stay beside the cells (not added to them: that would copy
        # every column of a frame read in many chunks into one). They come in one chunk per
        # engine batch: one chunk each makes the gathers below direct.
        box = [cells, normalize_phones(*self._phone_inputs(cells)).rechunk()]
        del cells
        phones = box[1].get_column(PHONE)
        self.progress("dedupe", 0, phones.len() - phones.null_count())
        headers = [*self.table.headers]
        plan = plan_dedupe(
            box[1].select(PHONE).hstack([box[0].get_column(h) for h in headers]),
            key=PHONE,
            keep=self.keep,
            completeness=headers,
        )
        dropped = rejected_rows(phones.is_null().arg_true(), plan.duplicates, plan.duplicate_of)
        del phones
        tallies = _tallies(box[1], plan.kept)
        rejected_columns = [*headers, ROW, FILE, RAW, REASON, REGION, PHONE]
        if REGION_RAW in box[1].columns:
            rejected_columns.append(REGION_RAW)
        parts = _gather_parts(
            box,
            {
                "kept": (plan.kept, [*headers, PHONE]),
                "rejected": (dropped.get_column("at"), rejected_columns),
            },
            derived=[
                ("rejected", ROW, dropped.get_column("of"), DUPLICATE_OF),
                *(
                    [("rejected", FILE, dropped.get_column("of"), DUPLICATE_OF_FILE)]
                    if len(self.table.files) > 1
                    else []
                ),
            ],
        )
        del plan, dropped
        return self._finish(
            rows_read, parts["kept"], parts["rejected"], malformed, extra_columns, tallies
        )

    def _phone_inputs(self, cells: pl.DataFrame) -> tuple[pl.DataFrame, PhoneOptions]:
        """The phone stage's input columns (see ``phones.inputs``) and its options for them."""
        inputs, names, labels = phone_inputs(cells, self.mapping, self.schema)
        region_column = self.options.region_column
        if region_column is not None:
            inputs = inputs.with_columns(cells.get_column(region_column).alias(REGION_CELL))
        options = replace(
            self.options,
            sources=names,
            labels=labels,
            region_column=None if region_column is None else REGION_CELL,
        )
        return inputs, options

    def _finish(
        self,
        rows_read: int,
        kept: pl.DataFrame,
        dropped: pl.DataFrame,
        malformed: pl.DataFrame,
        extra_columns: ExtraColumns,
        tallies: _Tallies,
    ) -> Prepared:
        frame = _output_frame(kept, self.mapping, self.schema, extra_columns)
        quoted = 0
        if self.quote_formulas:
            frame, quoted = defuse_formulas(frame, skip=(self.schema.phone_column,))
        self.progress("validate", 0, frame.height)
        _validate(frame, self.schema, self.options.phone_format)
        self.progress("write", 0, frame.height)
        rejected = build_rejected(dropped, malformed, self.table)
        del dropped, malformed
        csv = write_csv(frame)
        counts = _Counts(rows_read, frame, tallies, rejected, csv, quoted)
        report = _report(self.table, self.mapping, self.schema, counts, self.options, self.keep)
        self.progress("write", frame.height, frame.height)
        if isinstance(self.progress, _StageLog):
            self.progress.end()
        log.info("prepared %s: %r", self.table.source, report)
        return Prepared(frame, rejected, report, csv)


@dataclass(frozen=True, slots=True)
class _Tallies:
    """Of the kept rows: how many took their phone from each source column, and each note."""

    phone_from: dict[str, int]
    notes: dict[str, int]


def _tallies(phones: pl.DataFrame, kept: pl.Series) -> _Tallies:
    """The :class:`_Tallies` of the rows at positions ``kept`` of the phone stage's frame."""
    rows = phones.select(pl.col(FROM).gather(kept), pl.col(NOTE).gather(kept))
    phone_from = dict(rows.group_by(FROM).len().iter_rows())
    notes = dict(rows.drop_nulls(NOTE).group_by(NOTE).len().sort(NOTE).iter_rows())
    return _Tallies({str(k): int(v) for k, v in phone_from.items()}, notes)


@dataclass(frozen=True, slots=True)
class _Counts:
    """What the report counts: rows read, the audience, the kept rows' tallies, the rejects,
    the CSV."""

    rows_read: int
    frame: pl.DataFrame
    kept: _Tallies
    rejected: pl.DataFrame
    csv: bytes
    formula_cells_quoted: int = 0


def _gather_parts(
    box: list[pl.DataFrame],
    parts: dict[str, tuple[pl.Series, list[str]]],
    *,
    derived: list[tuple[str, str, pl.Series, str]],
) -> dict[str, pl.DataFrame]:
    """Split the row-aligned frames in ``box`` (taken out of it) into ``parts``: name -> (row
    positions, columns). Each ``derived`` entry (part, column, positions, name) adds to that
    part the column's values at other positions (nulls give nulls), under a new name.

    Column by column, each source column is let go as soon as its parts have their rows, so
    a large export is not held twice over; each column costs the same however wide the frame
    (10,000 columns are 10,000 steps, not 10,000 frame copies).
    """
    out: dict[str, dict[str, pl.Series]] = {name: {} for name in parts}
    wanted: dict[str, list[tuple[str, pl.Series, str]]] = {}
    for name, (rows, names) in parts.items():
        for column in names:
            wanted.setdefault(column, []).append((name, rows, column))
    for name, source, rows, alias in derived:
        wanted.setdefault(source, []).append((name, rows, alias))
    while box:
        columns = box.pop().get_columns()
        columns.reverse()
        while columns:
            series = columns.pop()
            for name, rows, alias in wanted.get(series.name, ()):
                out[name][alias] = series.gather(rows).alias(alias)
            del series
    return {
        name: pl.DataFrame(
            [out[name][c] for c in [*columns, *(a for n, _, _, a in derived if n == name)]]
        )
        for name, (_, columns) in parts.items()
    }


class _StageLog:
    """A progress callback that also logs, at DEBUG, each stage's rows and seconds."""

    def __init__(self, progress: ProgressCallback) -> None:
        self._progress = progress
        self._stage = ""
        self._started = time.perf_counter()

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if stage != self._stage and done == 0:
            self.end()
            size = "" if total is None else f" ({total:,} {'bytes' if stage == 'read' else 'rows'})"
            log.debug("stage %s begins%s", stage, size)
            self._stage, self._started = stage, time.perf_counter()
        self._progress(stage, done, total)

    def end(self) -> None:
        """Log how long the current stage took."""
        if self._stage:
            log.debug("stage %s took %.3f s", self._stage, time.perf_counter() - self._started)


def _check_encoding(encoding: str | None) -> None:
    if encoding is None:
        return
    try:
        codecs.lookup(encoding)
    except LookupError as exc:
        raise ConfigurationError(
            f"Unknown encoding {encoding!r}: pass a Python codec name such as 'utf-8', "
            "'cp1255' or 'latin-1', or leave it out to detect it."
        ) from exc


def _check_options(region: str | None, keep: str, phone_format: str, extra: str) -> str | None:
    check_keep(keep)
    check_phone_format(phone_format)
    if extra not in EXTRA_COLUMNS:
        raise ConfigurationError(f"extra_columns must be 'keep' or 'drop', not {extra!r}.")
    return check_region(region) if region is not None else None


def _resolve_region_column(
    wanted: str | None, table: RawTable, mapping: ColumnMapping
) -> str | None:
    """The source header holding per-row regions: by header text, key, or canonical name."""
    if wanted is None:
        return None
    if wanted in table.headers:
        return wanted
    by_canonical = [h for h, c in mapping.renames.items() if c == wanted]
    by_key = [h for h in table.headers if header_key(h) == header_key(wanted)]
    for candidates in (by_canonical, by_key):
        if len(candidates) == 1:
            return candidates[0]
    raise MappingError(
        f"region_column={wanted!r}: {table.source} has no such column "
        f"(headers: {', '.join(repr(h) for h in table.headers)})."
    )


def _output_frame(
    kept: pl.DataFrame, mapping: ColumnMapping, schema: AudienceSchema, extra: ExtraColumns
) -> pl.DataFrame:
    """Phone column first, then mapped canonical columns in schema order, then extras."""
    by_canonical = {c: h for h, c in mapping.renames.items()}
    selected = [pl.col(PHONE).alias(schema.phone_column)]
    selected += [pl.col(by_canonical[c]).alias(c) for c in schema.column_names if c in by_canonical]
    if extra == "keep":
        taken = set(schema.column_names)
        selected += [pl.col(h).alias(f"{h} (source)" if h in taken else h) for h in mapping.extras]
    return kept.select(selected)


def _validate(frame: pl.DataFrame, schema: AudienceSchema, phone_format: PhoneFormat) -> None:
    from pandera.errors import SchemaErrors  # on first use: see schema._build_model

    try:
        schema.model(phone_format).validate(frame, lazy=True)
    except SchemaErrors as exc:
        raise InternalValidationError(str(exc.failure_cases.head(20))) from exc


def _report(
    table: RawTable,
    mapping: ColumnMapping,
    schema: AudienceSchema,
    counts: _Counts,
    options: PhoneOptions,
    keep: str,
) -> PrepReport:
    frame, rejected, csv = counts.frame, counts.rejected, counts.csv
    by_reason = dict(rejected.group_by("reason").len().sort("reason").iter_rows())
    from_counts, notes = counts.kept.phone_from, counts.kept.notes
    return PrepReport(
        source=table.source,
        format=table.format,
        rows_read=counts.rows_read,
        rows_written=frame.height,
        rows_rejected=rejected.height,
        rejected_by_reason={str(k): int(v) for k, v in by_reason.items()},
        duplicates=int(by_reason.get(Reason.DUPLICATE, 0)),
        column_mapping=mapping.as_report(schema.phone_column),
        phone_sources={s: int(from_counts.get(s, 0)) for s in mapping.phone_sources},
        notes={str(k): int(v) for k, v in notes.items()},
        region=options.region,
        region_column=options.region_column,
        phone_format=options.phone_format,
        mobile_only=options.mobile_only,
        keep=keep,
        schema=schema.name,
        sha256=hashlib.sha256(csv).hexdigest(),
        formula_cells_quoted=counts.formula_cells_quoted,
        audience_prep_version=__version__,
        phonenumbers_version=phonenumbers.__version__,
        encoding=table.encoding,
        delimiter=table.delimiter,
        sheet=table.sheet,
        empty_rows_skipped=table.empty_rows_skipped,
        header_row=table.header_row,
        files=list(table.files),
        extra_columns=list(mapping.extras),
        mapping_notes=[note.to_dict() for note in mapping.notes],
    )

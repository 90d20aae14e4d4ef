"""The phone stage: fill the phone column from its source columns, row by row, via the oracle.

For each row, the region is the row's region cell (when ``region_column`` is given and the cell
is not empty) or the default region; a row with neither has no region (NO_REGION_GIVEN), and
only its numbers written with their country code can be read (``no_region`` for the others).
Each phone source column, in priority order, is run through
:func:`audience_prep.normalize_phone`; the row takes the first valid number. A row with none
gets the reason of its first non-empty phone cell (``missing_phone`` when every cell is empty).

By default the vectorised engine (``engine``) decides the cells, with exactly the oracle's
answers; ``engine="oracle"`` calls phonenumbers once per unique (cell text, region) pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import polars as pl

from audience_prep._options import PhoneFormat
from audience_prep._prepare.phones.engine import normalize_series
from audience_prep._prepare.phones.oracle import normalize_phone
from audience_prep._prepare.phones.regions import region_from_name
from audience_prep._prepare.working import FROM, NOTE, PHONE, RAW, REASON, REGION, REGION_RAW
from audience_prep._reasons import Reason

#: ``"vectorised"``: the polars engine (exactly the oracle's answers, much faster);
#: ``"oracle"``: :func:`normalize_phone` once per unique cell, for debugging and comparison.
Engine = Literal["vectorised", "oracle"]
ENGINES: Final = ("vectorised", "oracle")
#: The REGION of a row with no region at all (no default, no region cell): not null, which
#: means a region cell that names no country.
NO_REGION_GIVEN: Final = ""
#: A cell that is ``+`` and a number (ASCII): read the same with any default region.
_PLUS_NUMBER: Final = r"^[ \t]*\+[0-9 ().\-]*$"
#: Any region stands in for "none" when reading _PLUS_NUMBER cells with the engine.
_STAND_IN: Final = "US"


@dataclass(frozen=True, slots=True)
class PhoneOptions:
    """What the phone stage needs to know."""

    sources: tuple[str, ...]
    region: str | None
    region_column: str | None = None
    mobile_only: bool = False
    phone_format: PhoneFormat = "e164"
    engine: Engine = "vectorised"
    #: What FROM says for each source (the header it was read from); default: its name.
    labels: tuple[str, ...] = ()

    @property
    def source_labels(self) -> tuple[str, ...]:
        """The label of each source, in order."""
        return self.labels or self.sources


def normalize_phones(frame: pl.DataFrame, options: PhoneOptions) -> pl.DataFrame:
    """PHONE, REASON, RAW, FROM, NOTE, REGION (and REGION_RAW) for every row of ``frame``.

    PHONE is null exactly when REASON is set. RAW is the cell text the decision was about.
    Only the phone and region columns are read (the caller keeps the other cells).
    """
    wanted = [*options.sources]
    if options.region_column is not None and options.region_column not in wanted:
        wanted.append(options.region_column)
    frame = _with_regions(pl.DataFrame([frame.get_column(c) for c in wanted]), options)
    phones, reasons, notes = [], [], []
    for index, column in enumerate(options.sources):
        found = _results(frame, column, options)
        frame = frame.with_columns(
            found.get_column("phone").alias(f"__p{index}"),
            found.get_column("note").alias(f"__n{index}"),
            pl.when(pl.col(REGION).is_null())
            .then(pl.lit(None, pl.String))
            .otherwise(found.get_column("reason").fill_null(Reason.MISSING_PHONE.value))
            .alias(f"__r{index}"),
        )
        del found
        phones.append(f"__p{index}")
        reasons.append(f"__r{index}")
        notes.append(f"__n{index}")
    decided = frame.select(
        REGION, *_decide(options.sources, options.source_labels, phones, reasons, notes)
    )
    if REGION_RAW in frame.columns:
        decided = decided.with_columns(frame.get_column(REGION_RAW))
    return decided


def _with_regions(frame: pl.DataFrame, options: PhoneOptions) -> pl.DataFrame:
    """Add the per-row REGION (null when the row's region cell names no known country)."""
    default = pl.lit(options.region or NO_REGION_GIVEN, pl.String)
    if options.region_column is None:
        return frame.with_columns(default.alias(REGION))
    cell = pl.col(options.region_column).str.strip_chars()
    values = frame.select(cell.drop_nulls().unique()).to_series().to_list()
    codes = {v: region_from_name(v) for v in values if v}
    known = cell.replace_strict(codes, default=None, return_dtype=pl.String)
    empty = cell.is_null() | (cell == "")
    return frame.with_columns(
        pl.when(empty).then(default).otherwise(known).alias(REGION),
        pl.col(options.region_column).alias(REGION_RAW),
    )


def _results(frame: pl.DataFrame, column: str, options: PhoneOptions) -> pl.DataFrame:
    """``phone``, ``reason`` and ``note`` for every row's cell of ``column``, in row order."""
    if options.engine == "vectorised":
        return read_cells(
            frame.get_column(column),
            options.region if options.region_column is None else frame.get_column(REGION),
            mobile_only=options.mobile_only,
            phone_format=options.phone_format,
        )
    looked_up = _oracle_lookup(frame, column, options)
    cells = frame.select(column, REGION)
    joined = cells.join(
        looked_up, on=[column, REGION], how="left", nulls_equal=False, maintain_order="left"
    )
    return joined.select("phone", "reason", "note")


def read_cells(
    cells: pl.Series,
    regions: str | pl.Series | None,
    *,
    mobile_only: bool = False,
    phone_format: PhoneFormat = "e164",
) -> pl.DataFrame:
    """``phone``, ``reason`` and ``note`` of every cell, exactly as the oracle reads it.

    ``regions`` is one region, None (no region), or a Series of per-row regions in which
    NO_REGION_GIVEN means none and null gives null results. Cells with a region go to the
    vectorised engine. Without one, a cell that is ``+`` and a number reads the same with any
    default region, so the engine reads it with a stand-in; the rest go to the oracle with no
    region, once per unique cell.
    """
    if isinstance(regions, str):
        return normalize_series(cells, regions, mobile_only=mobile_only, phone_format=phone_format)
    if regions is None:
        regions = (
            pl.Series("region", [NO_REGION_GIVEN], pl.String).extend_constant(
                NO_REGION_GIVEN, cells.len() - 1
            )
            if cells.len()
            else pl.Series("region", [], pl.String)
        )
    none = regions == NO_REGION_GIVEN
    if not none.any():
        return normalize_series(cells, regions, mobile_only=mobile_only, phone_format=phone_format)
    plus = cells.str.contains(_PLUS_NUMBER).fill_null(False)
    stand_in = pl.select(pl.when(none).then(pl.lit(_STAND_IN)).otherwise(regions)).to_series()
    read = normalize_series(cells, stand_in, mobile_only=mobile_only, phone_format=phone_format)
    by_oracle = none & ~plus & cells.is_not_null()
    if not by_oracle.any():
        return read
    looked_up = _oracle_cells(cells.filter(by_oracle).unique(), mobile_only, phone_format)
    oracle_rows = pl.DataFrame({"cell": cells}).join(
        looked_up, on="cell", how="left", maintain_order="left"
    )
    return read.select(
        pl.when(by_oracle).then(oracle_rows[name]).otherwise(pl.col(name)).alias(name)
        for name in ("phone", "reason", "note")
    )


def _oracle_cells(cells: pl.Series, mobile_only: bool, phone_format: PhoneFormat) -> pl.DataFrame:
    """The oracle with no region, once per cell of ``cells`` (unique, not null)."""
    results = [
        normalize_phone(cell, None, mobile_only=mobile_only, phone_format=phone_format)
        for cell in cells.to_list()
    ]
    return pl.DataFrame(
        {
            "cell": cells,
            "phone": [r.phone for r in results],
            "reason": [r.reason for r in results],
            "note": [r.note for r in results],
        },
        schema={"cell": pl.String, "phone": pl.String, "reason": pl.String, "note": pl.String},
    )


def _oracle_lookup(frame: pl.DataFrame, column: str, options: PhoneOptions) -> pl.DataFrame:
    """Run the oracle once per unique (cell, region) pair of ``column``."""
    pairs = frame.select(column, REGION).drop_nulls().unique()
    results = [
        normalize_phone(
            raw,
            region or None,
            mobile_only=options.mobile_only,
            phone_format=options.phone_format,
        )
        for raw, region in pairs.iter_rows()
    ]
    return pairs.with_columns(
        pl.Series("phone", [r.phone for r in results], dtype=pl.String),
        pl.Series("reason", [r.reason for r in results], dtype=pl.String),
        pl.Series("note", [r.note for r in results], dtype=pl.String),
    )


def _decide(
    sources: Sequence[str],
    labels: Sequence[str],
    phones: list[str],
    reasons: list[str],
    notes: list[str],
) -> list[pl.Expr]:
    """Coalesce the phone columns in priority order and pick the row's reason and raw text."""
    if len(sources) == 1:
        return _single_source(sources[0], labels[0], phones[0], reasons[0], notes[0])
    valid = [pl.col(p).is_not_null() for p in phones]
    tried = [pl.col(r) != Reason.MISSING_PHONE.value for r in reasons]
    from_expr = _first_of(valid, [pl.lit(s) for s in labels])
    raw_expr = pl.coalesce(
        _first_of(valid, [pl.col(s) for s in sources]),
        _first_of(tried, [pl.col(s) for s in sources]),
        pl.coalesce([pl.col(s) for s in sources]),
    )
    reason_expr = (
        pl.when(pl.col(REGION).is_null())
        .then(pl.lit(Reason.UNKNOWN_REGION.value))
        .when(pl.any_horizontal(valid))
        .then(pl.lit(None, pl.String))
        .otherwise(
            pl.coalesce(
                _first_of(tried, [pl.col(r) for r in reasons]), pl.lit(Reason.MISSING_PHONE.value)
            )
        )
    )
    return [
        pl.coalesce([pl.col(p) for p in phones]).alias(PHONE),
        reason_expr.alias(REASON),
        raw_expr.alias(RAW),
        from_expr.alias(FROM),
        _first_of(valid, [pl.col(n) for n in notes]).alias(NOTE),
    ]


def _single_source(source: str, label: str, phone: str, reason: str, note: str) -> list[pl.Expr]:
    """The common case of one phone column: columns are renamed, not recomputed."""
    return [
        pl.col(phone).alias(PHONE),
        pl.when(pl.col(REGION).is_null())
        .then(pl.lit(Reason.UNKNOWN_REGION.value))
        .when(pl.col(phone).is_not_null())
        .then(pl.lit(None, pl.String))
        .otherwise(pl.col(reason))
        .alias(REASON),
        pl.col(source).alias(RAW),
        pl.lit(label, pl.String).alias(FROM),
        pl.col(note).alias(NOTE),
    ]


def _first_of(conditions: list[pl.Expr], values: list[pl.Expr]) -> pl.Expr:
    """The value of the first true condition, else null."""
    expr: Any = pl.when(conditions[0]).then(values[0])
    for condition, value in zip(conditions[1:], values[1:], strict=True):
        expr = expr.when(condition).then(value)
    result: pl.Expr = expr.otherwise(pl.lit(None, pl.String))
    return result

"""The vectorised phone engine: :func:`normalize_phone` on a whole polars Series at once.

The engine gives, for every input, exactly the oracle's ``(phone, reason, note)``. It decides
in polars expressions the values whose reading it can reproduce with certainty, using only
phonenumbers' metadata (see ``rules``), and hands everything else to the oracle, once
per unique (value, region) pair.

First, each region's fast lane (``fast``) decides its own numbers written plainly, in a
few passes over the cells; the rows it leaves go through the general reading below (the plain
cells among them with the lane's digits: they need no other pre-cleaning).

Decided in vectorised form:

- the oracle's pre-cleaning of ASCII cells (trim, one leading apostrophe, no digit ->
  ``missing_phone``, scientific notation, Excel's ``.0`` float artifact);
- cells made only of digits, spaces, ``-``, ``.``, parentheses and one leading ``+``
  (optionally after ``(``) with at least 3 digits: ``+CC...``, the region's international
  prefix (00, 011, ...), national format with or without the trunk prefix, digits that start
  with the region's own country code, and the guarded second reading of numbers that lost
  their ``+`` (:func:`.oracle.choose_reading`); validity and number type as
  ``is_valid_number`` / ``number_type`` decide them, including country codes shared by several
  regions (``region_code_for_number``).

Left to the oracle: non-ASCII cells (Unicode digits and spaces, invisible marks, Hebrew text),
letters (extensions, ``tel:`` URIs, vanity numbers), separators of several numbers, other
symbols, fewer than 3 digits, cells over 250 characters, a ``+`` or IDD followed by no known
country code, non-geographic country codes (+800, +882, ...), and numbers that a region's
``national_prefix_transform_rule`` would rewrite.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Final

import phonenumbers
import polars as pl

from audience_prep._options import PhoneFormat
from audience_prep._prepare.phones.fast import fast_lane, lane_rules
from audience_prep._prepare.phones.kinds import split_by, with_number_type
from audience_prep._prepare.phones.oracle import (
    BARE_DIGITS,
    E164_MAX_DIGITS,
    FLOAT_ARTIFACT,
    ISO_DATE,
    SCIENTIFIC,
    check_phone_format,
    check_region,
    normalize_phone,
)
from audience_prep._prepare.phones.parse import NSN, TYPE, finish_parse, typed
from audience_prep._prepare.phones.read import (
    BARE,
    CC,
    DIGITS,
    FALLBACK,
    IDX,
    MAX_INPUT,
    OWN,
    PLUS,
    REGION,
    SEC,
    STATUS,
    STRIP,
    readings,
)
from audience_prep._prepare.phones.rules import (
    FIXED_LINE_OR_MOBILE,
    MOBILE,
    UNKNOWN,
    rules,
)
from audience_prep._reasons import Note, Reason

__all__ = ["normalize_series"]

#: Python's ASCII whitespace (``str.isspace``), which ``strip_text`` trims.
_WS: Final = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "
_SHAPE: Final = r"^(?:\(?\+)?[0-9 ().\-]*$"
#: What _SHAPE allows besides digits: removing them leaves the digits of a cell of that shape
#: (the other cells go to the oracle, whatever their DIGITS).
_SEPARATORS: Final = [" ", "(", ")", ".", "-", "+"]

_NO_REGION: Final = "__no_region"
_CWP: Final = Note.COUNTRY_CODE_WITHOUT_PLUS.value
_OUT: Final = ("phone", "reason", "note")

RAW, TEXT = "raw", "text"


def normalize_series(
    values: pl.Series,
    regions: pl.Series | str,
    *,
    mobile_only: bool = False,
    phone_format: PhoneFormat = "e164",
    chunk_rows: int = 500_000,
) -> pl.DataFrame:
    """:func:`audience_prep.normalize_phone` for every value, as columns phone, reason, note.

    ``regions`` is one region for all values, or a Series of the same length (codes that
    :func:`check_region` accepts; a null region gives null phone, reason and note: the caller
    decides what a row without a region means). Rows keep the order of ``values``.
    Raises UnknownRegionError for an unknown region and ConfigurationError for a bad format.
    Values are read ``chunk_rows`` at a time, which bounds the working memory.
    """
    check_phone_format(phone_format)
    if len(values) > chunk_rows:
        return pl.concat(
            [
                normalize_series(
                    values.slice(start, chunk_rows),
                    regions if isinstance(regions, str) else regions.slice(start, chunk_rows),
                    mobile_only=mobile_only,
                    phone_format=phone_format,
                    chunk_rows=chunk_rows,
                )
                for start in range(0, len(values), chunk_rows)
            ]
        )
    inputs = _input_frame(values, regions)
    fast, read, rest = _fast_lanes(inputs, mobile_only)
    frame = (
        rest.lazy()
        .with_columns(_trimmed(pl.col(RAW)).alias(TEXT))
        .with_columns(_preclean(pl.col(RAW), pl.col(TEXT)))
        .with_columns(_digits_and_shape())
        .select(
            IDX,
            REGION,
            DIGITS,
            PLUS,
            BARE,
            pl.when(pl.col(STATUS).is_null() & _too_odd())
            .then(pl.lit(FALLBACK))
            .otherwise(pl.col(STATUS))
            .alias(STATUS),
        )
        .collect()
    )
    settled = frame.filter(pl.col(STATUS).is_not_null()).select(
        IDX, STATUS, *(pl.lit(None, pl.String).alias(c) for c in _OUT)
    )
    open_rows = pl.concat([frame.filter(pl.col(STATUS).is_null()).drop(STATUS), *read])
    pairs = [readings(part, key) for key, part in split_by(open_rows, REGION)]
    if pairs:
        plain, second = pl.collect_all(
            [pl.concat([p for p, _ in pairs]), pl.concat([s for _, s in pairs])]
        )
        decided = _choose(_finished(plain), _finished(second), mobile_only)
        settled = pl.concat([settled, decided], how="diagonal_relaxed")
    result = _with_fallback(settled, inputs, mobile_only)
    if fast:
        result = pl.concat([result, *fast], how="diagonal_relaxed")
    result = result.with_columns(_e164_bound())
    if phone_format == "digits":
        result = result.with_columns(pl.col("phone").str.strip_prefix("+"))
    return result.sort(IDX).select("phone", "reason", "note")


def _e164_bound() -> list[pl.Expr]:
    """The oracle's last step: a number longer than E.164 allows is ``too_long``."""
    too_long = pl.col("phone").str.len_bytes() > 1 + E164_MAX_DIGITS
    return [
        pl.when(too_long).then(pl.lit(None, pl.String)).otherwise(pl.col("phone")).alias("phone"),
        pl.when(too_long)
        .then(pl.lit(Reason.TOO_LONG.value))
        .otherwise(pl.col("reason"))
        .alias("reason"),
        pl.when(too_long).then(pl.lit(None, pl.String)).otherwise(pl.col("note")).alias("note"),
    ]


def _fast_lanes(
    inputs: pl.DataFrame, mobile_only: bool
) -> tuple[list[pl.DataFrame], list[pl.DataFrame], pl.DataFrame]:
    """The rows the fast lane of their region decides (``fast``), the plain cells it
    leaves, already read (IDX, REGION, DIGITS, PLUS, BARE), and the rows of ``inputs`` that
    are in neither."""
    lanes = [
        fast_lane(part, RAW, region, mobile_only)
        for region, part in split_by(inputs, REGION)
        if lane_rules(region) is not None
    ]
    decided = [d for d, _ in lanes if d.height]
    read = [r for _, r in lanes if r.height]
    if not decided and not read:
        return [], [], inputs
    taken = pl.concat([part.get_column(IDX) for part in [*decided, *read]])
    # IDX is the row's position in inputs (with_row_index)
    mask = pl.Series([False]).new_from_index(0, inputs.height).scatter(taken, True)
    return decided, read, inputs.filter(~mask)


def _input_frame(values: pl.Series, regions: pl.Series | str) -> pl.DataFrame:
    """idx, raw and a checked region code per value."""
    raw = values.cast(pl.String).alias(RAW)
    if isinstance(regions, str):
        region = pl.Series(REGION, [check_region(regions)], pl.String).new_from_index(0, len(raw))
        return pl.DataFrame([raw, region]).with_row_index(IDX)
    if len(regions) != len(raw):
        from audience_prep._errors import ConfigurationError

        raise ConfigurationError(
            f"regions has {len(regions)} values for {len(raw)} phones; give one region "
            "per value, or a single region code."
        )
    codes = regions.cast(pl.String)
    known = {code: check_region(code) for code in codes.drop_nulls().unique().to_list()}
    region = codes.replace_strict(known, default=None, return_dtype=pl.String).alias(REGION)
    return pl.DataFrame([raw, region]).with_row_index(IDX)


def _trimmed(raw: pl.Expr) -> pl.Expr:
    """Steps 3-4 of :func:`.oracle.preclean` for ASCII cells."""
    return raw.str.strip_chars(_WS).str.strip_prefix("'").str.strip_chars(_WS)


def _preclean(raw: pl.Expr, text: pl.Expr) -> pl.Expr:
    """Steps 1-8 of :func:`.oracle.preclean` for ASCII cells: STATUS says the
    rest (a reason, FALLBACK for non-ASCII cells, or null when TEXT is ready to read)."""
    status = (
        pl.when(pl.col(REGION).is_null())
        .then(pl.lit(_NO_REGION))
        .when(raw.is_null())
        .then(pl.lit(Reason.MISSING_PHONE.value))
        .when(raw.str.len_bytes() != raw.str.len_chars())
        .then(pl.lit(FALLBACK))
        .when(~text.str.contains("[0-9]"))
        .then(pl.lit(Reason.MISSING_PHONE.value))
        .when(text.str.contains(SCIENTIFIC))
        .then(pl.lit(Reason.SCIENTIFIC_NOTATION.value))
        .when(text.str.contains(ISO_DATE))
        .then(pl.lit(Reason.UNPARSEABLE.value))
        .otherwise(pl.lit(None, pl.String))
    )
    return status.alias(STATUS)


def _digits_and_shape() -> list[pl.Expr]:
    """DIGITS (step 8 of ``preclean``, Excel's float artifact, then the digits), PLUS, BARE.

    TEXT keeps the artifact: it reads the same through PLUS, BARE and the shape."""
    text = pl.col(TEXT)
    artifact = text.str.strip_chars_end("0").str.strip_suffix(".")
    return [
        pl.when(text.str.contains(FLOAT_ARTIFACT))
        .then(artifact)
        .otherwise(text.str.replace_many(_SEPARATORS, [""] * len(_SEPARATORS)))
        .alias(DIGITS),
        text.str.contains("+", literal=True).alias(PLUS),
        text.str.contains(BARE_DIGITS).alias(BARE),
    ]


def _too_odd() -> pl.Expr:
    """Cells the engine does not read itself (see the module docstring)."""
    return (
        ~pl.col(TEXT).str.contains(_SHAPE)
        | (pl.col(DIGITS).str.len_bytes() < 3)
        | (pl.col(TEXT).str.len_chars() > MAX_INPUT)
    )


def _finished(candidates: pl.DataFrame) -> pl.DataFrame:
    """The end of ``parse`` then ``number_type``: adds NSN and TYPE (rows whose STATUS is
    null), one lazy query per STRIP region, collected together."""
    closed = candidates.filter(pl.col(STATUS).is_not_null()).with_columns(
        pl.lit(None, pl.String).alias(NSN), pl.lit(None, pl.Int8).alias(TYPE)
    )
    open_rows = candidates.filter(pl.col(STATUS).is_null())
    lazy, shared = [], []
    for region, part in split_by(open_rows, STRIP):
        done = finish_parse(part.lazy(), region)
        code = rules(region).country_code
        if len(phonenumbers.COUNTRY_CODE_TO_REGION_CODE[int(code)]) == 1:
            lazy.append(done.with_columns(typed(region)))
        else:
            shared.append(done)
    parts = pl.collect_all([*lazy, *shared]) if lazy or shared else []
    by_owner = [with_number_type(p) for p in parts[len(lazy) :]]
    return pl.concat([closed, *parts[: len(lazy)], *by_owner], how="diagonal_relaxed")


def _choose(plain: pl.DataFrame, second: pl.DataFrame, mobile_only: bool) -> pl.DataFrame:
    """:func:`.oracle.choose_reading` and steps 5-6 of ``normalize_phone``.

    Only the rows with a second reading (SEC) are joined to it."""
    plain = plain.select(IDX, OWN, CC, NSN, TYPE, STATUS, SEC)
    seconds = second.lazy().select(
        IDX,
        pl.col(CC).alias("s_cc"),
        pl.col(NSN).alias("s_nsn"),
        pl.col(TYPE).alias("s_type"),
        pl.col(STATUS).alias("s_status"),
    )
    lone = plain.lazy().filter(~pl.col(SEC))
    lone = lone.with_columns(
        pl.lit(None, pl.String).alias("s_cc"),
        pl.lit(None, pl.String).alias("s_nsn"),
        pl.lit(None, pl.Int8).alias("s_type"),
        pl.lit(None, pl.String).alias("s_status"),
    )
    pair = plain.lazy().filter(pl.col(SEC)).join(seconds, on=IDX, how="left")
    rows = pl.concat([lone, pair], how="diagonal_relaxed")
    for stage in _choice(mobile_only):
        rows = rows.with_columns(stage)
    return rows.select(IDX, STATUS, "phone", "reason", "note").collect()


@cache
def _choice(mobile_only: bool) -> list[list[pl.Expr]]:
    """The columns of :func:`_choose`, in stages (each reads the columns of the ones before)."""
    p_ok = pl.col(STATUS).is_null()
    p_valid = p_ok & (pl.col(TYPE).fill_null(UNKNOWN) != UNKNOWN)
    s_valid = pl.col("s_status").is_null() & (pl.col("s_type").fill_null(UNKNOWN) != UNKNOWN)
    same = (pl.col(CC) == pl.col("s_cc")) & (
        pl.col(NSN).str.strip_chars_start("0") == pl.col("s_nsn").str.strip_chars_start("0")
    )
    mobile_types = [MOBILE, FIXED_LINE_OR_MOBILE]
    prefer_second = (
        pl.col(OWN)
        & (pl.col("s_type") == MOBILE)
        & ~pl.col(TYPE).is_in(mobile_types)
        & ~same.fill_null(False)
    )
    use_second = (pl.col(SEC) & s_valid & (~p_valid | prefer_second.fill_null(False))).fill_null(
        False
    )
    fallback = (pl.col(STATUS) == FALLBACK).fill_null(False) | (
        pl.col(SEC) & (pl.col("s_status") == FALLBACK).fill_null(False)
    )
    use, fall = pl.col("use_second"), pl.col("fallback")
    kind = pl.col("kind")
    reason: Any = (
        pl.when(fall)
        .then(pl.lit(None, pl.String))
        .when(~use & ~p_ok)
        .then(pl.lit(Reason.UNPARSEABLE.value))
        .when(kind == UNKNOWN)
        .then(pl.lit(Reason.INVALID_NUMBER.value))
    )
    if mobile_only:
        reason = reason.when(~kind.is_in(mobile_types)).then(pl.lit(Reason.NOT_MOBILE.value))
    reason = reason.otherwise(pl.lit(None, pl.String))
    ok = ~fall & pl.col("reason").is_null()
    cc = pl.when(use).then(pl.col("s_cc")).otherwise(pl.col(CC))
    nsn = pl.when(use).then(pl.col("s_nsn")).otherwise(pl.col(NSN))
    return [
        [use_second.alias("use_second"), fallback.alias("fallback")],
        [pl.when(use).then(pl.col("s_type")).otherwise(pl.col(TYPE)).alias("kind")],
        [reason.alias("reason")],
        [
            pl.when(fall).then(pl.lit(FALLBACK)).alias(STATUS),
            pl.when(ok).then(pl.concat_str(pl.lit("+"), cc, nsn)).alias("phone"),
            pl.when(ok & use).then(pl.lit(_CWP)).alias("note"),
        ],
    ]


def _with_fallback(settled: pl.DataFrame, inputs: pl.DataFrame, mobile_only: bool) -> pl.DataFrame:
    """IDX, phone, reason, note for every row; FALLBACK rows through the oracle (unique pairs).

    The oracle runs with ``phone_format="e164"`` here; the caller strips the '+'.
    """
    status = pl.col(STATUS)
    is_reason = status.is_not_null() & ~status.is_in([FALLBACK, _NO_REGION])
    settled = settled.with_columns(
        pl.when(is_reason).then(status).otherwise(pl.col("reason")).alias("reason")
    )
    # IDX is the row's position in inputs (with_row_index)
    at = settled.filter(status == FALLBACK).get_column(IDX)
    todo = inputs.select(pl.col(IDX, RAW, REGION).gather(at))
    pairs = todo.select(RAW, REGION).unique()
    results = [
        normalize_phone(raw, region, mobile_only=mobile_only) for raw, region in pairs.iter_rows()
    ]
    answers = pairs.with_columns(
        pl.Series("phone", [r.phone for r in results], pl.String),
        pl.Series("reason", [r.reason for r in results], pl.String),
        pl.Series("note", [r.note for r in results], pl.String),
    )
    done = settled.filter((status != FALLBACK) | status.is_null())
    looked_up = todo.select(IDX, RAW, REGION).join(
        answers, on=[RAW, REGION], how="left", nulls_equal=True
    )
    return pl.concat(
        [
            done.select(IDX, "phone", "reason", "note"),
            looked_up.select(IDX, "phone", "reason", "note"),
        ],
        how="diagonal_relaxed",
    )

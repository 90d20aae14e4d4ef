"""The vectorised phone engine: :func:`normalize_phone` on a whole polars Series at once.

The engine gives, for every input, exactly the oracle's ``(phone, reason, note)``. It decides
in polars expressions the values whose reading it can reproduce with certainty, using only
phonenumbers' metadata (see ``_engine_rules``), and hands everything else to the oracle, once
per unique (value, region) pair.

Decided in vectorised form:

- the oracle's pre-cleaning of ASCII cells (trim, one leading apostrophe, no digit ->
  ``missing_phone``, scientific notation, Excel's ``.0`` float artifact);
- cells made only of digits, spaces, ``-``, ``.``, parentheses and one leading ``+``
  (optionally after ``(``) with at least 3 digits: ``+CC...``, the region's international
  prefix (00, 011, ...), national format with or without the trunk prefix, digits that start
  with the region's own country code, and the guarded second reading of numbers that lost
  their ``+`` (:func:`audience_prep._phones.choose_reading`); validity and number type as
  ``is_valid_number`` / ``number_type`` decide them, including country codes shared by several
  regions (``region_code_for_number``).

Left to the oracle: non-ASCII cells (Unicode digits and spaces, invisible marks, Hebrew text),
letters (extensions, ``tel:`` URIs, vanity numbers), separators of several numbers, other
symbols, fewer than 3 digits, cells over 250 characters, a ``+`` or IDD followed by no known
country code, non-geographic country codes (+800, +882, ...), and numbers that a region's
``national_prefix_transform_rule`` would rewrite.
"""

from __future__ import annotations

from typing import Any, Final

import polars as pl

from audience_prep._engine_rules import (
    CALLING_CODES,
    FIXED_LINE_OR_MOBILE,
    INVALID_LENGTH,
    LOCAL_ONLY,
    MAIN_REGION,
    MOBILE,
    NON_GEO_REGION,
    TOO_LONG,
    TOO_SHORT,
    UNKNOWN,
    full_match,
    idd_prefix,
    rules,
    strip_national_prefix,
    test_length,
)
from audience_prep._engine_typing import split_by, with_number_type
from audience_prep._phones import PhoneFormat, check_phone_format, check_region, normalize_phone

__all__ = ["normalize_series"]

#: Python's ASCII whitespace (``str.isspace``), which ``strip_text`` trims.
_WS: Final = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "
_SHAPE: Final = r"^(?:\(?\+)?[0-9 ().\-]*$"
_BARE_DIGITS: Final = r"^[0-9][0-9 .\-]*$"
_SCIENTIFIC: Final = r"^[+-]?[0-9]+(?:[.,][0-9]+)?[eE][+-]?[0-9]+$"
_FLOAT_ARTIFACT: Final = r"^([0-9]+)\.0+$"
_MAX_INPUT: Final = 250
_MAX_NSN: Final = 17

#: Row status while deciding: null (still open), a reason code, or one of these.
FALLBACK: Final = "__fallback"
_NO_READING: Final = "__none"
_NO_REGION: Final = "__no_region"
_CWP: Final = "country_code_without_plus"
_OUT: Final = ("phone", "reason", "note")

IDX, RAW, REGION, STATUS = "idx", "raw", "region", "status"
TEXT, DIGITS, PLUS, BARE, OWN = "text", "digits", "plus", "bare", "own"
CC, NNN, STRIP, NSN, TYPE = "cc", "nnn", "strip", "nsn", "type"


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
    frame = (
        _input_frame(values, regions)
        .lazy()
        .with_columns(_trimmed(pl.col(RAW)).alias(TEXT))
        .with_columns(_preclean(pl.col(RAW), pl.col(TEXT)))
        .with_columns(_digits_and_shape())
        .with_columns(
            pl.when(pl.col(STATUS).is_null() & _too_odd())
            .then(pl.lit(FALLBACK))
            .otherwise(pl.col(STATUS))
            .alias(STATUS)
        )
        .collect()
    )
    open_rows = frame.filter(pl.col(STATUS).is_null())
    settled = frame.filter(pl.col(STATUS).is_not_null()).select(
        IDX, RAW, REGION, STATUS, *(pl.lit(None, pl.String).alias(c) for c in _OUT)
    )
    if open_rows.height:
        settled = pl.concat([settled, _decide(open_rows, mobile_only)], how="diagonal_relaxed")
    result = _with_fallback(settled, mobile_only, phone_format)
    if phone_format == "digits":
        result = result.with_columns(pl.col("phone").str.strip_prefix("+"))
    return result.sort(IDX).select("phone", "reason", "note")


def _input_frame(values: pl.Series, regions: pl.Series | str) -> pl.DataFrame:
    """idx, raw and a checked region code per value."""
    raw = values.cast(pl.String).alias(RAW)
    if isinstance(regions, str):
        region = pl.Series(REGION, [check_region(regions)], pl.String).new_from_index(0, len(raw))
    else:
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
    """Steps 3-4 of :func:`audience_prep._phones.preclean` for ASCII cells."""
    return raw.str.strip_chars(_WS).str.strip_prefix("'").str.strip_chars(_WS)


def _preclean(raw: pl.Expr, text: pl.Expr) -> list[pl.Expr]:
    """Steps 1-8 of :func:`audience_prep._phones.preclean` for ASCII cells; STATUS says the
    rest (a reason, FALLBACK for non-ASCII cells, or null when TEXT is ready to read)."""
    status = (
        pl.when(pl.col(REGION).is_null())
        .then(pl.lit(_NO_REGION))
        .when(raw.is_null())
        .then(pl.lit("missing_phone"))
        .when(raw.str.len_bytes() != raw.str.len_chars())
        .then(pl.lit(FALLBACK))
        .when(~text.str.contains("[0-9]"))
        .then(pl.lit("missing_phone"))
        .when(text.str.contains(_SCIENTIFIC))
        .then(pl.lit("scientific_notation"))
        .otherwise(pl.lit(None, pl.String))
    )
    return [status.alias(STATUS), text.str.replace(_FLOAT_ARTIFACT, "${1}").alias(TEXT)]


def _digits_and_shape() -> list[pl.Expr]:
    text = pl.col(TEXT)
    return [
        text.str.replace_all("[^0-9]", "").alias(DIGITS),
        text.str.contains("+", literal=True).alias(PLUS),
        text.str.contains(_BARE_DIGITS).alias(BARE),
    ]


def _too_odd() -> pl.Expr:
    """Cells the engine does not read itself (see the module docstring)."""
    return (
        ~pl.col(TEXT).str.contains(_SHAPE)
        | (pl.col(DIGITS).str.len_bytes() < 3)
        | (pl.col(TEXT).str.len_chars() > _MAX_INPUT)
    )


def _decide(frame: pl.DataFrame, mobile_only: bool) -> pl.DataFrame:
    """IDX, STATUS (a reason, FALLBACK or null) and the result of every open row."""
    plain, second = [], []
    for region, part in split_by(frame, REGION):
        readings = _readings(part, region)
        plain.append(readings[0])
        second.append(readings[1])
    candidates = pl.concat(
        [
            pl.concat(plain, how="diagonal_relaxed").with_columns(pl.lit(0).alias("kind")),
            pl.concat(second, how="diagonal_relaxed").with_columns(pl.lit(1).alias("kind")),
        ],
        how="diagonal_relaxed",
    )
    finished = with_number_type(_finish_parse(candidates))
    return _choose(finished, mobile_only)


def _readings(part: pl.DataFrame, region: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The plain reading's (CC, NNN, STRIP) of every row and the second reading's, if any."""
    r = rules(region)
    digits = pl.col(DIGITS)
    hit = (~pl.col(PLUS) & digits.str.contains(r.idd)) if r.idd else pl.lit(False)
    part = part.with_columns(
        hit.alias("idd_hit"), digits.str.starts_with(r.country_code).alias(OWN)
    )
    second = part.filter(
        pl.col(BARE)
        & (digits.str.len_bytes() >= 10)
        & ~pl.col("idd_hit")
        & (~digits.str.starts_with(r.national_prefix) if r.national_prefix else pl.lit(True))
    )
    intl = part.filter(pl.col(PLUS) | pl.col("idd_hit"))
    after_idd = digits.str.slice(idd_prefix(digits, r).str.len_bytes())
    intl = intl.with_columns(
        pl.when(pl.col(PLUS)).then(digits).otherwise(after_idd).alias("intl_digits")
    )
    back = ~pl.col(PLUS) & pl.col("intl_digits").str.starts_with("0")
    national = pl.concat(
        [part.filter(~pl.col(PLUS) & ~pl.col("idd_hit")), intl.filter(back).drop("intl_digits")]
    )
    plain = pl.concat(
        [
            _international(intl.filter(~back), pl.col("intl_digits"), lost_plus=False),
            _national(national, region),
        ],
        how="diagonal_relaxed",
    )
    return plain, _international(second, digits, lost_plus=True)


def _international(frame: pl.DataFrame, number: pl.Expr, *, lost_plus: bool) -> pl.DataFrame:
    """``_maybe_extract_country_code`` after a '+' or an IDD: the country code and the rest.

    ``lost_plus`` reads ``parse("+" + digits, None)``: no country code means no second reading.
    """
    cc = pl.lit(None, pl.String)
    for size in (3, 2, 1):
        head = number.str.slice(0, size)
        cc = pl.when(head.is_in(list(CALLING_CODES))).then(head).otherwise(cc)
    frame = frame.with_columns(number.alias("x"), cc.alias(CC))
    x, cc = pl.col("x"), pl.col(CC)
    main = cc.replace_strict(MAIN_REGION, default=None, return_dtype=pl.String)
    if lost_plus:
        no_code: pl.Expr = pl.lit(_NO_READING)
    else:
        no_code = pl.when(pl.col(PLUS)).then(pl.lit(FALLBACK)).otherwise(pl.lit("unparseable"))
    status = (
        pl.when(x.str.len_bytes() <= 2)
        .then(pl.lit("unparseable"))
        .when(cc.is_null())
        .then(no_code)
        .when(main == NON_GEO_REGION)
        .then(pl.lit(FALLBACK))
        .otherwise(pl.lit(None, pl.String))
    )
    return frame.select(
        IDX,
        RAW,
        REGION,
        OWN,
        DIGITS,
        CC,
        x.str.slice(cc.str.len_bytes()).alias(NNN),
        main.alias(STRIP),
        status.alias(STATUS),
    )


def _national(frame: pl.DataFrame, region: str) -> pl.DataFrame:
    """The default-region branch of ``_maybe_extract_country_code``: digits that start with
    the region's own country code lose it only when that makes a better national number."""
    r = rules(region)
    digits = pl.col(DIGITS)
    own = frame.filter(pl.col(OWN))
    stripped, transformed = strip_national_prefix(digits.str.slice(len(r.country_code)), r)
    own = own.with_columns(stripped.alias("pot"), transformed.alias("tf"))
    better = (~full_match(digits, r.general) & full_match(pl.col("pot"), r.general)) | (
        test_length(digits, r) == TOO_LONG
    )
    main = MAIN_REGION[r.country_code]
    own = own.select(
        IDX,
        RAW,
        REGION,
        OWN,
        DIGITS,
        pl.lit(r.country_code).alias(CC),
        pl.when(better).then(pl.col("pot")).otherwise(digits).alias(NNN),
        pl.when(better).then(pl.lit(main)).otherwise(pl.lit(region)).alias(STRIP),
        pl.when(pl.col("tf")).then(pl.lit(FALLBACK)).alias(STATUS),
    )
    other = frame.filter(~pl.col(OWN)).select(
        IDX,
        RAW,
        REGION,
        OWN,
        DIGITS,
        pl.lit(r.country_code).alias(CC),
        digits.alias(NNN),
        pl.lit(region).alias(STRIP),
        pl.lit(None, pl.String).alias(STATUS),
    )
    return pl.concat([own, other])


def _finish_parse(candidates: pl.DataFrame) -> pl.DataFrame:
    """The end of ``parse``: strip the national prefix when what is left has a possible
    length, then the NSN length limits. Adds NSN."""
    parts = [candidates.filter(pl.col(STATUS).is_not_null())]
    open_rows = candidates.filter(pl.col(STATUS).is_null())
    for region, part in split_by(open_rows, STRIP):
        r = rules(region)
        nnn = pl.col(NNN)
        stripped, transformed = strip_national_prefix(nnn, r)
        part = part.with_columns(stripped.alias("s2"), transformed.alias("tf"))
        refused = test_length(pl.col("s2"), r).is_in([TOO_SHORT, LOCAL_ONLY, INVALID_LENGTH])
        nsn = pl.when(refused).then(nnn).otherwise(pl.col("s2"))
        part = part.with_columns(nsn.alias(NSN)).drop("s2")
        size = pl.col(NSN).str.len_bytes()
        status = (
            pl.when(nnn.str.len_bytes() < 2)
            .then(pl.lit("unparseable"))
            .when(pl.col("tf"))
            .then(pl.lit(FALLBACK))
            .when((size < 2) | (size > _MAX_NSN))
            .then(pl.lit("unparseable"))
            .otherwise(pl.lit(None, pl.String))
        )
        parts.append(part.with_columns(status.alias(STATUS)).drop("tf"))
    return pl.concat(parts, how="diagonal_relaxed")


def _choose(finished: pl.DataFrame, mobile_only: bool) -> pl.DataFrame:
    """:func:`audience_prep._phones.choose_reading` and steps 5-6 of ``normalize_phone``."""
    plain = finished.filter(pl.col("kind") == 0).select(
        IDX, RAW, REGION, OWN, CC, NSN, TYPE, STATUS
    )
    second = finished.filter(pl.col("kind") == 1).select(
        IDX,
        pl.col(CC).alias("s_cc"),
        pl.col(NSN).alias("s_nsn"),
        pl.col(TYPE).alias("s_type"),
        pl.col(STATUS).alias("s_status"),
        pl.lit(True).alias("s_present"),
    )
    lone = plain.join(second.select(IDX), on=IDX, how="anti") if second.height else plain
    lone = lone.with_columns(
        pl.lit(None, pl.String).alias("s_cc"),
        pl.lit(None, pl.String).alias("s_nsn"),
        pl.lit(None, pl.Int8).alias("s_type"),
        pl.lit(None, pl.String).alias("s_status"),
        pl.lit(False).alias("s_present"),
    )
    rows = pl.concat([lone, plain.join(second, on=IDX, how="inner")], how="diagonal_relaxed")
    return rows.select(IDX, RAW, REGION, *_choice(mobile_only))


def _choice(mobile_only: bool) -> list[pl.Expr]:
    p_ok = pl.col(STATUS).is_null()
    p_valid = p_ok & (pl.col(TYPE).fill_null(UNKNOWN) != UNKNOWN)
    s_valid = (
        pl.col("s_present")
        & pl.col("s_status").is_null()
        & (pl.col("s_type").fill_null(UNKNOWN) != UNKNOWN)
    )
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
    use_second = s_valid & (~p_valid | prefer_second.fill_null(False))
    fallback = (pl.col(STATUS) == FALLBACK).fill_null(False) | (
        pl.col("s_present") & (pl.col("s_status") == FALLBACK).fill_null(False)
    )
    cc = pl.when(use_second).then(pl.col("s_cc")).otherwise(pl.col(CC))
    nsn = pl.when(use_second).then(pl.col("s_nsn")).otherwise(pl.col(NSN))
    kind = pl.when(use_second).then(pl.col("s_type")).otherwise(pl.col(TYPE))
    reason: Any = (
        pl.when(fallback)
        .then(pl.lit(None, pl.String))
        .when(~use_second & ~p_ok)
        .then(pl.lit("unparseable"))
        .when(kind == UNKNOWN)
        .then(pl.lit("invalid_number"))
    )
    if mobile_only:
        reason = reason.when(~kind.is_in(mobile_types)).then(pl.lit("not_mobile"))
    reason = reason.otherwise(pl.lit(None, pl.String))
    ok = ~fallback & reason.is_null()
    return [
        pl.when(fallback).then(pl.lit(FALLBACK)).alias(STATUS),
        pl.when(ok).then(pl.concat_str(pl.lit("+"), cc, nsn)).alias("phone"),
        reason.alias("reason"),
        pl.when(ok & use_second).then(pl.lit(_CWP)).alias("note"),
    ]


def _with_fallback(settled: pl.DataFrame, mobile_only: bool, phone_format: str) -> pl.DataFrame:
    """IDX, phone, reason, note for every row; FALLBACK rows through the oracle (unique pairs).

    The oracle runs with ``phone_format="e164"`` here; the caller strips the '+'.
    """
    status = pl.col(STATUS)
    is_reason = status.is_not_null() & ~status.is_in([FALLBACK, _NO_REGION])
    settled = settled.with_columns(
        pl.when(is_reason).then(status).otherwise(pl.col("reason")).alias("reason")
    )
    todo = settled.filter(status == FALLBACK)
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

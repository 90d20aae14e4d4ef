"""The readings of the open rows of one region: ``parse``'s country code extraction.

Every row gets its plain reading (``parse(text, region)`` up to the national number) and,
where :func:`.oracle.choose_reading` would try it (SEC), the second reading
``parse("+" + digits, None)``; each as CC, NNN, STRIP (the region whose national prefix
``parse`` strips next) and STATUS (a reason, FALLBACK or null: still open).

The rows are split by branch (international, own country code, plain national, second
reading) inside one lazy query, so each branch's regexes run only on its rows.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from audience_prep._prepare.phones.rules import (
    CALLING_CODES,
    MAIN_REGION,
    NON_GEO_REGION,
    TOO_LONG,
    full_match,
    idd_prefix,
    rules,
    starts_with_idd,
    strip_national_prefix,
    test_length,
)
from audience_prep._reasons import Reason

#: Row status while deciding: null (still open), a reason code, or one of these.
FALLBACK: Final = "__fallback"
#: Cells longer than this go to the oracle (``parse`` refuses over 250 characters).
MAX_INPUT: Final = 250
NO_READING: Final = "__none"

IDX, REGION, STATUS, DIGITS, PLUS, BARE, OWN = (
    "idx",
    "region",
    "status",
    "digits",
    "plus",
    "bare",
    "own",
)
CC, NNN, STRIP, SEC = "cc", "nnn", "strip", "sec"
_READING: Final = (CC, NNN, STRIP, STATUS)
_CODES: Final = sorted(CALLING_CODES)


def readings(frame: pl.DataFrame, region: str) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """The plain reading (IDX, OWN, SEC, CC, NNN, STRIP, STATUS) of every row of ``frame``
    (open rows of ``region`` with IDX, DIGITS, PLUS and BARE) and the second reading (IDX,
    CC, NNN, STRIP, STATUS) of the rows that have one (SEC).

    The flags that split the rows are computed once (polars would recompute a lazy input
    shared by several branches); the branches are lazy.
    """
    r = rules(region)
    digits, plus = pl.col(DIGITS), pl.col(PLUS)
    idd_hit = ~plus & starts_with_idd(digits, r)
    no_trunk = ~digits.str.starts_with(r.national_prefix) if r.national_prefix else pl.lit(True)
    part = (
        frame.lazy()
        .with_columns(idd_hit.alias("idd_hit"), digits.str.starts_with(r.country_code).alias(OWN))
        .with_columns(
            (pl.col(BARE) & (digits.str.len_bytes() >= 10) & ~pl.col("idd_hit") & no_trunk).alias(
                SEC
            )
        )
        .collect()
        .lazy()
    )
    hit = pl.col("idd_hit")
    columns = (IDX, OWN, SEC, PLUS, DIGITS)
    via_idd = (
        part.filter(hit)
        .select(*columns)
        .with_columns(digits.str.slice(idd_prefix(digits, r).str.len_bytes()).alias("x"))
    )
    back = pl.col("x").str.starts_with("0")
    intl = pl.concat(
        [part.filter(plus).select(*columns, digits.alias("x")), via_idd.filter(~back)]
    ).select(IDX, OWN, SEC, PLUS, "x")
    national = pl.concat(
        [part.filter(~plus & ~hit).select(*columns), via_idd.filter(back).select(*columns)]
    )
    own = national.filter(pl.col(OWN)).select(IDX, OWN, SEC, DIGITS)
    other = national.filter(~pl.col(OWN)).select(
        IDX,
        OWN,
        SEC,
        pl.lit(r.country_code).alias(CC),
        pl.col(DIGITS).alias(NNN),
        pl.lit(region).alias(STRIP),
        pl.lit(None, pl.String).alias(STATUS),
    )
    second = part.filter(pl.col(SEC)).select(IDX, PLUS, pl.col(DIGITS).alias("x"))
    plain = pl.concat(
        [
            _international(intl, lost_plus=False).select(IDX, OWN, SEC, *_READING),
            _national(own, region),
            other,
        ]
    )
    return plain, _international(second, lost_plus=True).select(IDX, *_READING)


def _country_code(x: pl.Expr) -> pl.Expr:
    """The calling code ``x`` starts with (3, 2 or 1 digits), else null."""
    cc = pl.lit(None, pl.String)
    for size in (3, 2, 1):
        head = x.str.slice(0, size)
        cc = pl.when(head.is_in(_CODES)).then(head).otherwise(cc)
    return cc


def _international(part: pl.LazyFrame, *, lost_plus: bool) -> pl.LazyFrame:
    """``_maybe_extract_country_code`` after a '+' or an IDD: CC, NNN, STRIP, STATUS of the
    digits "x" of ``part``.

    ``lost_plus`` reads ``parse("+" + digits, None)``: no country code means no second reading.
    """
    part = part.with_columns(_country_code(pl.col("x")).alias(CC))
    x, cc = pl.col("x"), pl.col(CC)
    part = part.with_columns(
        cc.replace_strict(MAIN_REGION, default=None, return_dtype=pl.String).alias(STRIP)
    )
    if lost_plus:
        no_code: pl.Expr = pl.lit(NO_READING)
    else:
        no_code = (
            pl.when(pl.col(PLUS)).then(pl.lit(FALLBACK)).otherwise(pl.lit(Reason.UNPARSEABLE.value))
        )
    status = (
        pl.when(x.str.len_bytes() <= 2)
        .then(pl.lit(Reason.UNPARSEABLE.value))
        .when(cc.is_null())
        .then(no_code)
        .when(pl.col(STRIP) == NON_GEO_REGION)
        .then(pl.lit(FALLBACK))
        .otherwise(pl.lit(None, pl.String))
    )
    return part.with_columns(x.str.slice(cc.str.len_bytes()).alias(NNN), status.alias(STATUS))


def _national(own: pl.LazyFrame, region: str) -> pl.LazyFrame:
    """The default-region branch of ``_maybe_extract_country_code`` for digits that start with
    the region's own country code: they lose it only when that makes a better national
    number."""
    r = rules(region)
    digits = pl.col(DIGITS)
    pot, transformed = strip_national_prefix(digits.str.slice(len(r.country_code)), r)
    own = own.with_columns(pot.alias("pot"), transformed.alias("tf"))
    better = (~full_match(digits, r.general) & full_match(pl.col("pot"), r.general)) | (
        test_length(digits, r) == TOO_LONG
    )
    own = own.with_columns(better.alias("better"))
    better = pl.col("better")
    return own.select(
        IDX,
        OWN,
        SEC,
        pl.lit(r.country_code).alias(CC),
        pl.when(better).then(pl.col("pot")).otherwise(digits).alias(NNN),
        pl.when(better)
        .then(pl.lit(MAIN_REGION[r.country_code]))
        .otherwise(pl.lit(region))
        .alias(STRIP),
        pl.when(pl.col("tf"))
        .then(pl.lit(FALLBACK))
        .otherwise(pl.lit(None, pl.String))
        .alias(STATUS),
    )

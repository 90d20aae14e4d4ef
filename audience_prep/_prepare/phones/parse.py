"""The end of ``parse`` and ``number_type`` for the numbers of one region, as polars
expressions built once per region (see ``rules`` for where each rule comes from)."""

from __future__ import annotations

from functools import cache
from typing import Final

import polars as pl

from audience_prep._prepare.phones.read import FALLBACK, NNN, STATUS
from audience_prep._prepare.phones.rules import (
    INVALID_LENGTH,
    LOCAL_ONLY,
    TOO_SHORT,
    number_type,
    rules,
    strip_national_prefix,
    test_length,
)
from audience_prep._reasons import Reason

NSN, TYPE = "nsn", "type"
#: The longest national significant number ``parse`` accepts.
_MAX_NSN: Final = 17


@cache
def typed(region: str) -> pl.Expr:
    """TYPE (a type code) of ``region``'s numbers, from NSN."""
    return number_type(pl.col(NSN), rules(region)).alias(TYPE)


def finish_parse(part: pl.LazyFrame, region: str) -> pl.LazyFrame:
    """The end of ``parse`` for STRIP ``region``: strip the national prefix when what is
    left has a possible length, then the NSN length limits. Adds NSN and sets STATUS."""
    first, second, third = _parse_stages(region)
    part = part.with_columns(*first)
    part = part.with_columns(second).drop("s2")
    return part.with_columns(third).drop("tf")


@cache
def _parse_stages(region: str) -> tuple[tuple[pl.Expr, pl.Expr], pl.Expr, pl.Expr]:
    """The expressions of :func:`finish_parse` (built once per region: polars expressions
    are immutable, and building them costs more than running them on small groups)."""
    r = rules(region)
    nnn = pl.col(NNN)
    stripped, transformed = strip_national_prefix(nnn, r)
    refused = test_length(pl.col("s2"), r).is_in([TOO_SHORT, LOCAL_ONLY, INVALID_LENGTH])
    nsn = pl.when(refused).then(nnn).otherwise(pl.col("s2"))
    size = pl.col(NSN).str.len_bytes()
    status = (
        pl.when(nnn.str.len_bytes() < 2)
        .then(pl.lit(Reason.UNPARSEABLE.value))
        .when(pl.col("tf"))
        .then(pl.lit(FALLBACK))
        .when((size < 2) | (size > _MAX_NSN))
        .then(pl.lit(Reason.UNPARSEABLE.value))
        .otherwise(pl.lit(None, pl.String))
    )
    return (stripped.alias("s2"), transformed.alias("tf")), nsn.alias(NSN), status.alias(STATUS)

"""The engine's fast lane: a region's own numbers in their plain shapes, in a few passes.

Most cells of an export are the default region's numbers written plainly: ``0501234567``,
``050-123-4567``, ``(050) 123 4567``, ``+972 50-123-4567``. For those, the general engine's
reading reduces to one branch, which this lane computes in one query over every row, leaving
every other row to the general engine. The rows it decides are exactly those for which the
general engine would take the same branch with no second reading:

- the cell is ASCII digits, spaces, dashes and parentheses, with one leading ``+`` (optionally
  after ``(``), at least 3 digits, at most 250 characters, and not 8 digits in 10 characters
  or more (which every ISO date of that shape is, with spaces around it or not); such a
  cell needs no pre-cleaning other than dropping those separators (no trimming, apostrophe,
  scientific notation, float artifact, URI, extension or second number);
- either ``+`` and the digits start with the region's calling code (calling codes are
  prefix-free, so that is the code ``parse`` extracts), or no ``+`` and the digits start with
  the region's national prefix, not with its international prefix and not with its calling
  code (so ``parse`` reads them as a national number, and ``choose_reading`` tries no second
  reading: that needs digits without a national prefix);
- the region's calling code belongs to that region alone, so validity and type are the
  region's own (no ``region_code_for_number`` among several regions);
- the end of ``parse`` (:func:`finish_parse`) leaves no status.

The other plain cells (a foreign ``+CC`` number, the region's own calling code without ``+``,
a number the region's rules refuse) go to the general reading with the lane's digits, since
the general pre-cleaning would give them the same DIGITS, PLUS and BARE and no status.

The general engine's differential test covers the lane: it runs on every generated cell.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Final

import phonenumbers
import polars as pl

from audience_prep._prepare.phones.oracle import BARE_DIGITS
from audience_prep._prepare.phones.parse import NSN, finish_parse, typed
from audience_prep._prepare.phones.read import (
    BARE,
    DIGITS,
    IDX,
    MAX_INPUT,
    NNN,
    PLUS,
    REGION,
    STATUS,
)
from audience_prep._prepare.phones.rules import (
    ASCII,
    FIXED_LINE_OR_MOBILE,
    MOBILE,
    UNKNOWN,
    Rules,
    is_valid,
    rules,
    starts_with_idd,
)
from audience_prep._reasons import Reason

#: The cells the lane reads: the general engine's shape, without dots and whitespace other
#: than spaces. The ISO dates among them are left to the general engine (see the filter in
#: :func:`fast_lane`).
_PLAIN: Final = ASCII + r"^(?:\(?\+)?[0-9 ()\-]*$"
_SEPARATORS: Final = [" ", "(", ")", "-", "+"]
#: ``preclean``'s BARE_DIGITS on a plain cell (spaces trimmed; it has no dots).
_BARE: Final = ASCII + BARE_DIGITS


@cache
def lane_rules(region: str) -> Rules | None:
    """``rules(region)`` when ``region`` is a region with a fast lane (module docstring)."""
    if region not in phonenumbers.SUPPORTED_REGIONS:
        return None
    r = rules(region)
    owners = phonenumbers.COUNTRY_CODE_TO_REGION_CODE[int(r.country_code)]
    if tuple(owners) != (region,) or not r.national_prefix or r.idd is None or r.transform:
        return None
    return r


def fast_lane(
    part: pl.DataFrame, raw: str, region: str, mobile_only: bool
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The lane's work on ``part`` (IDX and the ``raw`` cells, all of ``region``, which has
    :func:`lane_rules`): the rows it decides (IDX, phone with '+', reason, note), and the
    other plain cells as the general engine's pre-cleaning would leave them (IDX, REGION,
    DIGITS, PLUS, BARE: for a plain cell that is only dropping separators). The rows in
    neither need the general engine's pre-cleaning."""
    r = lane_rules(region)
    assert r is not None
    cell = pl.col(raw)
    digits, plus, chars = pl.col(DIGITS), pl.col(PLUS), pl.col("chars")
    size = digits.str.len_bytes()
    own = digits.str.starts_with(r.country_code)
    national = (
        ~plus & digits.str.starts_with(r.national_prefix) & ~own & ~starts_with_idd(digits, r)
    )
    query = (
        part.lazy()
        .select(
            IDX,
            raw,
            cell.str.replace_many(_SEPARATORS, [""] * len(_SEPARATORS)).alias(DIGITS),
            cell.str.contains("+", literal=True).alias(PLUS),
            cell.str.contains(_PLAIN).fill_null(False).alias("plain"),
            cell.str.len_bytes().alias("chars"),
        )
        # a plain ISO date is 'dddd-dd-dd' once trimmed (its time part needs ':'): the lane
        # leaves every cell of 8 digits and at least 10 characters
        .filter(
            pl.col("plain") & (chars <= MAX_INPUT) & (size >= 3) & ~((chars >= 10) & (size == 8))
        )
        .with_columns(
            ((plus & own) | national).alias("candidate"),
            pl.when(plus).then(digits.str.slice(len(r.country_code))).otherwise(digits).alias(NNN),
        )
    )
    parsed = finish_parse(query, region)
    frame = parsed.with_columns(
        (pl.col("candidate") & pl.col(STATUS).is_null()).alias("done")
    ).collect()
    done = pl.col("done")
    decided = frame.lazy().filter(done).select(IDX, *_decision(r, mobile_only)).collect()
    bare = pl.col(raw).str.strip_chars(" ").str.contains(_BARE)
    left = frame.filter(~done).select(
        IDX, pl.lit(region).alias(REGION), DIGITS, PLUS, bare.alias(BARE)
    )
    return decided, left


@cache
def _decision(r: Rules, mobile_only: bool) -> tuple[pl.Expr, ...]:
    """phone, reason and note of a plain reading (``normalize_phone`` steps 4-6). Without
    ``mobile_only`` only validity counts, which takes fewer passes than the type."""
    reason: Any
    if mobile_only:
        kind = typed(r.region)
        reason = (
            pl.when(kind == UNKNOWN)
            .then(pl.lit(Reason.INVALID_NUMBER.value))
            .when(~kind.is_in([MOBILE, FIXED_LINE_OR_MOBILE]))
            .then(pl.lit(Reason.NOT_MOBILE.value))
        )
    else:
        reason = pl.when(~is_valid(pl.col(NSN), r)).then(pl.lit(Reason.INVALID_NUMBER.value))
    reason = reason.otherwise(pl.lit(None, pl.String))
    phone = pl.concat_str(pl.lit("+" + r.country_code), pl.col(NSN))
    return (
        pl.when(reason.is_null()).then(phone).otherwise(pl.lit(None, pl.String)).alias("phone"),
        reason.alias("reason"),
        pl.lit(None, pl.String).alias("note"),
    )

"""``number_type`` of parsed numbers, by country calling code, from phonenumbers' metadata.

For a country code shared by several regions (+1, +7, +44, ...) the region of the number is
found as ``region_code_for_number`` finds it: the regions in phonenumbers' order, each claiming
the number by its ``leading_digits`` when it has them, else by a type other than UNKNOWN.
"""

from __future__ import annotations

from functools import cache

import phonenumbers
import polars as pl

from audience_prep._prepare.phones.parse import typed
from audience_prep._prepare.phones.rules import ASCII, UNKNOWN, leading_digits, number_type, rules

_OPEN = pl.col("status").is_null()


def split_by(frame: pl.DataFrame, key: str) -> list[tuple[str, pl.DataFrame]]:
    """``frame``'s rows grouped by ``key`` (no copy when there is one group)."""
    if frame.height == 0:
        return []
    if frame[key].n_unique() == 1:
        return [(str(frame[key][0]), frame)]
    return [(str(k), part) for (k,), part in frame.partition_by(key, as_dict=True).items()]


def with_number_type(frame: pl.DataFrame) -> pl.DataFrame:
    """Add ``type`` (a type code) to the rows of ``frame`` whose status is null, from cc, nsn."""
    parts = [frame.filter(~_OPEN)]
    for code, part in split_by(frame.filter(_OPEN), "cc"):
        regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE[int(code)]
        if len(regions) == 1:
            parts.append(part.with_columns(typed(regions[0])))
        else:
            parts.append(_shared_code(part, regions))
    return pl.concat(parts, how="diagonal_relaxed")


def _shared_code(part: pl.DataFrame, regions: tuple[str, ...]) -> pl.DataFrame:
    """``region_code_for_number`` then ``number_type`` for a code shared by ``regions``."""
    part = part.with_columns(_owner(regions))
    found = [
        part.filter(pl.col("owner").is_null()).with_columns(pl.lit(UNKNOWN, pl.Int8).alias("type"))
    ]
    for region, owned in split_by(part.filter(pl.col("owner").is_not_null()), "owner"):
        found.append(owned.with_columns(typed(region)))
    return pl.concat(found).drop("owner")


@cache
def _owner(regions: tuple[str, ...]) -> pl.Expr:
    """``region_code_for_number`` among ``regions``, as column owner (null: none)."""
    nsn = pl.col("nsn")
    owner = pl.lit(None, pl.String)
    for block in reversed(_blocks(regions)):
        if len(block) > 1:
            owner = pl.coalesce(_block_owner(nsn, block), owner)
            continue
        r = rules(block[0])
        claims = leading_digits(nsn, r) if r.leading_digits else number_type(nsn, r) != UNKNOWN
        owner = pl.when(claims).then(pl.lit(block[0])).otherwise(owner)
    return owner.alias("owner")


def _blocks(regions: tuple[str, ...]) -> list[tuple[str, ...]]:
    """``regions`` in order, each run of regions with leading digits as one block."""
    blocks: list[list[str]] = []
    for region in regions:
        if rules(region).leading_digits and blocks and rules(blocks[-1][-1]).leading_digits:
            blocks[-1].append(region)
        else:
            blocks.append([region])
    return [tuple(b) for b in blocks]


def _block_owner(nsn: pl.Expr, block: tuple[str, ...]) -> pl.Expr:
    """The first region of ``block`` (regions with leading digits) whose leading digits match
    ``nsn``, else null: one anchored alternation, tried in order (leftmost-first), with an
    empty named group marking each region's branch."""
    branches = "|".join(f"(?:{rules(r).leading_digits})(?P<_{r}>)" for r in block)
    found = nsn.str.extract_groups(f"{ASCII}^(?:{branches})")
    marks = [pl.when(found.struct.field(f"_{r}").is_not_null()).then(pl.lit(r)) for r in block]
    return pl.coalesce(marks)

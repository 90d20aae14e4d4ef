"""``number_type`` of parsed numbers, by country calling code, from phonenumbers' metadata.

For a country code shared by several regions (+1, +7, +44, ...) the region of the number is
found as ``region_code_for_number`` finds it: the regions in phonenumbers' order, each claiming
the number by its ``leading_digits`` when it has them, else by a type other than UNKNOWN.
"""

from __future__ import annotations

import phonenumbers
import polars as pl

from audience_prep._engine_rules import UNKNOWN, leading_digits, number_type, rules

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
            parts.append(
                part.with_columns(number_type(pl.col("nsn"), rules(regions[0])).alias("type"))
            )
        else:
            parts.append(_shared_code(part, regions))
    return pl.concat(parts, how="diagonal_relaxed")


def _shared_code(part: pl.DataFrame, regions: tuple[str, ...]) -> pl.DataFrame:
    """``region_code_for_number`` then ``number_type`` for a code shared by ``regions``."""
    nsn = pl.col("nsn")
    owner = pl.lit(None, pl.String)
    for region in reversed(regions):
        r = rules(region)
        claims = leading_digits(nsn, r) if r.leading_digits else number_type(nsn, r) != UNKNOWN
        owner = pl.when(claims).then(pl.lit(region)).otherwise(owner)
    part = part.with_columns(owner.alias("owner"))
    typed = [
        part.filter(pl.col("owner").is_null()).with_columns(pl.lit(UNKNOWN, pl.Int8).alias("type"))
    ]
    for region, owned in split_by(part.filter(pl.col("owner").is_not_null()), "owner"):
        typed.append(owned.with_columns(number_type(nsn, rules(region)).alias("type")))
    return pl.concat(typed).drop("owner")

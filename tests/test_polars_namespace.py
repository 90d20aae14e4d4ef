"""``import audience_prep.polars``: the engine as the ``phone`` expression namespace (issue 15).

Every answer must be the oracle's; the namespace runs eagerly, lazily and in polars' streaming
engine, with one region, none, or a region per row.
"""

from __future__ import annotations

import random

import polars as pl
import pytest
from test_engine import MAIN_REGIONS, _corpus, _value

import audience_prep as ap
import audience_prep.polars


def oracle(cells: list[str | None], regions: list[str | None], **options: object) -> list[tuple]:
    return [tuple(ap.normalize_phone(c, r, **options)) for c, r in zip(cells, regions, strict=True)]  # type: ignore[arg-type]


def generated(seed: int, size: int) -> tuple[list[str | None], list[str]]:
    rng = random.Random(seed)
    regions = [rng.choice(MAIN_REGIONS) for _ in range(size)]
    return [_value(rng, r) for r in regions], regions


@pytest.mark.parametrize("collect", ["eager", "lazy", "streaming"])
@pytest.mark.parametrize("mobile_only", [False, True])
def test_one_region_equals_the_oracle(collect: str, mobile_only: bool) -> None:
    cells, _ = generated(7, 600)
    cells += [value for region, value in _corpus() if region == "IL"]
    frame = pl.DataFrame({"cell": cells}, schema={"cell": pl.String})
    expr = pl.col("cell").phone.normalize(region="IL", mobile_only=mobile_only)
    if collect == "eager":
        out = frame.select(expr)
    else:
        lazy = frame.lazy().select(expr)
        out = lazy.collect(engine="streaming") if collect == "streaming" else lazy.collect()
    got = [tuple(row.values()) for row in out["cell"].to_list()]
    assert got == oracle(cells, ["IL"] * len(cells), mobile_only=mobile_only)


@pytest.mark.parametrize("phone_format", ["e164", "digits"])
def test_per_row_regions_equal_the_oracle(phone_format: str) -> None:
    cells, regions = generated(11, 800)
    frame = pl.DataFrame(
        {"cell": cells, "region": regions}, schema={"cell": pl.String, "region": pl.String}
    )
    out = (
        frame.lazy()
        .with_columns(
            pl.col("cell")
            .phone.normalize(region=pl.col("region"), phone_format=phone_format)
            .alias("r")  # type: ignore[arg-type]
        )
        .collect(engine="streaming")
    )
    got = [tuple(row.values()) for row in out["r"].to_list()]
    assert got == oracle(cells, list(regions), phone_format=phone_format)


def test_no_region_reads_only_numbers_with_their_country_code() -> None:
    cells, _ = generated(3, 400)
    cells += [value for _, value in _corpus()]
    out = pl.DataFrame({"c": cells}, schema={"c": pl.String}).select(
        pl.col("c").phone.normalize(region=None)
    )
    assert [tuple(r.values()) for r in out["c"].to_list()] == oracle(cells, [None] * len(cells))


def test_region_names_empty_cells_and_unknown_countries() -> None:
    frame = pl.DataFrame(
        {
            "cell": ["050-234-5678", "+44 20 7983 2100", "050-234-5678", "212-555-0134"],
            "country": ["ישראל", "", "Narnia", "U.S.A."],
        }
    )
    out = frame.select(pl.col("cell").phone.normalize(region=pl.col("country"))).unnest("cell")
    assert out.rows() == [
        ("+972502345678", None, None),
        ("+442079832100", None, None),
        (None, "unknown_region", None),
        ("+12125550134", None, None),
    ]


def test_to_e164_keeps_the_column_name_and_nulls_what_is_not_a_number() -> None:
    frame = pl.DataFrame({"Mobile": ["050-234-5678", "n/a", None]})
    out = frame.with_columns(pl.col("Mobile").phone.to_e164(region="IL"))
    assert out["Mobile"].to_list() == ["+972502345678", None, None]


def test_numbers_are_read_as_prepare_reads_a_frames_numbers() -> None:
    frame = pl.DataFrame({"f": [972502345678.0, 9.72501e11, None], "i": [972502345678, None, 5]})
    for column in ("f", "i"):
        present = frame.filter(pl.col(column).is_not_null())  # prepare() skips empty rows
        out = present.select(pl.col(column).phone.normalize(region="IL")).unnest(column)
        prepared = ap.prepare(frame.select(column), region="IL", columns={column: "phone1"})
        kept = dict(zip(prepared.frame["phone1"], prepared.frame["phone1"], strict=True))
        assert [p for p in out["phone"].to_list() if p] == list(kept)
        assert sorted(r for r in out["reason"].to_list() if r) == sorted(
            prepared.rejected["reason"].to_list()
        )
    assert frame.select(pl.col("f").phone.to_e164(region="IL"))["f"][0] == "+972502345678"


def test_a_column_that_is_neither_text_nor_a_number_is_a_typed_error() -> None:
    with pytest.raises(ap.ConfigurationError, match="Column 'tags' is List"):
        pl.DataFrame({"tags": [["a"]]}).select(pl.col("tags").phone.to_e164(region="IL"))


def test_bad_options_fail_when_the_expression_is_built() -> None:
    with pytest.raises(ap.UnknownRegionError):
        pl.col("x").phone.to_e164(region="XX")
    with pytest.raises(ap.ConfigurationError, match="phone_format"):
        pl.col("x").phone.normalize(region="IL", phone_format="intl")  # type: ignore[arg-type]

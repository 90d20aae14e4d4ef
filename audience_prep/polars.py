"""The phone engine in your own polars code: ``import audience_prep.polars`` adds ``.phone``.

::

    import polars as pl
    import audience_prep.polars  # registers the `phone` expression namespace

    df.with_columns(pl.col("Mobile").phone.to_e164(region="IL").alias("phone1"))
    df.with_columns(pl.col("Mobile").phone.normalize(region=pl.col("country")).alias("read"))
    pl.scan_parquet("contacts/*.parquet").select(
        pl.col("phone").phone.to_e164(region="US")
    ).collect(engine="streaming")

Every answer is exactly :func:`audience_prep.normalize_phone`'s (the same vectorised engine
``prepare()`` uses, with the oracle for what it cannot decide), in ``select`` and
``with_columns``, on DataFrames and LazyFrames, batch by batch in the streaming engine.

- ``region`` is one region code (``"IL"``), ``None`` (only numbers written with their country
  code are read; the others get ``no_region``), or an expression of per-row regions: codes or
  country names as ``prepare(region_column=...)`` reads them; an empty cell is no region, and a
  name that is no country gives ``unknown_region``.
- A String column is read as it is. An integer or float column (a phone that went through a
  number type) is first written as text as ``prepare()`` writes a frame's numbers, so the
  documented Excel rules apply (``972501234567.0`` loses its ``.0``; ``9.72501e11`` is
  ``scientific_notation``). Any other type raises :class:`ConfigurationError` naming the column
  and its type.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import polars as pl

from audience_prep._errors import ConfigurationError
from audience_prep._options import PhoneFormat
from audience_prep._prepare.phones.normalize import NO_REGION_GIVEN, read_cells
from audience_prep._prepare.phones.oracle import check_phone_format, check_region
from audience_prep._prepare.phones.regions import region_from_name
from audience_prep._reasons import Reason

__all__ = ["RESULT", "PhoneNamespace"]

#: The type of :meth:`PhoneNamespace.normalize`'s result, the oracle's ``PhoneResult``.
RESULT: Final = pl.Struct({"phone": pl.String, "reason": pl.String, "note": pl.String})


@pl.api.register_expr_namespace("phone")
class PhoneNamespace:
    """``pl.col(...).phone``: read phone cells exactly as :func:`normalize_phone` does."""

    def __init__(self, expr: pl.Expr) -> None:
        self._expr = expr

    def normalize(
        self,
        *,
        region: str | pl.Expr | None,
        mobile_only: bool = False,
        phone_format: PhoneFormat = "e164",
    ) -> pl.Expr:
        """A Struct of ``phone`` (null when not a valid number), ``reason`` and ``note``."""
        check_phone_format(phone_format)
        fixed = check_region(region) if isinstance(region, str) else None

        def read(columns: Sequence[pl.Series]) -> pl.Series:
            cells = _text(columns[0])
            regions = _regions(columns[1]) if len(columns) > 1 else None
            out = read_cells(
                cells,
                fixed if regions is None else regions,
                mobile_only=mobile_only,
                phone_format=phone_format,
            )
            if regions is not None:
                out = out.with_columns(
                    pl.when(regions.is_null())
                    .then(pl.lit(Reason.UNKNOWN_REGION.value))
                    .otherwise(pl.col("reason"))
                    .alias("reason")
                )
            return out.to_struct(cells.name).cast(RESULT)

        inputs = [self._expr, *([region] if isinstance(region, pl.Expr) else [])]
        return pl.map_batches(inputs, read, return_dtype=RESULT, is_elementwise=True)

    def to_e164(self, *, region: str | pl.Expr | None, mobile_only: bool = False) -> pl.Expr:
        """The E.164 number (``+972502345678``), or null when the cell holds no valid one; the
        result keeps the input column's name."""
        phone = self.normalize(region=region, mobile_only=mobile_only).struct.field("phone")
        name = self._expr.meta.output_name(raise_if_undetermined=False)
        return phone if name is None else phone.alias(name)


def _text(cells: pl.Series) -> pl.Series:
    """A String column as it is; numbers written as text as ``prepare()`` writes them."""
    if cells.dtype == pl.String:
        return cells
    if cells.dtype.is_numeric() or cells.dtype == pl.Null:
        return cells.cast(pl.String)
    raise ConfigurationError(
        f"Column {cells.name!r} is {cells.dtype}, not text or a number: pass a column of "
        "phone cells (String), or cast it first, e.g. pl.col(...).cast(pl.String)."
    )


def _regions(values: pl.Series) -> pl.Series:
    """Per-row region codes: NO_REGION_GIVEN for an empty cell, null for no country."""
    text = _text(values).str.strip_chars()
    known = {v: region_from_name(v) for v in text.drop_nulls().unique().to_list() if v}
    codes = text.replace_strict(known, default=None, return_dtype=pl.String)
    empty = text.is_null() | (text == "")
    return pl.select(pl.when(empty).then(pl.lit(NO_REGION_GIVEN)).otherwise(codes)).to_series()

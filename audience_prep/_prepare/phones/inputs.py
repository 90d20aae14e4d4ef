"""The phone stage's inputs: one column per read of the mapping's ``read_order``.

A whole source column is passed as it is; the value column of a structured pair (Google
Contacts' ``Phone 1 - Type`` / ``Phone 1 - Value``) is passed twice, each time holding only the
rows whose type cell belongs to that read (:func:`audience_prep._prepare.columns.type_class`):
the rows typed as the first tier, then the rows typed as anything else but a ``phone_never``
concept. The labels say which header each input came from, for the report's tallies.
"""

from __future__ import annotations

import polars as pl

from audience_prep._prepare.columns import WHOLE, ColumnMapping, type_class
from audience_prep._prepare.schema import AudienceSchema
from audience_prep._prepare.working import READ_PREFIX

__all__ = ["PhoneInputs", "phone_inputs"]

PhoneInputs = tuple[pl.DataFrame, tuple[str, ...], tuple[str, ...]]


def phone_inputs(
    cells: pl.DataFrame, mapping: ColumnMapping, schema: AudienceSchema
) -> PhoneInputs:
    """(the input columns as a frame, their names, the header each came from)."""
    columns: list[pl.Series] = []
    for index, (header, part) in enumerate(mapping.read_order):
        column = cells.get_column(header)
        if part != WHOLE:
            pair = next(p for p in mapping.pairs if p.value == header)
            classes = _classes(cells.get_column(pair.type), schema)
            column = pl.select(pl.when(classes == part).then(column)).to_series()
        columns.append(column.alias(f"{READ_PREFIX}{index}"))
    frame = pl.DataFrame(columns)
    return frame, tuple(frame.columns), tuple(h for h, _ in mapping.read_order)


def _classes(types: pl.Series, schema: AudienceSchema) -> pl.Series:
    """Each row's read of its pair (null: a fax or pager, never read); an empty type is other."""
    texts = types.fill_null("").drop_nulls().unique().to_list()
    lookup = {text: type_class(schema, text) for text in texts}
    return types.fill_null("").replace_strict(lookup, return_dtype=pl.String)

"""Values as evidence for the phone column: confirm what headers said, or find what they did not.

Rules (a sample is at most ``SAMPLE_CELLS`` cells of a column, taken at even steps from the
first row, so the same file always gives the same sample and a large file costs no more):

- A phone source found by its header's *words* (not by an exact name, not by ``columns=``)
  whose sample holds ``MIN_EVIDENCE`` or more non-empty cells but not one digit is set aside,
  with a note: an ``SMS`` column holding ``yes`` / ``no`` is not a phone column. A column
  whose sample is empty is kept (there is no evidence against it), and so is one of bad
  numbers (``12``): its rows are rejected with the reason the phone rules give.
- When no header names a phone, the columns whose sampled non-empty cells are at least
  ``CONTENT_SHARE`` valid phone numbers for the region, written as numbers only (digits,
  spaces, ``+ ( ) . - /``: free text that mentions a number does not count), feed the phone
  column, reported as found by content: the one with the most valid numbers in its sample
  first (a mostly empty column of two good numbers does not outrank a full one), the others
  as the row's next sources, ties left to right. A column whose header holds a concept of the
  schema's ``content_never`` (an id, a postal code, a date, an amount, an order number, an
  email) is never chosen this way.
- Otherwise, and with ``strict=True`` instead of a search by content, the file has no phone
  column: :class:`MissingColumnError`.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from audience_prep._prepare.columns import (
    ColumnMapping,
    MappingNote,
    fix_hint,
    missing_phone_error,
)
from audience_prep._prepare.phones.normalize import read_cells
from audience_prep._prepare.schema import AudienceSchema

__all__ = [
    "CONTENT_SHARE",
    "MIN_DIGITS",
    "MIN_EVIDENCE",
    "SAMPLE_CELLS",
    "sample",
    "settle_phone_sources",
]

SAMPLE_CELLS: Final = 2000
MIN_DIGITS: Final = 6
CONTENT_SHARE: Final = 0.5
#: Fewer non-empty cells than this say too little to set a header's word aside.
MIN_EVIDENCE: Final = 5
_NUMBER_ONLY: Final = r"^[0-9 +().\-/]+$"


def sample(column: pl.Series) -> pl.Series:
    """At most SAMPLE_CELLS cells of ``column`` at even steps, without empty ones."""
    step = max(1, -(-column.len() // SAMPLE_CELLS))
    cells = column.gather_every(step).str.strip_chars()
    return cells.filter(cells.is_not_null() & (cells != ""))


def settle_phone_sources(
    mapping: ColumnMapping,
    frame: pl.DataFrame,
    schema: AudienceSchema,
    *,
    region: str | None,
    source: str,
    strict: bool,
) -> ColumnMapping:
    """The mapping with its phone sources confirmed by their values (see the module rules)."""
    for header in [h for h in mapping.phone_sources if h in mapping.by_words]:
        cells = sample(frame.get_column(header))
        if cells.len() >= MIN_EVIDENCE and not cells.str.contains("[0-9]").any():
            note = MappingNote(
                schema.phone_column,
                (),
                (header,),
                f"not a phone source: none of its {cells.len()} sampled cells holds a digit "
                f"(e.g. {cells[0]!r})",
                fix_hint({header: schema.phone_column}),
            )
            mapping = mapping.without_source(header, note)
    if mapping.phone_sources:
        return mapping
    if strict:
        raise missing_phone_error([*mapping.renames, *mapping.extras], schema, source)
    return _by_content(mapping, frame, schema, region, source)


def _numbers(cells: pl.Series) -> bool:
    """Whether any cell holds MIN_DIGITS or more ASCII digits."""
    return bool((cells.str.count_matches(r"[0-9]") >= MIN_DIGITS).any())


def _by_content(
    mapping: ColumnMapping,
    frame: pl.DataFrame,
    schema: AudienceSchema,
    region: str | None,
    source: str,
) -> ColumnMapping:
    vocabulary = schema.vocabulary
    found: list[tuple[int, int, str]] = []  # (valid numbers, sampled cells, header)
    for header in mapping.extras:
        if vocabulary.match(header).has_any(schema.content_never):
            continue
        cells = sample(frame.get_column(header))
        if not cells.len() or not _numbers(cells):
            continue
        shaped = cells.filter(cells.str.contains(_NUMBER_ONLY))
        valid = int(read_cells(shaped, region).get_column("phone").is_not_null().sum())
        if valid and valid >= CONTENT_SHARE * cells.len():
            found.append((valid, cells.len(), header))
    if not found:
        raise missing_phone_error([*mapping.renames, *mapping.extras], schema, source)
    found.sort(key=lambda item: -item[0])  # stable: ties stay left to right
    where = f"region {region or '(none: with a country code)'}"
    evidence = "; ".join(
        f"{header!r}: {valid} of {size} sampled cells are valid numbers for {where}"
        for valid, size, header in found
    )
    headers = [header for _, _, header in found]
    rule = f"found by content: no header names a phone. {evidence}"
    if len(headers) > 1:
        rule += "; the column with the most valid numbers first, the others after it"
    note = MappingNote(
        schema.phone_column,
        tuple(headers),
        (),
        rule,
        fix_hint(dict.fromkeys(headers, schema.phone_column)),
    )
    return mapping.with_content_sources(headers, note)

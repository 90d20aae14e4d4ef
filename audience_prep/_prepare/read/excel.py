"""Read one sheet of a workbook (XLSX, XLSM, XLSB, XLS, ODS) as text, via fastexcel."""

from __future__ import annotations

import fastexcel
import polars as pl

from audience_prep._errors import SourceReadError
from audience_prep._text import first_line


def read_excel_bytes(data: bytes, name: str, sheet: str | int | None) -> tuple[str, pl.DataFrame]:
    """Return the chosen sheet's name and its cells as text, header row included.

    ``sheet`` is a sheet name or a 0-based index; ``None`` is the first sheet. Numbers come out
    as calamine formats them (``972502345678``); formulas give their cached values.
    """
    try:
        reader = fastexcel.read_excel(data)
    except Exception as exc:  # fastexcel raises its own hierarchy and plain Rust panics
        raise SourceReadError(
            name, f"not a readable workbook ({first_line(exc)}).", hint="Re-save it in Excel."
        ) from exc
    names = list(reader.sheet_names)
    chosen = _choose_sheet(names, name, sheet)
    try:
        # skip_rows=0 keeps the leading empty rows, so row i of the frame is sheet row i + 1.
        loaded = reader.load_sheet(chosen, header_row=None, skip_rows=0, dtypes="string")
        frame = loaded.to_polars()
    except Exception as exc:
        raise SourceReadError(
            name, f"sheet {chosen!r} cannot be read ({first_line(exc)}).", hint="Re-save it."
        ) from exc
    return chosen, frame.select(pl.all().cast(pl.String))


def _choose_sheet(names: list[str], name: str, sheet: str | int | None) -> str:
    listed = ", ".join(repr(n) for n in names)
    if not names:
        raise SourceReadError(name, "the workbook has no sheets.")
    if sheet is None:
        return names[0]
    if isinstance(sheet, int):
        if 0 <= sheet < len(names):
            return names[sheet]
        raise SourceReadError(
            name,
            f"no sheet at index {sheet} (it has {len(names)}: {listed}).",
            hint="Pass sheet= a 0-based index or a sheet name.",
        )
    if sheet in names:
        return sheet
    if sheet.isascii() and sheet.isdigit() and int(sheet) < len(names):
        return names[int(sheet)]  # "--sheet 1" from a shell: an index when no sheet has that name
    raise SourceReadError(
        name, f"no sheet named {sheet!r}. Sheets: {listed}.", hint="Pass sheet= one of them."
    )

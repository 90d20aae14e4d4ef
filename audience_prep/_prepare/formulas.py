"""Spreadsheet formula injection: quote the cells a spreadsheet would run as formulas.

A spreadsheet (Excel, LibreOffice Calc, Google Sheets) opening a CSV reads a cell that begins
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula, so an export cell such
as ``=HYPERLINK(...)`` or ``+cmd|' /C calc'!A0`` runs on the machine of whoever opens the file.
OWASP's guidance (https://owasp.org/www-community/attacks/CSV_Injection) is to prefix such a
cell with a single quote, which spreadsheets read as "this is text"; OWASP ASVS 5.0
requirement 1.2.10 adds the NUL character to the list. Rules:

- a cell whose first character is ``=``, ``+``, ``-``, ``@``, TAB, CR or NUL gets a leading
  ``'``;
- except a plain number: an optional sign, digits, and spaces, dots, commas, slashes, dashes
  and parentheses (``+972 52-111-2233``, ``-5``, ``+1 (212) 555-0134``): a spreadsheet shows it
  as a number or as text, and never runs it;
- the audience's phone column is never touched: it holds E.164 numbers or digits, and it is
  what CommBox reads.
"""

from __future__ import annotations

from typing import Final

import polars as pl

__all__ = ["FORMULA_START", "PLAIN_NUMBER", "defuse_formulas"]

_STARTS: Final = ("\x00", "\t", "\r", "+", "-", "=", "@")
FORMULA_START: Final = r"^[=+\-@\t\r\x00]"
PLAIN_NUMBER: Final = r"^[+-]?\(?[0-9][0-9 ().,/\-]*$"


def defuse_formulas(frame: pl.DataFrame, *, skip: tuple[str, ...] = ()) -> tuple[pl.DataFrame, int]:
    """``frame`` with every String column but ``skip`` quoted by the module rules, and how
    many cells were quoted.

    Most columns hold no risky cell, and most are settled without reading every cell: the
    first characters of a column's smallest and largest values bound its cells' first
    characters, so only the risky characters within those bounds are looked for.
    """
    text = [n for n, dtype in frame.schema.items() if dtype == pl.String and n not in skip]
    if not text or not frame.height:
        return frame, 0
    # every column's bounds in one query, which polars runs in parallel
    bounds = frame.select(
        *(pl.col(n).min().alias(f"{i} min") for i, n in enumerate(text)),
        *(pl.col(n).max().alias(f"{i} max") for i, n in enumerate(text)),
    ).row(0)
    risky = [
        name
        for i, name in enumerate(text)
        if _has_risky_cells(frame.get_column(name), bounds[i], bounds[len(text) + i])
    ]
    if not risky:
        return frame, 0
    count = frame.select(pl.sum_horizontal(_risky(pl.col(n)).sum() for n in risky)).item()
    quoted = frame.with_columns(
        pl.when(_risky(pl.col(n))).then(pl.lit("'") + pl.col(n)).otherwise(pl.col(n)).alias(n)
        for n in risky
    )
    return quoted, int(count)


def _has_risky_cells(column: pl.Series, low: object, high: object) -> bool:
    """Whether a cell of ``column``, whose smallest and largest values are ``low`` and
    ``high``, starts with a risky character."""
    if not isinstance(low, str) or not isinstance(high, str):
        return False
    return any(
        column.str.starts_with(start).any() for start in _STARTS if low[:1] <= start <= high[:1]
    )


def _risky(cell: pl.Expr) -> pl.Expr:
    return cell.str.contains(FORMULA_START) & ~cell.str.contains(PLAIN_NUMBER)

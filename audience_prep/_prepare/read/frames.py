"""DataFrames given by the caller (polars, pandas) and polars LazyFrames, as tables of text.

Rules:

- every column is cast to text; the header counts as row 1, so the first data row is row 2;
- a LazyFrame is collected first; a failure (a file it scans is missing or corrupt) is a
  SourceReadError;
- a pandas frame goes through ``pl.from_pandas``; a column it refuses (mixed Python objects,
  sparse and other extension arrays) is read value by value as ``str(value)``, missing values
  (``None``, ``NaN``, ``NaT``, ``NA``) as empty cells;
- repeated pandas column names are kept, numbered like repeated CSV headers (``phone``,
  ``phone (2)``); non-text names are written as ``str(name)``.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from audience_prep._errors import SourceReadError
from audience_prep._prepare.read.table import RawTable, table_from_rows
from audience_prep._text import first_line

__all__ = ["is_frame", "read_frame", "table_from_frame"]

#: What pl.from_pandas raises for a column it cannot take (pyarrow's errors subclass these).
_CONVERSION_ERRORS = (
    ImportError,
    ValueError,
    TypeError,
    NotImplementedError,
    pl.exceptions.PolarsError,
)


def is_frame(source: object) -> bool:
    """``source`` is a polars DataFrame or LazyFrame, or a pandas DataFrame."""
    return isinstance(source, pl.DataFrame | pl.LazyFrame) or _is_pandas(source)


def read_frame(source: Any) -> RawTable:
    """Read a frame accepted by :func:`is_frame` as a table of text."""
    if isinstance(source, pl.LazyFrame):
        return table_from_frame(_collect(source), "<polars.LazyFrame>", "polars")
    if isinstance(source, pl.DataFrame):
        return table_from_frame(source, "<polars.DataFrame>", "polars")
    frame, labels = _pandas_to_polars(source)
    return table_from_frame(frame, "<pandas.DataFrame>", "pandas", labels=labels)


def table_from_frame(
    frame: pl.DataFrame, name: str, fmt: str, *, labels: list[str] | None = None
) -> RawTable:
    """Every column of ``frame`` cast to text under its header (``labels``, else its name)."""
    try:
        text = frame.select(pl.all().cast(pl.String))
    except pl.exceptions.PolarsError as exc:
        raise SourceReadError(
            name,
            f"a column cannot be read as text ({first_line(exc)}).",
            hint="Flatten list and struct columns before passing the frame.",
        ) from exc
    names = labels if labels is not None else text.columns
    header = pl.DataFrame(
        [
            pl.Series(c, [label], dtype=pl.String)
            for c, label in zip(text.columns, names, strict=True)
        ]
    )
    rows = pl.concat([header, text], how="vertical") if text.width else header
    return table_from_rows(rows, name, fmt, header_row=1, is_header=None)


def _collect(lazy: pl.LazyFrame) -> pl.DataFrame:
    try:
        return lazy.collect()
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise SourceReadError(
            "<polars.LazyFrame>",
            f"the LazyFrame cannot be collected ({type(exc).__name__}: {first_line(exc)}).",
            hint="Check the files it scans (do they exist, are they readable and intact?).",
        ) from exc


def _is_pandas(obj: object) -> bool:
    module = type(obj).__module__
    return module.startswith("pandas") and type(obj).__name__ == "DataFrame"


def _pandas_to_polars(frame: Any) -> tuple[pl.DataFrame, list[str]]:
    """The pandas ``frame`` as polars (columns named by position) and its header labels."""
    labels = [str(name) for name in frame.columns]
    names = [f"column_{i + 1}" for i in range(len(labels))]
    if frame.columns.is_unique:
        try:
            converted = pl.from_pandas(frame).select(pl.all().cast(pl.String))
            return converted.rename(dict(zip(labels, names, strict=True))), labels
        except _CONVERSION_ERRORS:
            pass  # a column polars cannot take as text: convert them one at a time
    columns = [_pandas_column(frame.iloc[:, i], names[i]) for i in range(len(names))]
    return pl.DataFrame(columns), labels


def _pandas_column(series: Any, name: str) -> pl.Series:
    """One pandas column: by pl.from_pandas when it takes it as text, else value by value."""
    try:
        return pl.Series(name, series).cast(pl.String)
    except _CONVERSION_ERRORS:
        pass
    try:
        values = [None if _missing(v) else str(v) for v in series.tolist()]
    except Exception as exc:  # str() of an arbitrary Python object may raise anything
        raise SourceReadError(
            "<pandas.DataFrame>",
            f"a value cannot be read as text ({type(exc).__name__}: {first_line(exc)}).",
            column=str(series.name),
            hint="Convert the column to strings (df[col].astype(str)) before passing it.",
        ) from exc
    return pl.Series(name, values, dtype=pl.String)


def _missing(value: object) -> bool:
    """None, NaN, NaT and pd.NA (a list or array value is not missing)."""
    import pandas as pd

    return bool(pd.api.types.is_scalar(value) and pd.isna(value))

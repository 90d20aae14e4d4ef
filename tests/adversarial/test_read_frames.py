"""Frames and LazyFrames that used to raise polars', pandas' or pyarrow's own exceptions
(issue 14, item 10): each is now read as text, or refused with a SourceReadError.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from audience_prep import SourceReadError, prepare
from audience_prep._prepare.read.sources import read_source
from audience_prep._prepare.working import ROW

pd = pytest.importorskip("pandas")


def test_a_lazyframe_over_a_missing_file_is_a_source_read_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing.csv"

    with pytest.raises(SourceReadError, match="cannot be collected") as info:
        prepare(pl.scan_csv(missing), region="IL")

    assert info.value.source == "<polars.LazyFrame>"
    assert "FileNotFoundError" in info.value.reason
    assert isinstance(info.value.__cause__, FileNotFoundError)


def test_a_lazyframe_over_a_corrupt_parquet_file_is_a_source_read_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1 this is not parquet PAR1")

    with pytest.raises(SourceReadError, match="cannot be collected") as info:
        prepare(pl.scan_parquet(path), region="IL")

    assert isinstance(info.value.__cause__, pl.exceptions.PolarsError)
    assert info.value.hint is not None


def test_repeated_pandas_column_names_are_numbered_like_csv_headers() -> None:
    frame = pd.DataFrame([["0502345678", "Dana"]], columns=["phone", "phone"])

    table = read_source(frame)

    assert table.headers == ("phone", "phone (2)")
    assert table.frame.select(ROW, *table.headers).rows() == [(2, "0502345678", "Dana")]


PANDAS_COLUMNS = [
    # (column, its cells as text) — what pl.from_pandas refuses is read value by value
    (
        [972502345678, "0502345679", None, 2.5],
        ["972502345678", "0502345679", None, "2.5"],
    ),
    (["0502345678", b"raw", [1, 2], {"a": 1}], ["0502345678", "b'raw'", "[1, 2]", "{'a': 1}"]),
    (pd.arrays.SparseArray([0, 972502345678, 0]), ["0", "972502345678", "0"]),
    (pd.arrays.SparseArray(["a", None, "b"], fill_value=None), ["a", None, "b"]),
    (pd.period_range("2024-01", periods=2, freq="M"), ["2024-01", "2024-02"]),
    (pd.to_timedelta([1, 2], unit="s"), ["0 days 00:00:01", "0 days 00:00:02"]),
    ([1 + 2j, 3j], ["(1+2j)", "3j"]),
    ([Decimal("972502345678"), None], ["972502345678", None]),
    (pd.Series([pd.NA, "0502345678"], dtype="string"), [None, "0502345678"]),
]


@pytest.mark.parametrize(("column", "cells"), PANDAS_COLUMNS)
def test_pandas_columns_polars_refuses_are_read_as_text(
    column: object, cells: list[str | None]
) -> None:
    frame = pd.DataFrame({"phone": column, "row": list(range(len(cells)))})

    table = read_source(frame)

    assert table.frame.schema["phone"] == pl.String
    numbered = dict(table.frame.select("row", "phone").iter_rows())
    assert [numbered.get(str(i)) for i in range(len(cells))] == cells


def test_a_pandas_value_whose_str_fails_is_a_source_read_error() -> None:
    class Hostile:
        def __str__(self) -> str:
            raise RuntimeError("no text here")

    frame = pd.DataFrame({"phone": [Hostile(), "0502345678"]})

    with pytest.raises(SourceReadError, match="cannot be read as text") as info:
        read_source(frame)
    assert info.value.column == "phone"
    assert isinstance(info.value.__cause__, RuntimeError)


def test_a_mixed_pandas_frame_is_prepared() -> None:
    frame = pd.DataFrame(
        [[972502345678, "Dana", "x"], ["0502345679", None, 1.5]],
        columns=["phone", "name", "name"],
    )

    prepared = prepare(frame, region="IL")

    assert prepared.frame.get_column("phone1").to_list() == ["+972502345678", "+972502345679"]
    assert prepared.report.rows_read == 2

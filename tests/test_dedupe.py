"""The dedupe stage against a plain-Python definition of each keep policy."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audience_prep._prepare.dedupe import Keep, _compact_key, plan_dedupe

#: Keys that take the integer path ('+' and digits) and keys that keep the text path.
_NUMERIC = st.sampled_from(["+972501234567", "+12025550123", "+4420", "+1", "+9999999999999999999"])
_DIGITS = st.sampled_from(["972501234567", "4420", "1"])
_TEXT = st.sampled_from(["+0501", "05012", "abc", "+97250 1", "12345678901234567890123", "++4420"])
_KEYS = st.one_of(
    st.lists(_NUMERIC, max_size=30),
    st.lists(_DIGITS, max_size=30),
    st.lists(st.one_of(_NUMERIC, _DIGITS, st.just("+0501"), st.just("+501")), max_size=30),
    st.lists(st.one_of(_NUMERIC, _DIGITS, _TEXT, st.just(""), st.none()), max_size=30),
)


def _reference(keys: list[str], filled: list[int], keep: Keep) -> tuple[list[int], dict[int, int]]:
    """Kept positions and, per duplicate position, the position it duplicates."""
    groups: dict[str, list[int]] = {}
    for at, key in enumerate(keys):
        groups.setdefault(key, []).append(at)
    winner: dict[str, int] = {}
    for key, rows in groups.items():
        if keep == "first":
            winner[key] = rows[0]
        elif keep == "last":
            winner[key] = rows[-1]
        else:
            winner[key] = min(rows, key=lambda at: (-filled[at], at))
    kept = [at for at, key in enumerate(keys) if key is not None and winner[key] == at]
    of = {at: winner[key] for at, key in enumerate(keys) if key is not None and winner[key] != at}
    return kept, of


@settings(max_examples=300, deadline=None)
@given(_KEYS, st.data(), st.sampled_from(["first", "last", "most_complete"]))
def test_dedupe_keeps_what_the_policy_says(
    keys: list[str | None], data: st.DataObject, keep: Keep
) -> None:
    names = st.lists(st.sampled_from([None, "", " ", "x"]), min_size=len(keys), max_size=len(keys))
    rows = list(zip(keys, data.draw(names), strict=True))
    frame = pl.DataFrame(
        {"key": keys, "name": [n for _, n in rows]},
        schema={"key": pl.String, "name": pl.String},
    )
    filled = [1 if name and name.strip() else 0 for _, name in rows]

    plan = plan_dedupe(frame, key="key", keep=keep, completeness=["name"])

    want_kept, want_of = _reference(keys, filled, keep)
    assert plan.kept.to_list() == want_kept
    assert plan.duplicates.to_list() == sorted(want_of)
    assert plan.duplicate_of.to_list() == [want_of[at] for at in sorted(want_of)]


@pytest.mark.parametrize(
    ("keys", "numeric"),
    [
        (["+972501234567", "+12025550123"], True),
        (["972501234567", "12025550123"], True),
        (["+972501234567", "+0501"], False),  # a leading zero would merge with "+501"
        (["+972501234567", "12345678901234567890"], False),  # 20 digits may not fit
        (["+972501234567", "+97250-1"], False),
        (["+972501234567", "972501234567"], False),  # '+' on some keys only: not the same
        (["+4420", "++4420"], False),
    ],
)
def test_keys_become_integers_only_when_that_keeps_the_groups(
    keys: list[str], numeric: bool
) -> None:
    compact = _compact_key(pl.Series(keys, dtype=pl.String))

    assert (compact.dtype == pl.UInt64) is numeric

"""The vectorised engine against the oracle: same phone, reason and note for every input."""

from __future__ import annotations

import importlib
import itertools
import random
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

import phonenumbers
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audience_prep import UnknownRegionError, normalize_phone
from audience_prep._errors import ConfigurationError
from audience_prep._prepare.phones.engine import normalize_series
from audience_prep._prepare.phones.normalize import read_cells
from audience_prep._prepare.phones.rules import match_lengths

CORPUS = Path(__file__).parent / "data" / "phone_corpus.txt"
MAIN_REGIONS = ("IL", "US", "GB", "DE", "FR", "BR", "IN", "AR", "MX", "CN", "RU", "AU")
ALL_REGIONS = tuple(sorted(phonenumbers.SUPPORTED_REGIONS))
BATCH = 1000

# Decorations exports really carry, in the shapes the oracle documents.
_PUNCT = (" ", " ", "-", "-", ".", "(", ")", "/", "  ", "\u00a0", "\u2009", "\u200f", ",")
_IDDS = ("00", "011", "0011", "810", "8~10", "001", "010", "000", "0015", "00 ", "1")
_TAILS = (" ext 12", " x5", " #7", ";ext=3", " ext. 1234", "#", " (home)", " or 0501234567")
_UNICODE_DIGITS = ("０１２３４５６７８９", "٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹", "०१२३४५६७८९")
_TYPES = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.TOLL_FREE,
    phonenumbers.PhoneNumberType.PREMIUM_RATE,
    phonenumbers.PhoneNumberType.VOIP,
    phonenumbers.PhoneNumberType.SHARED_COST,
)


@cache
def _examples(region: str) -> tuple[str, ...]:
    """National significant numbers of phonenumbers' example numbers for ``region``."""
    found = []
    for kind in _TYPES:
        example = phonenumbers.example_number_for_type(region, kind)
        if example is not None:
            found.append(phonenumbers.national_significant_number(example))
    return tuple(found) or ("123456789",)


def _national(rng: random.Random, region: str) -> str:
    """A national significant number: an example with fresh digits, or random digits."""
    if rng.random() < 0.15:
        return "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 14)))
    nsn = rng.choice(_examples(region))
    keep = rng.randint(max(1, len(nsn) - 7), len(nsn))
    nsn = nsn[:keep] + "".join(rng.choice("0123456789") for _ in range(len(nsn) - keep))
    if rng.random() < 0.1:
        nsn = nsn[: -rng.randint(1, 3)]
    elif rng.random() < 0.1:
        nsn += "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 3)))
    return nsn


def _number(rng: random.Random, region: str) -> str:
    """Digits (maybe with + or an IDD) in one of the shapes the oracle reads."""
    home = region if rng.random() < 0.75 else rng.choice(ALL_REGIONS)
    code = str(phonenumbers.country_code_for_region(home))
    nsn = _national(rng, home)
    trunk = phonenumbers.PhoneMetadata.metadata_for_region(home)
    prefix = (trunk.national_prefix or "") if trunk is not None else ""
    shapes = (
        (6, lambda: f"+{code}{nsn}"),
        (3, lambda: f"+{code}{prefix}{nsn}"),
        (3, lambda: f"{rng.choice(_IDDS)}{code}{nsn}"),
        (6, lambda: f"{prefix}{nsn}"),
        (4, lambda: nsn),
        (4, lambda: f"{code}{nsn}"),
        (1, lambda: f"{code}{prefix}{nsn}"),
        (1, lambda: f"{code}{code}{nsn}"),
        (1, lambda: f"+{code}{code}{nsn}"),
        (1, lambda: f"+{rng.randint(0, 999)}{nsn}"),
        (1, lambda: f"++{code}{nsn}"),
        (1, lambda: "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 25)))),
    )
    make: Callable[[], str] = rng.choices([s for _, s in shapes], weights=[w for w, _ in shapes])[0]
    return make()


def _punctuate(rng: random.Random, digits: str) -> str:
    out = []
    for index, ch in enumerate(digits):
        if index and rng.random() < 0.12:
            out.append(rng.choice(_PUNCT))
        out.append(ch)
    text = "".join(out)
    if rng.random() < 0.05:
        text = f"({text[:3]}) {text[3:]}"
    return text


def _decorate(rng: random.Random, text: str) -> str:
    """Spreadsheet and CRM damage: spaces, apostrophes, float and scientific forms, letters."""
    draw = rng.random()
    if draw < 0.04 and text.isdigit():
        text += rng.choice((".0", ".00", ".5"))
    elif draw < 0.07 and text.isdigit() and text:
        text = f"{int(text):.{rng.randint(0, 6)}{rng.choice('Ee')}}"
    elif draw < 0.10:
        text += rng.choice(_TAILS)
    elif draw < 0.13:
        table = rng.choice(_UNICODE_DIGITS)
        text = "".join(table[int(c)] if c.isdigit() and rng.random() < 0.7 else c for c in text)
    elif draw < 0.15:
        text = rng.choice(("tel:", "TEL:", "callto:", "sms:", "Tel: ", "mobile ")) + text
    elif draw < 0.17:
        text = text[: rng.randint(0, len(text))] + rng.choice("abcxyzABCe+*#'\"_~") + text
    elif draw < 0.20:
        text = (
            f"{text}{rng.choice((' / ', ', ', '; ', ' | ', ' or ', ' או ', chr(10)))}{text[::-1]}"
        )
    if rng.random() < 0.05:
        text = "'" + rng.choice(("", " ")) + text
    if rng.random() < 0.08:
        text = rng.choice(("", " ", "\t", "\u00a0", "\ufeff", "\u200b")) + text
        text += rng.choice(("", " ", "  ", "\n", "\u200e"))
    return text


def _value(rng: random.Random, region: str) -> str | None:
    draw = rng.random()
    if draw < 0.01:
        return None
    if draw < 0.03:
        return rng.choice(("", " ", "n/a", "-", "none", "'", "אין", "0", "+", "()"))
    if draw < 0.04:  # a date in the phone column (years from 0000: some start with a trunk 0)
        year = rng.randrange(rng.choice((1000, 10**4)))
        date = f"{year:04d}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        date += rng.choice(("", "", " 08:30", "T08:30:00"))
        return rng.choice(("", " ")) + _decorate(rng, date) + rng.choice(("", " "))
    text = _number(rng, region)
    if rng.random() < 0.5:
        text = _punctuate(rng, text)
    return _decorate(rng, text)


def _assert_same(
    values: list[str | None],
    regions: list[str],
    *,
    mobile_only: bool,
    phone_format: str,
) -> None:
    # One region for all values is also passed as a plain code (the common call).
    one = regions[0] if regions and len(set(regions)) == 1 else None
    engine = normalize_series(
        pl.Series(values, dtype=pl.String),
        one or pl.Series(regions, dtype=pl.String),
        mobile_only=mobile_only,
        phone_format=phone_format,  # type: ignore[arg-type]
    )
    got = list(engine.iter_rows())
    oracle = {}
    for value, region in set(zip(values, regions, strict=True)):
        result = normalize_phone(
            value,
            region,
            mobile_only=mobile_only,
            phone_format=phone_format,  # type: ignore[arg-type]
        )
        oracle[value, region] = tuple(result)
    wrong = [
        (value, region, oracle[value, region], mine)
        for value, region, mine in zip(values, regions, got, strict=True)
        if oracle[value, region] != mine
    ]
    assert wrong == [], f"{len(wrong)} disagreements, first: {wrong[:10]}"


@settings(
    max_examples=110,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    region=st.sampled_from(MAIN_REGIONS) | st.sampled_from(ALL_REGIONS),
    mixed=st.booleans(),
    mobile_only=st.booleans(),
    phone_format=st.sampled_from(["e164", "digits"]),
)
def test_engine_equals_oracle_on_generated_batches(
    seed: int, region: str, mixed: bool, mobile_only: bool, phone_format: str
) -> None:
    """1000 cells per example (from a seeded generator), one region or per-row regions."""
    rng = random.Random(seed)
    regions = [
        rng.choice((*MAIN_REGIONS, rng.choice(ALL_REGIONS))) if mixed else region
        for _ in range(BATCH)
    ]
    values = [_value(rng, r) for r in regions]
    _assert_same(values, regions, mobile_only=mobile_only, phone_format=phone_format)


def _corpus() -> list[tuple[str, str | None]]:
    cases = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        region, _, text = line.partition("\t")
        value = None if text == "<None>" else text.encode("ascii").decode("unicode_escape")
        cases.append((region, value))
    return cases


@pytest.mark.parametrize("mobile_only", [False, True])
@pytest.mark.parametrize("phone_format", ["e164", "digits"])
def test_engine_equals_oracle_on_the_corpus(mobile_only: bool, phone_format: str) -> None:
    cases = _corpus()
    assert len(cases) >= 100
    regions = [region for region, _ in cases]
    values = [value for _, value in cases]
    _assert_same(values, regions, mobile_only=mobile_only, phone_format=phone_format)


def test_one_region_for_all_values_and_order_is_kept() -> None:
    values = pl.Series(["+44 7400 123456", None, "050-234-5678", "972502345678", "x"])
    result = normalize_series(values, "il")
    assert result.rows() == [
        ("+447400123456", None, None),
        (None, "missing_phone", None),
        ("+972502345678", None, None),
        ("+972502345678", None, None),
        (None, "missing_phone", None),
    ]


def test_null_region_gives_nulls() -> None:
    result = normalize_series(pl.Series(["0502345678"]), pl.Series([None], dtype=pl.String))
    assert result.rows() == [(None, None, None)]


def test_empty_input() -> None:
    result = normalize_series(pl.Series([], dtype=pl.String), "IL")
    assert result.columns == ["phone", "reason", "note"]
    assert result.height == 0


def test_unknown_region_raises() -> None:
    with pytest.raises(UnknownRegionError):
        normalize_series(pl.Series(["0502345678"]), pl.Series(["XQ"]))


def test_bad_format_raises() -> None:
    with pytest.raises(ConfigurationError, match="phone_format"):
        normalize_series(pl.Series(["0502345678"]), "IL", phone_format="national")  # type: ignore[arg-type]


def test_regions_of_another_length_raise() -> None:
    with pytest.raises(ConfigurationError, match="one region per value"):
        normalize_series(pl.Series(["0502345678", "1"]), pl.Series(["IL"]))


def test_chunks_give_the_same_answer() -> None:
    rng = random.Random(7)
    regions = [rng.choice(MAIN_REGIONS) for _ in range(300)]
    values = pl.Series([_value(rng, r) for r in regions], dtype=pl.String)
    whole = normalize_series(values, pl.Series(regions), mobile_only=True)
    chunked = normalize_series(values, pl.Series(regions), mobile_only=True, chunk_rows=7)
    assert chunked.equals(whole)


# --- exact match lengths of metadata patterns ------------------------------------------------


@st.composite
def _small_patterns(draw: st.DrawFn, depth: int = 0) -> str:
    """Patterns over the digits 0 and 1 in the constructs of phonenumbers' metadata."""
    kind = draw(
        st.sampled_from(["atom", "atom", "seq", "alt", "repeat"] if depth < 3 else ["atom"])
    )
    if kind == "atom":
        return draw(st.sampled_from(["0", "1", "[01]", r"\d"]))
    if kind == "seq":
        parts = draw(st.lists(_small_patterns(depth + 1), min_size=1, max_size=3))
        return "".join(f"(?:{p})" for p in parts)
    if kind == "alt":
        parts = draw(st.lists(_small_patterns(depth + 1), min_size=2, max_size=3))
        return "|".join(parts)
    low = draw(st.integers(0, 2))
    high = draw(st.integers(low, 3))
    return f"(?:{draw(_small_patterns(depth + 1))}){{{low},{high}}}"


@settings(max_examples=300, deadline=None)
@given(_small_patterns())
def test_match_lengths_are_the_lengths_of_the_strings_a_pattern_matches(pattern: str) -> None:
    found = match_lengths(f"^(?:{pattern})$")
    assert found is not None
    compiled = re.compile(pattern)
    seen = {
        size
        for size in range(13)
        for chars in itertools.product("01", repeat=size)
        if compiled.fullmatch("".join(chars))
    }
    assert {size for size in found if size < 13} == seen


def test_match_lengths_of_every_metadata_pattern_span_its_width() -> None:
    """The shortest and longest lengths agree with Python's own parser (``getwidth``)."""
    parser = importlib.import_module("re._parser")
    for region in phonenumbers.SUPPORTED_REGIONS:
        meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
        for name in ("general_desc", "fixed_line", "mobile", "toll_free", "premium_rate", "uan"):
            desc = getattr(meta, name)
            if desc is None or not desc.national_number_pattern:
                continue
            found = match_lengths(desc.national_number_pattern)
            assert found is not None, (region, name)
            assert (min(found), max(found)) == parser.parse(desc.national_number_pattern).getwidth()


def test_match_lengths_of_unbounded_patterns_is_none() -> None:
    assert match_lengths(r"\d+") is None
    assert match_lengths(r"1\d*") is None
    assert match_lengths(r"(?:12|3)\d{2,4}") == {4, 5, 6, 3}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    mobile_only=st.booleans(),
    phone_format=st.sampled_from(["e164", "digits"]),
)
def test_reading_without_a_region_equals_the_oracle_without_one(
    seed: int, mobile_only: bool, phone_format: str
) -> None:
    """Cells of every region's shapes, read with no region: the engine takes the '+' numbers
    (with a stand-in region), the oracle the rest; both must give the oracle's answers."""
    rng = random.Random(seed)
    values = [_value(rng, rng.choice(MAIN_REGIONS)) for _ in range(400)]
    values += [value for _, value in _corpus()]
    got = read_cells(
        pl.Series(values, dtype=pl.String),
        None,
        mobile_only=mobile_only,
        phone_format=phone_format,  # type: ignore[arg-type]
    ).rows()
    expected = [
        tuple(normalize_phone(v, None, mobile_only=mobile_only, phone_format=phone_format))  # type: ignore[arg-type]
        for v in values
    ]
    wrong = [(v, e, g) for v, e, g in zip(values, expected, got, strict=True) if e != g]
    assert wrong == [], f"{len(wrong)} disagreements, first: {wrong[:10]}"


def test_reading_with_per_row_regions_and_rows_without_one() -> None:
    cells = pl.Series(["050-234-5678", "050-234-5678", "+44 20 7983 2100", None], dtype=pl.String)
    regions = pl.Series(["IL", "", "", "IL"], dtype=pl.String)
    assert read_cells(cells, regions).rows() == [
        ("+972502345678", None, None),
        (None, "no_region", None),
        ("+442079832100", None, None),
        (None, "missing_phone", None),
    ]

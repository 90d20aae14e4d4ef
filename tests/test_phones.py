"""The oracle, as input -> expected tables."""

from __future__ import annotations

import gc

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from audience_prep import REASONS, PhoneResult, UnknownRegionError, normalize_phone
from audience_prep._errors import ConfigurationError
from audience_prep._prepare.phones.oracle import check_region, preclean
from audience_prep._prepare.phones.regions import region_from_name

PRECLEAN_TABLE = [
    # (raw, expected cleaned text or rejection)
    ("050-234-5678", "050-234-5678"),
    ("  050-234-5678\t", "050-234-5678"),
    ("\u00a0050 234 5678\u00a0", "050 234 5678"),
    ("\u200b\ufeff0502345678\u200f", "0502345678"),
    ("'0502345678", "0502345678"),
    ("' 0502345678", "0502345678"),
    ("''0502345678", "'0502345678"),
    ("972502345678.0", "972502345678"),
    ("972502345678.00", "972502345678"),
    ("972502345678.5", "972502345678.5"),
    ("+972502345678", "+972502345678"),
    ("9.72501E+11", PhoneResult(None, "scientific_notation")),
    ("9.72501e11", PhoneResult(None, "scientific_notation")),
    ("1E5", PhoneResult(None, "scientific_notation")),
    ("9,72501E+11", PhoneResult(None, "scientific_notation")),
    (None, PhoneResult(None, "missing_phone")),
    ("", PhoneResult(None, "missing_phone")),
    ("   ", PhoneResult(None, "missing_phone")),
    ("n/a", PhoneResult(None, "missing_phone")),
    ("-", PhoneResult(None, "missing_phone")),
    ("none", PhoneResult(None, "missing_phone")),
    ("'", PhoneResult(None, "missing_phone")),
]


@pytest.mark.parametrize(("raw", "expected"), PRECLEAN_TABLE)
def test_preclean_rules(raw: str | None, expected: str | PhoneResult) -> None:
    assert preclean(raw) == expected


NORMALIZE_TABLE = [
    # (raw, region, mobile_only, format, expected phone, expected reason)
    ("050-234-5678", "IL", False, "e164", "+972502345678", None),
    ("0502345678", "IL", False, "digits", "972502345678", None),
    ("+972 50 234 5678", "US", False, "e164", "+972502345678", None),
    ("00972-50-234-5678", "IL", False, "e164", "+972502345678", None),
    ("972502345678.0", "IL", False, "e164", "+972502345678", None),
    ("'0502345678", "IL", False, "e164", "+972502345678", None),
    ("03-612-3456", "IL", False, "e164", "+97236123456", None),
    ("03-612-3456", "IL", True, "e164", None, "not_mobile"),
    ("050-234-5678", "IL", True, "e164", "+972502345678", None),
    ("(202) 555-0143", "US", False, "e164", "+12025550143", None),
    ("+44 7400 123456", "IL", True, "digits", "447400123456", None),
    ("050-234-5678 ext. 12", "IL", False, "e164", "+972502345678", None),
    ("12345", "IL", False, "e164", None, "invalid_number"),
    ("050-000-000", "IL", False, "e164", None, "invalid_number"),
    ("+12", "IL", False, "e164", None, "unparseable"),
    ("1" * 30, "IL", False, "e164", None, "unparseable"),
    ("9.72501E+11", "IL", False, "e164", None, "scientific_notation"),
    ("n/a", "IL", False, "e164", None, "missing_phone"),
    (None, "IL", False, "e164", None, "missing_phone"),
]


@pytest.mark.parametrize(
    ("raw", "region", "mobile_only", "fmt", "phone", "reason"), NORMALIZE_TABLE
)
def test_normalize_phone_table(
    raw: str | None,
    region: str,
    mobile_only: bool,
    fmt: str,
    phone: str | None,
    reason: str | None,
) -> None:
    result = normalize_phone(raw, region, mobile_only=mobile_only, phone_format=fmt)  # type: ignore[arg-type]
    assert (result.phone, result.reason) == (phone, reason)


def test_region_is_case_insensitive() -> None:
    assert normalize_phone("0502345678", "il") == PhoneResult("+972502345678", None)


def test_unknown_region_suggests_the_code_for_a_country_name() -> None:
    with pytest.raises(UnknownRegionError, match="Did you mean IL"):
        normalize_phone("0502345678", "Israel")


def test_unknown_region_code() -> None:
    with pytest.raises(UnknownRegionError, match="'XQ'"):
        check_region("XQ")


def test_unknown_phone_format() -> None:
    with pytest.raises(ConfigurationError, match="phone_format"):
        normalize_phone("0502345678", "IL", phone_format="national")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "region"),
    [
        ("IL", "IL"),
        ("il", "IL"),
        ("Israel", "IL"),
        ("united states", "US"),
        ("ישראל", "IL"),
        ("Germany", "DE"),
        (" GB ", "GB"),
        ("Narnia", None),
        ("", None),
        # codes and names as people write them (issue 13)
        ("USA", "US"),
        ("U.S.", "US"),
        ("U.S.A.", "US"),
        ("usa", "US"),
        ("UK", "GB"),
        ("Great Britain", "GB"),
        ("England", "GB"),
        ("GBR", "GB"),
        ("ISR", "IL"),
        ("DEU", "DE"),
        ("בריטניה", "GB"),
        ("ארצות הברית", "US"),
        ("צרפת", "FR"),
        ("Deutschland", "DE"),
        ("Türkiye", "TR"),
        ("Turkey", "TR"),
        ("España", "ES"),
        ("espana", "ES"),
        ("Россия", "RU"),
        ("إسرائيل", "IL"),
        ("Paris", None),
    ],
)
def test_region_from_name(value: str, region: str | None) -> None:
    assert region_from_name(value) == region


def test_every_reason_is_documented_in_the_readme() -> None:
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for reason in REASONS:
        assert f"`{reason}`" in readme


@given(
    national=st.integers(min_value=0, max_value=10**9 - 1),
    region=st.sampled_from(["IL", "US", "GB", "DE", "FR", "BR", "IN"]),
)
def test_oracle_output_is_valid_e164_that_phonenumbers_accepts(national: int, region: str) -> None:
    result = normalize_phone(str(national), region)
    assert (result.phone is None) != (result.reason is None)
    if result.phone is not None:
        parsed = phonenumbers.parse(result.phone, None)
        assert phonenumbers.is_valid_number(parsed)
        assert (
            phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == result.phone
        )


@pytest.mark.parametrize("raw", ["+999 123 456", "+999123456789", "00999 123", "+1 2"])
def test_a_parse_failure_leaves_no_reference_cycle(raw: str) -> None:
    """phonenumbers keeps sys.exc_info() in a local; the oracle breaks that cycle, so the
    caller's frames (the engine's frames of data) are freed when they return, not at the
    next garbage collection."""
    assert normalize_phone(raw, "IL").phone is None
    gc.collect()
    gc.disable()
    try:
        normalize_phone(raw, "IL")
        assert gc.collect() == 0
    finally:
        gc.enable()

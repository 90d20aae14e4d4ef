"""Cell-text rules and the guarded reading of numbers that lost their '+', as tables."""

from __future__ import annotations

import polars as pl
import pytest

from audience_prep._prepare.phones.normalize import read_cells
from audience_prep._prepare.phones.oracle import normalize_phone, split_numbers

CELL_TEXT_TABLE = [
    # (raw, region, phone, reason, note)
    ("\u00a0050\u00a0234\u00a05678\u00a0", "IL", "+972502345678", None, None),
    ("050\u200b234\u200b5678", "IL", "+972502345678", None, None),
    ("\u200f050-234-5678\u200e", "IL", "+972502345678", None, None),
    ("０５０−２３４５６７８", "IL", "+972502345678", None, None),
    ("٠٥٠٢٣٤٥٦٧٨", "IL", "+972502345678", None, None),
    ("۰۵۰۲۳۴۵۶۷۸", "IL", "+972502345678", None, None),
    ("tel:+1-202-555-0143", "IL", "+12025550143", None, None),
    ("TEL:+972-50-234-5678", "US", "+972502345678", None, None),
    ("tel:+1-202-555-0143;ext=12", "IL", "+12025550143", None, "extension"),
    ("'050-234-5678", "IL", "+972502345678", None, None),
    ("050-234-5678 ext. 12", "IL", "+972502345678", None, "extension"),
    ("050-234-5678 x12", "IL", "+972502345678", None, "extension"),
    ("050-2345678 / 03-6123456", "IL", "+972502345678", None, "multiple_numbers"),
    ("12345 / 03-6123456", "IL", None, "invalid_number", None),  # one part of 6+ digits: one number
    ("050-000000 / 03-6123456", "IL", "+97236123456", None, "multiple_numbers"),
    ("050-2345678; 03-6123456", "IL", "+972502345678", None, "multiple_numbers"),
    ("050-2345678 or 03-6123456", "IL", "+972502345678", None, "multiple_numbers"),
    ("050-2345678 או 03-6123456", "IL", "+972502345678", None, "multiple_numbers"),
    ("050-2345678\n03-6123456", "IL", "+972502345678", None, "multiple_numbers"),
    ("050-000000 / 1234567", "IL", None, "invalid_number", None),
    ("050-2345678, ext 12", "IL", "+972502345678", None, "extension"),
    ("n/a", "IL", None, "missing_phone", None),
    ("none", "IL", None, "missing_phone", None),
    ("-", "IL", None, "missing_phone", None),
    ("tel:", "IL", None, "missing_phone", None),
    # longer than E.164's 15 digits, though phonenumbers accepts it (issue 14)
    ("0800 12345678953", "DE", None, "too_long", None),
    ("+49 800 12345678953", "IL", None, "too_long", None),
    ("0800 12345678953 / 030 12345678", "DE", "+493012345678", None, "multiple_numbers"),
    # Google Contacts puts several numbers in one cell with ' ::: '
    ("054-765-4321 ::: 058-700-1122", "IL", "+972547654321", None, "multiple_numbers"),
    # labelled numbers in one cell: the mobile-labelled one first, wherever it stands
    ("בית: 03-6123456 נייד: 052-3456789", "IL", "+972523456789", None, "multiple_numbers"),
    ("Home: 03-6123456 / Mobile: 052-3456789", "IL", "+972523456789", None, "multiple_numbers"),
    ("Tel: 03-6123456, Cell: 052-3456789", "IL", "+972523456789", None, "multiple_numbers"),
    ("Work: 03-6123456 Home: 04-8123456", "IL", "+97236123456", None, "multiple_numbers"),
    ("Mobile: 052-3456789", "IL", "+972523456789", None, None),
    # no region: numbers with their country code only
    ("+44 20 7983 2100", None, "+442079832100", None, None),
    ("  +1 (212) 555-0134", None, "+12125550134", None, None),
    ("050-234-5678", None, None, "no_region", None),
    ("447400123456", None, "+447400123456", None, "country_code_without_plus"),
    ("0447400123456", None, None, "no_region", None),
    ("+999 123", None, None, "unparseable", None),
    ("+44 20 7983", None, None, "invalid_number", None),
    ("", None, None, "missing_phone", None),
]


@pytest.mark.parametrize(("raw", "region", "phone", "reason", "note"), CELL_TEXT_TABLE)
def test_cell_text_rules(
    raw: str, region: str | None, phone: str | None, reason: str | None, note: str | None
) -> None:
    assert tuple(normalize_phone(raw, region)) == (phone, reason, note)


@pytest.mark.parametrize("region", ["IL", "US", None])
def test_the_vectorised_reading_of_every_cell_text_rule_is_the_oracles(region: str | None) -> None:
    cells = [raw for raw, *_ in CELL_TEXT_TABLE]
    got = read_cells(pl.Series(cells, dtype=pl.String), region).rows()
    assert got == [tuple(normalize_phone(cell, region)) for cell in cells]


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("050-2345678 / 03-6123456", ["050-2345678", "03-6123456"]),
        ("050-2345678, ext 12", ["050-2345678, ext 12"]),
        ("1/2/2020", ["1/2/2020"]),
        ("050-2345678", ["050-2345678"]),
    ],
)
def test_split_numbers(text: str, parts: list[str]) -> None:
    assert split_numbers(text) == parts


# Each branch of the second reading, in regions with fixed and variable-length numbers.
SECOND_READING_TABLE = [
    # (raw, region, phone, note)  -- plain reading invalid, second valid: take the second
    ("447400123456", "IL", "+447400123456", "country_code_without_plus"),
    ("49 170 1234567", "IL", "+491701234567", "country_code_without_plus"),
    ("49-170-123-4567", "US", "+491701234567", "country_code_without_plus"),
    ("14177763170", "IL", "+14177763170", "country_code_without_plus"),
    ("4962599186", "US", "+4962599186", "country_code_without_plus"),
    ("74951276873", "DE", "+74951276873", "country_code_without_plus"),
    ("39332250542", "FR", "+39332250542", "country_code_without_plus"),
    ("626222640957", "BR", "+626222640957", "country_code_without_plus"),
    ("4682245926", "AR", "+4682245926", "country_code_without_plus"),
    ("863916546197", "AU", "+863916546197", "country_code_without_plus"),
    ("4377515108451", "CN", "+4377515108451", "country_code_without_plus"),
    ("27744939129", "IN", "+27744939129", "country_code_without_plus"),
    ("495177040004", "MX", "+495177040004", "country_code_without_plus"),
    ("114372407511", "RU", "+14372407511", "country_code_without_plus"),
    # both readings valid and the same number
    ("972502345678", "IL", "+972502345678", None),
    ("447056818033", "GB", "+447056818033", None),
    ("528171800647", "MX", "+528171800647", None),
    # both valid and different: the plain reading
    ("3613090283", "US", "+13613090283", None),
    ("2315184076", "GB", "+442315184076", None),
    ("4925587225", "DE", "+494925587225", None),
    ("84908428703", "BR", "+5584908428703", None),
    ("6092656146", "AR", "+546092656146", None),
    ("4731597170", "AT", "+434731597170", None),
    ("3906921320", "IT", "+393906921320", None),
    ("6625110290", "IN", "+916625110290", None),
    # both valid and different, own country code, second MOBILE, plain not mobile: the second
    ("491725314871", "DE", "+491725314871", "country_code_without_plus"),
]


@pytest.mark.parametrize(("raw", "region", "phone", "note"), SECOND_READING_TABLE)
def test_second_reading(raw: str, region: str, phone: str, note: str | None) -> None:
    assert tuple(normalize_phone(raw, region)) == (phone, None, note)


GUARD_TABLE = [
    # (raw, region): never read as a foreign number
    ("2012-01-02 08:00", "IL"),  # a date and time: ':' is not allowed
    ("2012-01-02", "US"),  # fewer than 10 digits
    ("(03) 123-4567", "IL"),  # parentheses: a national number with an area code
    ("(020) 7983 2100", "GB"),
    ("00447400123456", "IL"),  # starts with IL's international prefix: plain reading decides
    ("0114474001234", "US"),  # US international prefix 011
    ("0447400123456", "IL"),  # starts with the trunk prefix 0
    ("8 495 127 6873", "RU"),  # RU trunk prefix 8
    ("+447400123456", "IL"),  # already has a '+'
]


@pytest.mark.parametrize(("raw", "region"), GUARD_TABLE)
def test_guards_keep_the_plain_reading(raw: str, region: str) -> None:
    assert normalize_phone(raw, region).note != "country_code_without_plus"


@pytest.mark.parametrize(
    "raw", ["2012-01-02 08:00", "2012-01-02", "1990-12-31T23:59:59", " 2012-01-02 "]
)
@pytest.mark.parametrize("region", ["IL", "US", "GB", "DE"])
def test_a_date_is_not_a_phone(raw: str, region: str) -> None:
    assert tuple(normalize_phone(raw, region)) == (None, "unparseable", None)


def test_national_number_with_area_code_stays_national() -> None:
    assert normalize_phone("(03) 612-3456", "IL").phone == "+97236123456"
    assert normalize_phone("(020) 7983 2100", "GB").phone == "+442079832100"

"""The phone oracle: the one readable definition of how a cell becomes ``phone1``.

Everything the pipeline does to phones must equal :func:`normalize_phone` row by row; any faster
path is checked against it.
"""

from __future__ import annotations

import difflib
import re
from functools import cache
from typing import Final, Literal, NamedTuple

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from audience_prep._errors import ConfigurationError, UnknownRegionError
from audience_prep._text import strip_text

PhoneFormat = Literal["e164", "digits"]
PHONE_FORMATS: Final = ("e164", "digits")

#: Reason codes, stable strings that users filter on. Text: what it means and what to do.
REASONS: Final[dict[str, str]] = {
    "missing_phone": "No phone number in the row: the phone cells are empty or hold no digits. "
    "Fill them in, or map another column with columns= / --map.",
    "unparseable": "The text cannot be read as a phone number (too short, too long, or not a "
    "number). Correct the cell.",
    "invalid_number": "The number parses but is not a valid number for its country: a wrong "
    "length or prefix, or the wrong default region. Check region= / --region.",
    "not_mobile": "A valid number, but not a mobile one, and mobile_only was requested.",
    "scientific_notation": "The cell holds a number in scientific notation (e.g. 9.72501E+11): "
    "the spreadsheet already dropped digits. Re-export the column formatted as text.",
    "unknown_region": "The row's region cell names no country phonenumbers knows. Use an ISO "
    "3166 alpha-2 code (IL, US, GB) or an English country name.",
    "duplicate": "The same phone1 already appears in another kept row (see duplicate_of).",
}

_FLOAT_ARTIFACT = re.compile(r"^([0-9]+)\.0+$")
_SCIENTIFIC = re.compile(r"^[+-]?[0-9]+(?:[.,][0-9]+)?[eE][+-]?[0-9]+$")
_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


class PhoneResult(NamedTuple):
    """The outcome for one cell: a formatted phone, or ``None`` and a reason code."""

    phone: str | None
    reason: str | None


def preclean(raw: str | None) -> str | PhoneResult:
    """Apply the documented pre-cleaning rules; return the text to parse, or a rejection.

    Rules, in order:

    1. ``None`` is a missing phone.
    2. Trim all Unicode whitespace and invisible marks (BOM, zero-width, bidi marks) at both ends.
    3. Strip one leading apostrophe (spreadsheets' "keep as text" marker), and trim again.
    4. A cell with no digit at all (``""``, ``"n/a"``, ``"-"``) is a missing phone.
    5. Scientific notation (``9.72501E+11``) is rejected as ``scientific_notation``: the digits
       were lost before the export was written, so no reading of it can be trusted.
    6. Excel's float artifact, digits followed by ``.0`` (``972502345678.0``), loses the ``.0``.
    """
    if raw is None:
        return PhoneResult(None, "missing_phone")
    text = strip_text(raw)
    if text.startswith("'"):
        text = strip_text(text[1:])
    if not any(ch.isdigit() for ch in text):
        return PhoneResult(None, "missing_phone")
    if _SCIENTIFIC.match(text):
        return PhoneResult(None, "scientific_notation")
    artifact = _FLOAT_ARTIFACT.match(text)
    if artifact:
        text = artifact.group(1)
    return text


def normalize_phone(
    raw: str | None,
    region: str,
    *,
    mobile_only: bool = False,
    phone_format: PhoneFormat = "e164",
) -> PhoneResult:
    """Normalise one phone cell to E.164 (or digits-only E.164), or say why not.

    ``region`` is the ISO 3166 alpha-2 region used for numbers written in national format.
    Steps: :func:`preclean`; ``phonenumbers.parse(text, region)`` (a parse failure is
    ``unparseable``); ``phonenumbers.is_valid_number`` (else ``invalid_number``); with
    ``mobile_only``, the number type must be MOBILE or FIXED_LINE_OR_MOBILE (else
    ``not_mobile``); then ``format_number(..., E164)``, with the ``+`` removed for
    ``phone_format="digits"``. Extensions are not part of the result.
    """
    region = check_region(region)
    check_phone_format(phone_format)
    cleaned = preclean(raw)
    if isinstance(cleaned, PhoneResult):
        return cleaned
    try:
        number = phonenumbers.parse(cleaned, region)
    except NumberParseException:
        return PhoneResult(None, "unparseable")
    if not phonenumbers.is_valid_number(number):
        return PhoneResult(None, "invalid_number")
    if mobile_only and phonenumbers.number_type(number) not in _MOBILE_TYPES:
        return PhoneResult(None, "not_mobile")
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return PhoneResult(e164 if phone_format == "e164" else e164[1:], None)


def check_phone_format(phone_format: str) -> None:
    """Raise ConfigurationError unless ``phone_format`` is one of PHONE_FORMATS."""
    if phone_format not in PHONE_FORMATS:
        raise ConfigurationError(
            f"phone_format must be one of {', '.join(PHONE_FORMATS)}, not {phone_format!r}."
        )


@cache
def check_region(region: str) -> str:
    """Return the region code (case-insensitive) if phonenumbers knows it, else raise.

    An unknown code raises UnknownRegionError with suggestions (a country name that was meant,
    or codes that are close).
    """
    upper = region.strip().upper()
    if upper in phonenumbers.SUPPORTED_REGIONS:
        return upper
    named = region_from_name(region)
    suggestions = [named] if named else []
    suggestions += difflib.get_close_matches(upper, sorted(phonenumbers.SUPPORTED_REGIONS), n=3)
    raise UnknownRegionError(region, suggestions=list(dict.fromkeys(suggestions)))


def region_from_name(value: str) -> str | None:
    """An ISO alpha-2 region for a code or an English or Hebrew country name, else None."""
    text = strip_text(value)
    if text.upper() in phonenumbers.SUPPORTED_REGIONS:
        return text.upper()
    return _country_names().get(text.casefold())


@cache
def _country_names() -> dict[str, str]:
    """Country names from phonenumbers' geocoder data (English and Hebrew) -> region code."""
    from phonenumbers import geocoder

    names: dict[str, str] = {}
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        example = phonenumbers.example_number(region)
        if example is None:
            continue
        for lang in ("en", "he"):
            name = geocoder.country_name_for_number(example, lang)
            if name:
                names.setdefault(name.casefold(), region)
    return names

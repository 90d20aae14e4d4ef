"""The phone oracle: the one readable definition of how a cell becomes ``phone1``.

Everything the pipeline does to phones must equal :func:`normalize_phone` row by row; any faster
path is checked against it.
"""

from __future__ import annotations

import difflib
import itertools
import re
import traceback
import unicodedata
from functools import cache
from typing import Final, NamedTuple, get_args

import phonenumbers
from phonenumbers import (
    NumberParseException,
    PhoneMetadata,
    PhoneNumber,
    PhoneNumberFormat,
    PhoneNumberType,
)

from audience_prep._errors import ConfigurationError, UnknownRegionError
from audience_prep._options import PhoneFormat
from audience_prep._reasons import Note, Reason
from audience_prep._text import INVISIBLE, strip_text

PHONE_FORMATS: Final = get_args(PhoneFormat)
#: E.164's longest number, country code included (ITU-T E.164, section 6.1). phonenumbers
#: accepts a few longer ones (German toll-free 0800 numbers of 11 digits, +49 800 ...); they
#: cannot be a phone1, and the schema's phone pattern is built from this same bound.
E164_MAX_DIGITS: Final = 15

#: The pre-cleaning rules' patterns (ASCII only), which the vectorised engine runs too.
FLOAT_ARTIFACT: Final = r"^([0-9]+)\.0+$"
SCIENTIFIC: Final = r"^[+-]?[0-9]+(?:[.,][0-9]+)?[eE][+-]?[0-9]+$"
ISO_DATE: Final = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2})?)?$"
#: Digits with spaces, dots and dashes: a number that may have lost its '+'.
BARE_DIGITS: Final = r"^[0-9][0-9 .\-]*$"

_FLOAT_ARTIFACT = re.compile(FLOAT_ARTIFACT)
_SCIENTIFIC = re.compile(SCIENTIFIC)
_ISO_DATE = re.compile(ISO_DATE)
_URI_SCHEME = re.compile(r"^(?:tel|callto|sms):", re.IGNORECASE)
#: A label before a number inside a cell: letters (and spaces between words), then a colon.
_LABEL = re.compile(r"([^\W\d_](?:[^\W\d_]|[ .'-](?=[^\W\d_]))*)\s*:")
#: Labels that mark a number inside a cell as a mobile one, tried first (folded).
MOBILE_LABELS: Final = frozenset(
    {
        "mobile", "mob", "cell", "cellular", "cell phone", "cellphone", "mobile phone", "whatsapp",
        "handy", "mobil", "mobiltelefon", "portable", "móvil", "movil", "celular", "cellulare",
        "mobiel", "gsm", "cep", "мобильный", "моб", "сотовый", "جوال", "موبايل", "נייד", "סלולרי",
        "פלאפון", "טלפון נייד", "tel. mobile", "tél. mobile", "tél mobile",
    }
)  # fmt: skip
_SEPARATORS = re.compile(r"\s*(?::::|[/;|,\n]|\s(?:or|או)\s)\s*", re.IGNORECASE)
_BARE_DIGITS = re.compile(BARE_DIGITS)
_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


class PhoneResult(NamedTuple):
    """The outcome for one cell: a formatted phone, or ``None`` and a reason code.

    ``note`` marks a valid result that needed a documented extra step (see ``Note``).
    """

    phone: str | None
    reason: str | None
    note: str | None = None


def preclean(raw: str | None) -> str | PhoneResult:
    """Apply the documented pre-cleaning rules; return the text to parse, or a rejection.

    Rules, in order:

    1. ``None`` is a missing phone.
    2. Every Unicode decimal digit (full-width ``０５０``, Arabic-Indic ``٠٥٠``) becomes its
       ASCII digit; invisible marks (BOM, zero-width characters, bidi marks) are removed
       everywhere; every other Unicode space (no-break, thin, ...) becomes a plain space.
    3. Trim whitespace at both ends.
    4. Strip one leading apostrophe (spreadsheets' "keep as text" marker), and trim again.
    5. Strip a leading ``tel:``, ``callto:`` or ``sms:`` URI scheme.
    6. A cell with no digit at all (``""``, ``"n/a"``, ``"-"``) is a missing phone.
    7. Scientific notation (``9.72501E+11``) is rejected as ``scientific_notation``: the digits
       were lost before the export was written, so no reading of it can be trusted.
    8. An ISO date, optionally with a time (``2012-01-02``, ``2012-01-02 08:00``), is
       ``unparseable``: spreadsheets put dates in phone columns, and ``2012-01-02`` would
       otherwise read as a valid Israeli landline.
    9. Excel's float artifact, digits followed by ``.0`` (``972502345678.0``), loses the ``.0``.
    """
    if raw is None:
        return PhoneResult(None, Reason.MISSING_PHONE)
    text = strip_text(_fold_characters(raw))
    if text.startswith("'"):
        text = strip_text(text[1:])
    text = _URI_SCHEME.sub("", text)
    if not any("0" <= ch <= "9" for ch in text):
        return PhoneResult(None, Reason.MISSING_PHONE)
    if _SCIENTIFIC.match(text):
        return PhoneResult(None, Reason.SCIENTIFIC_NOTATION)
    if _ISO_DATE.match(text):
        return PhoneResult(None, Reason.UNPARSEABLE)
    artifact = _FLOAT_ARTIFACT.match(text)
    if artifact:
        text = artifact.group(1)
    return text


def _fold_characters(raw: str) -> str:
    """Rule 2 of :func:`preclean`: ASCII digits, no invisible marks, plain spaces."""
    if raw.isascii():
        return raw
    out = []
    for ch in raw:
        if ch in INVISIBLE:
            continue
        if ch.isspace() and ch not in "\n\t ":
            out.append(" ")
        elif not ch.isascii() and unicodedata.decimal(ch, None) is not None:
            out.append(str(unicodedata.decimal(ch)))
        else:
            out.append(ch)
    return "".join(out)


def split_numbers(text: str) -> list[str]:
    """The numbers in a pre-cleaned cell, in the order they are tried.

    Rules:

    - parts are separated by ``:::`` (Google Contacts), ``/ ; | ,``, a newline or the word
      "or" (``או``); a cell with none of these but two or more labels (a word and a colon:
      ``נייד: 054... בית: 03...``) is split before each label;
    - a cell counts as several numbers only when at least two parts hold 6 or more digits
      each; otherwise it is one number (``"050-2345678, ext 12"`` stays whole);
    - parts labelled as a mobile (``Mobile:``, ``Cell:``, ``נייד:``, ``Handy:``, ... see
      ``MOBILE_LABELS``) come first; the others keep their order.
    """
    parts = [p for p in _SEPARATORS.split(text) if p]
    if len(parts) < 2:
        parts = _label_parts(text) or parts
    numbers = [p for p in parts if sum("0" <= ch <= "9" for ch in p) >= 6]
    if len(numbers) < 2:
        return [text]
    return sorted(parts, key=lambda part: not _mobile_label(part))


def _label_parts(text: str) -> list[str] | None:
    """``text`` split before each ``label:`` when it holds two or more, else None."""
    starts = [match.start() for match in _LABEL.finditer(text)]
    if len(starts) < 2:
        return None
    bounds = [0, *starts[1:], len(text)] if starts[0] else [*starts, len(text)]
    return [text[a:b].strip() for a, b in itertools.pairwise(bounds) if text[a:b].strip()]


def _mobile_label(part: str) -> bool:
    """Whether a part starts with a label that says it is a mobile number."""
    match = _LABEL.match(part)
    return match is not None and match.group(1).casefold().strip() in MOBILE_LABELS


def normalize_phone(
    raw: str | None,
    region: str | None,
    *,
    mobile_only: bool = False,
    phone_format: PhoneFormat = "e164",
) -> PhoneResult:
    """Normalise one phone cell to E.164 (or digits-only E.164), or say why not.

    ``region`` is the ISO 3166 alpha-2 region used for numbers written in national format;
    with ``None``, only numbers written with their country code can be read (``+44 ...``, or
    digits that are valid with a ``+`` put back, step 4), and any other number is
    ``no_region``. Steps:

    1. :func:`preclean`.
    2. :func:`split_numbers`: with several numbers, each is read by steps 3-6 in turn and the
       first valid one wins (note ``multiple_numbers``); if none is, the first one's reason.
    3. ``phonenumbers.parse(text, region)``; a parse failure is ``unparseable``.
    4. :func:`choose_reading`: the guarded second reading of numbers that lost their ``+``.
    5. ``phonenumbers.is_valid_number`` (else ``invalid_number``); with ``mobile_only``, the
       number type must be MOBILE or FIXED_LINE_OR_MOBILE (else ``not_mobile``).
    6. ``format_number(..., E164)``, with the ``+`` removed for ``phone_format="digits"``.
       An extension is dropped (note ``extension``). A number of more than E164_MAX_DIGITS
       digits is ``too_long``.
    """
    region = None if region is None else check_region(region)
    check_phone_format(phone_format)
    cleaned = preclean(raw)
    if isinstance(cleaned, PhoneResult):
        return cleaned
    numbers = split_numbers(cleaned)
    results = [_read_one(n, region, mobile_only, phone_format) for n in numbers]
    chosen = next((r for r in results if r.phone is not None), results[0])
    if len(numbers) > 1 and chosen.phone is not None:
        return chosen._replace(note=Note.MULTIPLE_NUMBERS)
    return chosen


def _parse(text: str, region: str | None) -> PhoneNumber | None:
    """``phonenumbers.parse(text, region)``, or None where it raises.

    phonenumbers keeps ``sys.exc_info()`` in a local while it handles a parse failure: a
    reference cycle through the frames of the traceback, whose callers (with every frame of
    data they hold) then stay alive until the next garbage collection. Clearing the frames'
    locals breaks it (measured: 280 MB held per 1M engine rows).
    """
    try:
        return phonenumbers.parse(text, region)
    except NumberParseException as exc:
        failure: BaseException | None = exc
        while isinstance(failure, NumberParseException):  # not a caller's own exception
            traceback.clear_frames(failure.__traceback__)
            failure = failure.__context__
        return None


def _read_one(text: str, region: str | None, mobile_only: bool, phone_format: str) -> PhoneResult:
    """Steps 3-6 of :func:`normalize_phone` for one number."""
    plain = _parse(text, region)
    number, note = choose_reading(text, region, plain)
    if number is None:
        national = region is None and not text.startswith("+")
        return PhoneResult(None, Reason.NO_REGION if national else Reason.UNPARSEABLE)
    if not phonenumbers.is_valid_number(number):
        return PhoneResult(None, Reason.INVALID_NUMBER)
    if mobile_only and phonenumbers.number_type(number) not in _MOBILE_TYPES:
        return PhoneResult(None, Reason.NOT_MOBILE)
    if note is None and number.extension:
        note = Note.EXTENSION
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    if len(e164) - 1 > E164_MAX_DIGITS:
        return PhoneResult(None, Reason.TOO_LONG)
    return PhoneResult(e164 if phone_format == "e164" else e164[1:], None, note)


def choose_reading(
    text: str, region: str | None, plain: PhoneNumber | None
) -> tuple[PhoneNumber | None, str | None]:
    """Decide between the plain reading and ``parse("+" + digits)`` for a number that may
    have lost its ``+`` (Excel turns ``+447400123456`` into ``447400123456``).

    The second reading is tried only when the text holds nothing but digits, spaces, dashes
    and dots (no ``+``, parentheses, letters or other symbols), has at least 10 digits, and
    does not start with the region's international prefix or its national (trunk) prefix
    (without a region: does not start with ``0``). Then:

    - plain reading invalid (or unparseable) and the second valid: the second
      (note ``country_code_without_plus``);
    - both valid and different: the plain one, unless the digits start with the region's own
      country code and the second is MOBILE while the plain one is neither MOBILE nor
      FIXED_LINE_OR_MOBILE: then the second;
    - otherwise the plain reading.
    """
    digits = _second_reading_digits(text, region)
    if digits is None:
        return plain, None
    second = _parse("+" + digits, None)
    if second is None or not phonenumbers.is_valid_number(second):
        return plain, None
    if plain is None or not phonenumbers.is_valid_number(plain):
        return second, Note.COUNTRY_CODE_WITHOUT_PLUS
    if region is None or _same_number(plain, second):
        return plain, None
    own_code = str(phonenumbers.country_code_for_region(region))
    if (
        digits.startswith(own_code)
        and phonenumbers.number_type(second) == PhoneNumberType.MOBILE
        and phonenumbers.number_type(plain) not in _MOBILE_TYPES
    ):
        return second, Note.COUNTRY_CODE_WITHOUT_PLUS
    return plain, None


def _second_reading_digits(text: str, region: str | None) -> str | None:
    """The digits of ``text`` when it qualifies for the second reading, else None."""
    if not _BARE_DIGITS.match(text):
        return None
    digits = "".join(ch for ch in text if "0" <= ch <= "9")
    if len(digits) < 10:
        return None
    if region is None:
        return None if digits.startswith("0") else digits
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return None
    if metadata.international_prefix and re.match(metadata.international_prefix, digits):
        return None
    if metadata.national_prefix and digits.startswith(metadata.national_prefix):
        return None
    return digits


def _same_number(a: PhoneNumber, b: PhoneNumber) -> bool:
    return a.country_code == b.country_code and a.national_number == b.national_number


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
    from audience_prep._prepare.phones.regions import region_from_name

    named = region_from_name(region)
    suggestions = [named] if named else []
    suggestions += difflib.get_close_matches(upper, sorted(phonenumbers.SUPPORTED_REGIONS), n=3)
    raise UnknownRegionError(region, suggestions=list(dict.fromkeys(suggestions)))

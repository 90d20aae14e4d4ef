"""The vocabulary of outcomes: why a row was rejected (:class:`Reason`) and what a kept row needed
(:class:`Note`), each with its explanation.

Members are ``str`` (``StrEnum``): ``Reason.DUPLICATE == "duplicate"``, so the codes users filter
on (``rejected["reason"] == "duplicate"``) are the enum's values, and the type checker sees every
place a code is produced. ``REASONS`` and ``NOTES`` are read-only views for lookups by code.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final

__all__ = ["NOTES", "REASONS", "Note", "Reason"]


class Reason(StrEnum):
    """Why a row was rejected; ``.explanation`` says what it means and what to do."""

    MISSING_PHONE = "missing_phone"
    UNPARSEABLE = "unparseable"
    INVALID_NUMBER = "invalid_number"
    NOT_MOBILE = "not_mobile"
    TOO_LONG = "too_long"
    SCIENTIFIC_NOTATION = "scientific_notation"
    UNKNOWN_REGION = "unknown_region"
    NO_REGION = "no_region"
    DUPLICATE = "duplicate"
    MALFORMED_ROW = "malformed_row"
    UNDECODABLE = "undecodable"

    @property
    def explanation(self) -> str:
        """What the code means and what to do, in a sentence or two."""
        return _REASON_TEXT[self]


class Note(StrEnum):
    """A documented extra step a kept row's phone needed; counted in ``report.notes``."""

    EXTENSION = "extension"
    MULTIPLE_NUMBERS = "multiple_numbers"
    COUNTRY_CODE_WITHOUT_PLUS = "country_code_without_plus"

    @property
    def explanation(self) -> str:
        """What the note means, as a clause."""
        return _NOTE_TEXT[self]


_REASON_TEXT: Final[dict[Reason, str]] = {
    Reason.MISSING_PHONE: "No phone number in the row: the phone cells are empty or hold no "
    "digits. Fill them in, or map another column with columns= / --map.",
    Reason.UNPARSEABLE: "The text cannot be read as a phone number (too short, too long, or not "
    "a number). Correct the cell.",
    Reason.INVALID_NUMBER: "The number parses but is not a valid number for its country: a wrong "
    "length or prefix, or the wrong default region. Check region= / --region.",
    Reason.NOT_MOBILE: "A valid number, but not a mobile one, and mobile_only was requested.",
    Reason.TOO_LONG: "A number phonenumbers accepts, but longer than the 15 digits E.164 allows "
    "(some freephone and premium ranges): it cannot be an audience's phone1. Use another "
    "number for this person.",
    Reason.SCIENTIFIC_NOTATION: "The cell holds a number in scientific notation (e.g. "
    "9.72501E+11): the spreadsheet already dropped digits. Re-export the column formatted as text.",
    Reason.UNKNOWN_REGION: "The row's region cell names no country phonenumbers knows. Use an "
    "ISO 3166 alpha-2 code (IL, US, GB) or an English country name.",
    Reason.NO_REGION: "The number is written without its country code and no region was "
    "given, so its country is unknown. Pass region= (CLI: --region) or a region_column.",
    Reason.DUPLICATE: "The same phone1 already appears in another kept row (see duplicate_of).",
    Reason.MALFORMED_ROW: "The row has more or fewer fields than the header (a stray delimiter or "
    "quote), or a quote the CSV format cannot read (an unescaped quote inside a quoted cell, a "
    "quote left open); the other rows are read as usual. Fix the line in the file, or check "
    "delimiter=.",
    Reason.UNDECODABLE: "The row holds bytes that are not valid UTF-8 in a file that is "
    "otherwise UTF-8 (shown as \ufffd in the rejected cells), so its text is not what the file "
    "meant. Fix the cell, or re-save the file as UTF-8; if the whole file is in another code "
    "page, pass encoding= (CLI: --encoding).",
}

_NOTE_TEXT: Final[dict[Note, str]] = {
    Note.EXTENSION: "the cell had an extension, which phone1 does not carry",
    Note.MULTIPLE_NUMBERS: "the cell held several numbers; phone1 is the first valid one",
    Note.COUNTRY_CODE_WITHOUT_PLUS: "the number was read as international: it lost its '+'",
}

#: Reason code -> explanation, read-only, in the enum's order.
REASONS: Final[Mapping[str, str]] = MappingProxyType({r.value: r.explanation for r in Reason})
#: Note code -> explanation, read-only, in the enum's order.
NOTES: Final[Mapping[str, str]] = MappingProxyType({n.value: n.explanation for n in Note})

"""Small pure text rules shared by header matching and phone pre-cleaning."""

from __future__ import annotations

import unicodedata

#: Invisible characters that exports leave in headers and cells: BOM, zero-width space/joiners,
#: word joiner, left-to-right / right-to-left marks and embeddings (common around Hebrew text).
INVISIBLE = frozenset("\ufeff\u200b\u200c\u200d\u2060\u200e\u200f\u202a\u202b\u202c\u202d\u202e")


def header_key(header: str) -> str:
    """The matching key of a header or alias.

    Rules, in order:

    - Unicode NFKC normalisation (full-width letters become ASCII, ligatures split);
    - case folding (``Phone`` = ``PHONE`` = ``phone``);
    - every character that is not a letter or a digit is dropped: whitespace, punctuation,
      quotes (Hebrew ``דוא"ל`` = ``דואל``), BOMs and other invisible marks.

    So ``"Mobile Phone"``, ``"mobile_phone"``, ``" MOBILE-PHONE "`` and ``"\\ufeffmobilephone"``
    share the key ``"mobilephone"``.
    """
    folded = unicodedata.normalize("NFKC", header).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def strip_text(value: str) -> str:
    """Trim all Unicode whitespace and invisible marks from both ends of ``value``."""
    start, end = 0, len(value)
    while start < end and (value[start].isspace() or value[start] in INVISIBLE):
        start += 1
    while end > start and (value[end - 1].isspace() or value[end - 1] in INVISIBLE):
        end -= 1
    return value[start:end]


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message, or its type name when it has none."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

"""Facts about raw bytes that decide their encoding: how much of them is valid UTF-8, and where
NUL bytes fall in text that is UTF-16 or UTF-32 without a byte-order mark.

The UTF-8 rule, over the whole file (``utf8_verdict``), counting non-ASCII sequences: each
valid multi-byte character is one, and each invalid sequence (what a decoder replaces by one
U+FFFD) is one:

- no invalid sequence: UTF-8;
- at least 99% of them valid: UTF-8 with stray bytes; each invalid sequence is read as U+FFFD
  and the rows holding one are rejected (``undecodable``), never the whole file re-read in
  another code page;
- at most 1% valid: a legacy code page (cp1255, cp1251, ...), detected again;
- anything between: the file mixes encodings, and is refused.

Legacy text almost never forms a valid multi-byte UTF-8 sequence by chance, so the shares sit
at the extremes for real files.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

__all__ = ["Utf8Census", "Utf8Verdict", "bomless_unicode", "utf8_census", "utf8_verdict"]

#: The share of valid non-ASCII sequences from which a file is UTF-8 with stray bytes ...
UTF8_MIN_SHARE = 0.99
#: ... and up to which it is in a legacy code page.
LEGACY_MAX_SHARE = 0.01
#: BOM-less UTF-16: at least this share of 2-byte units has a NUL on one side ...
_NUL_UNITS_MIN = 0.25
#: ... and the other side has at most this share of that many NULs.
_NUL_OTHER_SIDE_MAX = 0.1
#: BOM-less UTF-32: at least this share of 4-byte units has its two high bytes NUL.
_UTF32_HIGH_NUL_MIN = 0.9


class Utf8Verdict(Enum):
    """What :func:`utf8_verdict` decided."""

    UTF8 = "utf-8"
    LEGACY = "legacy"
    MIXED = "mixed"


@dataclass(frozen=True, slots=True)
class Utf8Census:
    """Non-ASCII sequences of some bytes read as UTF-8: valid characters and invalid ones."""

    valid: int
    invalid: int

    @property
    def verdict(self) -> Utf8Verdict:
        return utf8_verdict(self.valid, self.invalid)


def utf8_verdict(valid: int, invalid: int) -> Utf8Verdict:
    """UTF-8, a legacy code page, or mixed: see the module's rule."""
    total = valid + invalid
    if not invalid or valid >= UTF8_MIN_SHARE * total:
        return Utf8Verdict.UTF8
    if valid <= LEGACY_MAX_SHARE * total:
        return Utf8Verdict.LEGACY
    return Utf8Verdict.MIXED


def utf8_census(chunks: Iterable[bytes | memoryview], *, final: bool = True) -> Utf8Census:
    """Count the valid and invalid non-ASCII sequences of ``chunks`` read as UTF-8.

    ``final=False`` reads a sample: a sequence cut at its end is not counted. A U+FFFD
    written in the file (``EF BF BD``) is a valid character, not a replacement.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    valid = invalid = 0
    for chunk in chunks:
        raw = bytes(chunk)
        text = decoder.decode(raw)
        replaced = text.count("\ufffd") - raw.count(b"\xef\xbf\xbd")
        non_ascii = len(text) - len(text.encode("ascii", "ignore"))
        invalid += max(replaced, 0)
        valid += non_ascii - max(replaced, 0)
    if final:
        tail = decoder.decode(b"", final=True)
        invalid += tail.count("\ufffd")
    return Utf8Census(valid=valid, invalid=invalid)


def bomless_unicode(sample: bytes) -> str | None:
    """``utf-32-le``/``-be`` or ``utf-16-le``/``-be`` when ``sample`` (a file's start, without a
    byte-order mark) has the NUL pattern of one and decodes as it; else None.

    - UTF-32: in at least 90% of the 4-byte units the two high bytes are NUL (every character
      up to U+FFFF), and the lowest byte mostly is not;
    - UTF-16: at least a quarter of the 2-byte units (and 4) have a NUL in their high byte
      (ASCII digits, spaces, delimiters and line ends do), and the low bytes hold at most a
      tenth as many NULs. A UTF-8 file with a few stray NULs is far from that.
    """
    utf32 = sample[: len(sample) - len(sample) % 4]
    units = len(utf32) // 4
    if units >= 2:
        nul = [utf32[k::4].count(0) for k in range(4)]
        high = _UTF32_HIGH_NUL_MIN * units
        if nul[2] >= high and nul[3] >= high and nul[0] < units / 2:
            return _decodes(utf32, "utf-32-le")
        if nul[0] >= high and nul[1] >= high and nul[3] < units / 2:
            return _decodes(utf32, "utf-32-be")
    utf16 = sample[: len(sample) - len(sample) % 2]
    units = len(utf16) // 2
    if units < 2:
        return None
    low, high_nul = utf16[0::2].count(0), utf16[1::2].count(0)
    if high_nul >= max(4, _NUL_UNITS_MIN * units) and low <= _NUL_OTHER_SIDE_MAX * high_nul:
        return _decodes(utf16, "utf-16-le")
    if low >= max(4, _NUL_UNITS_MIN * units) and high_nul <= _NUL_OTHER_SIDE_MAX * low:
        return _decodes(utf16, "utf-16-be")
    return None


def _decodes(sample: bytes, encoding: str) -> str | None:
    """``encoding`` when ``sample`` decodes as it (a character cut at the end allowed)."""
    try:
        codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
    except UnicodeDecodeError:
        return None
    return encoding

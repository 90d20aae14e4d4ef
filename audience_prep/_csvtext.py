"""Decode delimited text to UTF-8 and detect its delimiter."""

from __future__ import annotations

import codecs
import csv

from audience_prep._errors import SourceReadError

#: Delimiters the sniffer may choose from, most common first.
DELIMITERS = ",;\t|"
_SAMPLE_BYTES = 64 * 1024
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def detect_encoding(data: bytes) -> str:
    """The encoding of ``data``: its BOM, else strict UTF-8, else charset-normalizer's guess."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    from charset_normalizer import from_bytes

    best = from_bytes(data[:_SAMPLE_BYTES]).best()
    return best.encoding if best is not None else "utf-8"


def decode_csv_bytes(data: bytes, name: str, encoding: str | None) -> tuple[bytes, str]:
    """Return ``data`` as UTF-8 bytes without BOM, and the encoding it was read with.

    UTF-8 input is passed through without a copy of its text; other encodings cost one
    transcoded copy.
    """
    used = encoding or detect_encoding(data)
    if used in ("utf-8", "utf8"):
        body = data
    else:
        try:
            body = data.decode(used).encode("utf-8")
        except LookupError as exc:
            raise SourceReadError(
                name, f"unknown encoding {used!r}.", hint="Pass encoding='utf-8' or 'cp1255'."
            ) from exc
        except UnicodeDecodeError as exc:
            raise SourceReadError(
                name,
                f"byte {exc.start} cannot be decoded as {used}.",
                hint="Pass the right encoding, e.g. encoding='cp1255' or encoding='latin-1'.",
            ) from exc
    if used in ("utf-8", "utf8"):
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SourceReadError(
                name,
                f"byte {exc.start} is not valid UTF-8.",
                hint="Pass the file's encoding, e.g. encoding='cp1255' or encoding='latin-1'.",
            ) from exc
    return body.removeprefix(codecs.BOM_UTF8), used


def sniff_delimiter(data: bytes) -> str:
    """Guess the delimiter from the first lines of UTF-8 ``data``; a comma when unsure."""
    sample = data[:_SAMPLE_BYTES].decode("utf-8", errors="ignore")
    lines = sample.splitlines()
    if len(sample) == _SAMPLE_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line of a cut sample is partial
    try:
        return csv.Sniffer().sniff("\n".join(lines[:50]), delimiters=DELIMITERS).delimiter
    except csv.Error:
        return _most_frequent(lines[0] if lines else "")


def _most_frequent(header: str) -> str:
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","

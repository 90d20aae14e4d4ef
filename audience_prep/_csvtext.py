"""Delimited text: decode to UTF-8, detect the delimiter, find the header, count fields."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Sequence

import polars as pl

from audience_prep._errors import SourceReadError

#: Delimiters the sniffer may choose from, most common first.
DELIMITERS = ",;\t|"
#: How many leading records may hold titles or blank lines before the header.
HEADER_SEARCH_ROWS = 20
_SAMPLE_BYTES = 64 * 1024
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: The Windows ("ANSI") code page that spreadsheets use for a region's language. Used only to
#: break ties between charset-normalizer candidates that fit a short sample equally well.
_REGION_CODEPAGES = {
    "IL": "cp1255",
    **dict.fromkeys(("RU", "UA", "BY", "BG", "KZ", "RS", "MK", "KG"), "cp1251"),
    **dict.fromkeys(
        ("SA", "AE", "EG", "JO", "IQ", "SY", "LB", "KW", "QA", "BH", "OM", "YE", "IR", "PK"),
        "cp1256",
    ),
    **dict.fromkeys(("PL", "CZ", "SK", "HU", "HR", "SI", "RO", "AL", "BA"), "cp1250"),
    "GR": "cp1253",
    "CY": "cp1253",
    "TR": "cp1254",
    **dict.fromkeys(("LT", "LV", "EE"), "cp1257"),
    "VN": "cp1258",
    "TH": "cp874",
    "JP": "cp932",
    "CN": "gb18030",
    "TW": "big5",
    "HK": "big5",
    "KR": "cp949",
}
_CHAOS_MARGIN = 0.1


def detect_encoding(data: bytes, *, region: str | None = None) -> str:
    """The encoding of ``data``.

    In order: a BOM; strict UTF-8; else charset-normalizer on a sample. Among its candidates
    that fit about as well as the best (chaos within 0.1), the Windows code page of ``region``'s
    language wins (cp1255 for IL, cp1251 for RU, ...), then cp1252; else the best candidate.
    Short legacy files are ambiguous, and this is where the caller's region helps.
    """
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

    results = list(from_bytes(data[:_SAMPLE_BYTES]))
    if not results:
        return "utf-8"
    best = min(r.chaos for r in results)
    close = {_codec_name(r.encoding) for r in results if r.chaos <= best + _CHAOS_MARGIN}
    for preferred in (_REGION_CODEPAGES.get(region or ""), "cp1252"):
        if preferred in close:
            return preferred
    return _codec_name(results[0].encoding)


def _codec_name(name: str) -> str:
    return codecs.lookup(name).name


def decode_csv_bytes(
    data: bytes, name: str, encoding: str | None, *, region: str | None = None
) -> tuple[bytes, str]:
    """Return ``data`` as UTF-8 bytes without BOM, and the encoding it was read with.

    UTF-8 input is passed through without a copy; other encodings cost one transcoded copy.
    """
    used = encoding or detect_encoding(data, region=region)
    is_utf8 = _codec_name(used) == "utf-8" if _known(used) else False
    try:
        body = data if is_utf8 else data.decode(used).encode("utf-8")
        if is_utf8:
            codecs.getincrementaldecoder("utf-8")().decode(data, final=True)
    except LookupError as exc:
        raise SourceReadError(
            name, f"unknown encoding {used!r}.", hint="Pass e.g. encoding='cp1255'."
        ) from exc
    except UnicodeDecodeError as exc:
        raise SourceReadError(
            name,
            f"byte {exc.start} cannot be decoded as {used}.",
            hint="Pass the file's encoding, e.g. encoding='cp1255' or encoding='latin-1'.",
        ) from exc
    body = body.removeprefix(codecs.BOM_UTF8)
    if not body.strip():
        raise SourceReadError(name, "the file is empty.", hint="Export it again with a header row.")
    return body, used


def _known(encoding: str) -> bool:
    try:
        codecs.lookup(encoding)
    except LookupError:
        return False
    return True


def sniff_delimiter(data: bytes) -> str:
    """Guess the delimiter from the first lines of UTF-8 ``data``; a comma when unsure."""
    lines = _sample_text(data).splitlines()
    try:
        return csv.Sniffer().sniff("\n".join(lines[:50]), delimiters=DELIMITERS).delimiter
    except csv.Error:
        return _most_frequent(lines)


def _sample_text(data: bytes) -> str:
    sample = data[:_SAMPLE_BYTES].decode("utf-8", errors="ignore")
    if len(data) > _SAMPLE_BYTES and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # the last line of a cut sample is partial
    return sample


def _most_frequent(lines: list[str]) -> str:
    """The delimiter seen most often in the first non-empty lines (titles have none)."""
    text = "\n".join(line for line in lines[:HEADER_SEARCH_ROWS] if line.strip())
    counts = {d: text.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def leading_records(data: bytes, sep: str) -> list[list[str]]:
    """The first HEADER_SEARCH_ROWS records of UTF-8 ``data``, parsed by the csv module."""
    reader = csv.reader(io.StringIO(_sample_text(data)), delimiter=sep)
    records = []
    try:
        for record in reader:
            records.append(record)
            if len(records) == HEADER_SEARCH_ROWS:
                break
    except csv.Error:
        pass
    return records


def locate_header(
    records: Sequence[Sequence[str | None]],
    header_row: int | None,
    is_header: Callable[[Sequence[str]], bool] | None,
) -> int:
    """The 0-based index of the header among ``records``.

    ``header_row`` (1-based) wins; else the first of the leading records for which
    ``is_header`` is true (a row that matches the schema's aliases); else the first non-empty
    record.
    """
    if header_row is not None:
        return header_row - 1
    cells = [[c or "" for c in record] for record in records[:HEADER_SEARCH_ROWS]]
    if is_header is not None:
        for index, record in enumerate(cells):
            if is_header(record):
                return index
    return next((i for i, record in enumerate(cells) if any(c.strip() for c in record)), 0)


def malformed_rows(data: bytes, sep: str, skip: int, width: int) -> pl.Series | None:
    """A Boolean per data row (after ``skip`` records and the header): wrong number of fields.

    A row is malformed when it has fewer fields than the header, or more with any extra
    field non-empty; blank lines are not. Returns None when a quoted field spans lines (the
    caller then counts fields with the csv module).
    """
    lines = pl.read_csv(
        data,
        has_header=False,
        separator="\x1f",
        quote_char=None,
        infer_schema=False,
        skip_rows=skip + 1,
        empty_string_is_null=False,
        truncate_ragged_lines=True,
        raise_if_empty=False,
    )
    if lines.width == 0:
        return pl.Series("malformed", [], dtype=pl.Boolean)
    line = pl.col(lines.columns[0]).fill_null("")
    if lines.select((line.str.count_matches('"', literal=True) % 2 == 1).any()).item():
        return None
    unquoted = line.str.replace_all(r'"[^"]*"', "")
    fields = unquoted.str.count_matches(sep, literal=True) + 1
    used = unquoted.str.strip_chars_end(sep + " \t\r").str.count_matches(sep, literal=True) + 1
    blank = line.str.strip_chars() == ""
    bad = ~blank & ((fields < width) | (used > width))
    return lines.select(bad.alias("malformed")).to_series()


def read_records(data: bytes, sep: str) -> list[list[str]]:
    """Every record of UTF-8 ``data`` through the csv module: the exact, slow path."""
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=sep))

"""Bring delimited text to UTF-8 without holding more than one extra copy of the file.

A CSV body is either ``bytes`` or a ``Path``. UTF-8 input is validated in chunks and used as it
is (no copy; polars reads a path directly). Anything else (legacy code pages, UTF-16/32, old Mac
files whose lines end in a bare CR) is transcoded chunk by chunk into a temporary UTF-8 file, so
the Python side holds the input plus one chunk, and polars reads the file.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

from audience_prep._errors import SourceReadError

CsvBody: TypeAlias = bytes | Path

SAMPLE_BYTES = 64 * 1024
_CHUNK = 1024 * 1024
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: The Windows ("ANSI") code page that spreadsheets use for a region's language. Used only to
#: break ties between charset-normalizer candidates that fit a sample equally well.
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


@dataclass(frozen=True, slots=True)
class DecodedBody:
    """A CSV body in UTF-8 (a leading BOM allowed), the encoding it was read with, its head."""

    body: CsvBody
    encoding: str
    head: bytes


def head_of(body: CsvBody, size: int = SAMPLE_BYTES) -> bytes:
    """The first ``size`` bytes of ``body``."""
    if isinstance(body, bytes):
        return body[:size]
    with body.open("rb") as handle:
        return handle.read(size)


def detect_encoding(sample: bytes, *, region: str | None = None) -> str:
    """The encoding of ``sample`` (the start of a file).

    In order: a BOM; strict UTF-8; else charset-normalizer. Among its candidates that fit
    about as well as the best (chaos within 0.1, counting every code page that decodes the
    sample to the same text), the Windows code page of ``region``'s
    language wins (cp1255 for IL, cp1251 for RU, ...), then cp1252; else the best candidate.
    Short legacy files are ambiguous, and this is where the caller's region helps.
    """
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    from charset_normalizer import from_bytes

    results = list(from_bytes(sample[:SAMPLE_BYTES]))
    if not results:
        return "utf-8"
    best = min(r.chaos for r in results)
    # A result stands for every code page that decodes the sample to the same text.
    close = {
        codec_name(name)
        for r in results
        if r.chaos <= best + _CHAOS_MARGIN
        for name in (r.encoding, *r.could_be_from_charset)
    }
    for preferred in (_REGION_CODEPAGES.get(region or ""), "cp1252"):
        if preferred in close:
            return preferred
    return codec_name(results[0].encoding)


def codec_name(name: str) -> str:
    """The canonical codec name (``UTF8`` -> ``utf-8``); SourceReadError-free, LookupError on
    an unknown name."""
    return codecs.lookup(name).name


def open_body(
    data: CsvBody,
    name: str,
    encoding: str | None,
    *,
    region: str | None,
    workdir: Path,
    validate: bool = True,
) -> DecodedBody:
    """Return ``data`` as a UTF-8 body, transcoding into ``workdir`` when needed.

    With ``validate=False`` a body whose head is UTF-8 is returned unchecked (polars checks
    it while parsing; call again with ``validate=True`` when it complains).
    """
    head = head_of(data)
    used = encoding or detect_encoding(head, region=region)
    codec = _lookup(used, name)
    bare_cr = b"\r" in head and b"\n" not in head
    if codec in ("utf-8", "utf-8-sig") and not bare_cr:
        invalid = _first_invalid_utf8(data) if validate else None
        if invalid is None:
            _check_not_empty(head, "utf-8", name)
            return DecodedBody(data, used, head)
        offset, error = invalid
        if encoding is not None:
            raise _undecodable(name, offset, used) from error
        used = detect_encoding(_window(data, offset), region=region)
        codec = _lookup(used, name)
    target = workdir / "utf8.csv"
    _transcode(data, used, target, name, bare_cr=bare_cr)
    head = head_of(target)
    _check_not_empty(head, "utf-8", name)
    return DecodedBody(target, used, head)


def _lookup(encoding: str, name: str) -> str:
    try:
        return codec_name(encoding)
    except LookupError as exc:
        raise SourceReadError(
            name, f"unknown encoding {encoding!r}.", hint="Pass e.g. encoding='cp1255'."
        ) from exc


def _chunks(data: CsvBody) -> Iterator[bytes | memoryview]:
    """``data`` a chunk at a time (views of bytes, blocks read from a file)."""
    if isinstance(data, bytes):
        view = memoryview(data)
        for start in range(0, len(data), _CHUNK):
            yield view[start : start + _CHUNK]
        return
    with data.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            yield chunk


def _first_invalid_utf8(data: CsvBody) -> tuple[int, UnicodeDecodeError] | None:
    """The offset of the first byte that is not valid UTF-8 and the error, or None."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    try:
        for chunk in _chunks(data):
            decoder.decode(chunk)
            offset += len(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        pending = len(decoder.getstate()[0])
        return max(offset - pending + exc.start, 0), exc
    return None


def _window(data: CsvBody, offset: int) -> bytes:
    """SAMPLE_BYTES of ``data`` around ``offset``, starting on a line."""
    start = max(offset - SAMPLE_BYTES // 2, 0)
    if isinstance(data, bytes):
        return data[start : start + SAMPLE_BYTES]
    with data.open("rb") as handle:
        handle.seek(start)
        return handle.read(SAMPLE_BYTES)


def _transcode(data: CsvBody, encoding: str, target: Path, name: str, *, bare_cr: bool) -> None:
    """Write ``data`` decoded from ``encoding`` as UTF-8 into ``target``, chunk by chunk."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    try:
        with target.open("w", encoding="utf-8", newline="") as out:
            for chunk in _chunks(data):
                text = decoder.decode(chunk)
                out.write(text.replace("\r", "\n") if bare_cr else text)
                offset += len(chunk)
            out.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError as exc:
        raise _undecodable(name, max(offset + exc.start, 0), encoding) from exc


def _undecodable(name: str, offset: int, encoding: str) -> SourceReadError:
    return SourceReadError(
        name,
        f"byte {offset} cannot be decoded as {encoding}.",
        hint="Pass the file's encoding, e.g. encoding='cp1255' or encoding='latin-1'.",
    )


def _check_not_empty(head: bytes, encoding: str, name: str) -> None:
    text = head.decode(encoding, errors="ignore").replace("\ufeff", "")
    if not text.strip() and len(head) < SAMPLE_BYTES:
        raise SourceReadError(name, "the file is empty.", hint="Export it again with a header row.")

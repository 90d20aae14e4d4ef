"""Bring delimited text to UTF-8 without holding more than one extra copy of the file.

A CSV body is either ``bytes`` or a ``Path``. UTF-8 input is validated in chunks and used as it
is (no copy; polars reads a path directly). Anything else (legacy code pages, UTF-16/32 with or
without a BOM, UTF-8 with stray bytes) is transcoded chunk by chunk into a temporary UTF-8 file,
so the Python side holds the input plus one chunk, and polars reads the file.

Rules every body follows, whatever its encoding (both CSV readers then see the same text):

- a NUL byte (U+0000) is removed: it is never part of a name or a phone, and is what a file
  padded by its exporter or read in the wrong encoding shows;
- a CR not followed by LF ends a record, as the csv module, Excel and LibreOffice read it
  (inside a quoted cell it is kept): in an old Mac file (CR line ends, no LF in its first
  64 KiB) every CR becomes LF and polars reads it; any other file holding one is read by the
  csv module (``DecodedBody.bare_cr``), since polars would keep it inside the cell and merge
  two records. CRLF is left as it is;
- UTF-8 with stray invalid bytes stays UTF-8 (see :mod:`.charset` for the rule): each invalid
  sequence becomes U+FFFD, and the reader rejects the rows that hold one.

A clean UTF-8 body costs a scan for NUL and one for CR, at memory speed (a file is mapped,
not read); only a body with a NUL (or an old Mac file) is copied.
"""

from __future__ import annotations

import codecs
import contextlib
import logging
import mmap
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeAlias

from audience_prep._errors import SourceReadError
from audience_prep._prepare.read.charset import Utf8Verdict, bomless_unicode, utf8_census

CsvBody: TypeAlias = bytes | Path

log = logging.getLogger("audience_prep")

SAMPLE_BYTES = 64 * 1024
_UTF8 = frozenset({"utf-8", "utf-8-sig"})
_BARE_CR = re.compile(rb"\r(?!\n)")
_BARE_CR_TEXT = re.compile(r"\r(?!\n)")
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
    """A CSV body in UTF-8 (a leading BOM allowed), the encoding it was read with, its head,
    and what it needed: invalid UTF-8 sequences ``replaced`` by U+FFFD, NUL bytes removed,
    and whether a CR not followed by LF is left in it (then the csv module reads it)."""

    body: CsvBody
    encoding: str
    head: bytes
    replaced: int = 0
    nul_removed: int = 0
    bare_cr: bool = False


def head_of(body: CsvBody, size: int = SAMPLE_BYTES) -> bytes:
    """The first ``size`` bytes of ``body``."""
    if isinstance(body, bytes):
        return body[:size]
    with body.open("rb") as handle:
        return handle.read(size)


def detect_encoding(sample: bytes, *, region: str | None = None) -> str:
    """The encoding of ``sample`` (the start of a file).

    In order: a BOM; the NUL pattern of UTF-32 or UTF-16 without a BOM
    (:func:`.charset.bomless_unicode`); UTF-8, when the sample is strict UTF-8 or not clearly
    in a legacy code page (the whole file is judged later, see :mod:`.charset`); else
    charset-normalizer. Among its candidates that fit about as well as the best (chaos within
    0.1, counting every code page that decodes the sample to the same text), the Windows code
    page of ``region``'s language wins (cp1255 for IL, cp1251 for RU, ...), then cp1252; else
    the best candidate. Short legacy files are ambiguous, and this is where the caller's
    region helps.
    """
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    unicode = bomless_unicode(sample[:SAMPLE_BYTES])
    if unicode is not None:
        return unicode
    if utf8_census([sample], final=False).verdict is not Utf8Verdict.LEGACY:
        return "utf-8"
    return _legacy_codepage(sample, region)


def _legacy_codepage(sample: bytes, region: str | None) -> str:
    """charset-normalizer's guess for ``sample``, with ``region``'s code page breaking ties."""
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
    """Return ``data`` as a UTF-8 body, transcoding or cleaning it into ``workdir`` when needed.

    With ``validate=False`` a body whose head is UTF-8 is returned unchecked (polars checks
    it while parsing; call again with ``validate=True`` when it complains). ``encoding='utf-8'``
    given by the caller follows the same rule as a detected UTF-8: stray bytes are replaced,
    but a file that is not mostly UTF-8 is refused.
    """
    head = head_of(data)
    used = encoding or detect_encoding(head, region=region)
    mac = b"\r" in head and b"\n" not in head  # an old Mac file: its lines end in CR
    errors = "strict"
    replaced = 0
    if _lookup(used, name) in _UTF8:
        check = validate or not _is_utf8(head)
        invalid = _first_invalid_utf8(data) if check else None
        if invalid is None:
            _check_not_empty(head, "utf-8", name)
            return _cleaned(DecodedBody(data, used, head), name, workdir, mac=mac)
        used, replaced = _judge_utf8(data, name, used, invalid, given=encoding, region=region)
        errors = "replace" if replaced else "strict"
    decoded = _transcoded(data, name, used, workdir, errors=errors, mac=mac)
    if replaced:
        log.warning(
            "%s: %d byte sequences are not UTF-8 (the first at byte %d) in a file that is "
            "otherwise UTF-8; each is read as U+FFFD and its row is rejected",
            name,
            replaced,
            invalid[0] if invalid else 0,
        )
    return replace(decoded, replaced=replaced)


def _judge_utf8(
    data: CsvBody,
    name: str,
    used: str,
    invalid: tuple[int, UnicodeDecodeError],
    *,
    given: str | None,
    region: str | None,
) -> tuple[str, int]:
    """The encoding to read a body with that is not all UTF-8, and how many of its sequences
    are replaced; by the rule of :mod:`.charset`, over the whole body."""
    offset, error = invalid
    census = utf8_census(_chunks(data))
    if census.verdict is Utf8Verdict.UTF8:
        return used, census.invalid
    if given is not None:
        raise _undecodable(name, offset, used) from error
    if census.verdict is Utf8Verdict.MIXED:
        raise SourceReadError(
            name,
            f"it mixes UTF-8 ({census.valid} characters) with {census.invalid} byte sequences "
            f"that are not UTF-8 (the first at byte {offset}); read in either encoding, part "
            "of it would be garbled.",
            hint="Re-export it as UTF-8, or pass the encoding of the whole file "
            "(e.g. encoding='cp1255').",
        ) from error
    legacy = _legacy_codepage(_window(data, offset), region)
    _lookup(legacy, name)
    return legacy, 0


def _is_utf8(head: bytes) -> bool:
    """``head`` (a file's start, maybe cut inside a character) is valid UTF-8."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _transcoded(
    data: CsvBody, name: str, encoding: str, workdir: Path, *, errors: str, mac: bool
) -> DecodedBody:
    target = workdir / "utf8.csv"
    nul, bare_cr = _transcode(data, encoding, target, name, errors=errors, mac=mac)
    head = head_of(target)
    _check_not_empty(head, "utf-8", name)
    _log_fixes(name, nul, bare_cr)
    return DecodedBody(target, encoding, head, nul_removed=nul, bare_cr=bare_cr)


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


def _transcode(
    data: CsvBody, encoding: str, target: Path, name: str, *, errors: str, mac: bool
) -> tuple[int, bool]:
    """Write ``data`` decoded from ``encoding`` as UTF-8 into ``target``, chunk by chunk,
    without NUL characters (and with every CR as LF in an old Mac file); return the NULs
    removed and whether a CR not followed by LF is left."""
    decoder = codecs.getincrementaldecoder(encoding)(errors=errors)
    offset = nul = 0
    bare_cr = False
    pending = ""  # a CR that ends a chunk: the next chunk tells whether LF follows it
    try:
        with target.open("w", encoding="utf-8", newline="") as out:
            for chunk in _chunks(data):
                text = pending + decoder.decode(chunk)
                offset += len(chunk)
                nul += text.count("\x00")
                text = (
                    text.replace("\x00", "").replace("\r", "\n")
                    if mac
                    else text.replace("\x00", "")
                )
                pending = "\r" if text.endswith("\r") else ""
                text = text[: len(text) - len(pending)]
                bare_cr = bare_cr or _BARE_CR_TEXT.search(text) is not None
                out.write(text)
            tail = pending + decoder.decode(b"", final=True)
            nul += tail.count("\x00")
            tail = tail.replace("\x00", "")
            out.write(tail.replace("\r", "\n") if mac else tail)
    except UnicodeDecodeError as exc:
        raise _undecodable(name, max(offset + exc.start, 0), encoding) from exc
    return nul, bare_cr or (not mac and _BARE_CR_TEXT.search(tail) is not None)


def _cleaned(decoded: DecodedBody, name: str, workdir: Path, *, mac: bool) -> DecodedBody:
    """``decoded`` as it is, or a copy without NUL bytes (and with every CR as LF in an old
    Mac file); ``bare_cr`` set when a CR not followed by LF is left."""
    nul, bare_cr = _scan(decoded.body)
    if not nul and not (mac and bare_cr):
        _log_fixes(name, 0, bare_cr)
        return replace(decoded, bare_cr=bare_cr)
    target = workdir / "clean.csv"
    removed = _clean_copy(decoded.body, target, mac=mac)
    bare_cr = bare_cr and not mac
    _log_fixes(name, removed, bare_cr)
    return replace(decoded, body=target, head=head_of(target), nul_removed=removed, bare_cr=bare_cr)


def _scan(data: CsvBody) -> tuple[bool, bool]:
    """Whether ``data`` holds a NUL byte, and a CR not followed by LF; a file is mapped, not
    read, and both are searched at memory speed (the second only when a CR is there)."""
    with _mapped(data) as view:
        nul = view.find(b"\x00") >= 0
        return nul, view.find(b"\r") >= 0 and _BARE_CR.search(view) is not None


@contextlib.contextmanager
def _mapped(data: CsvBody) -> Iterator[bytes | mmap.mmap]:
    """``data`` as something ``find`` and ``re`` scan without a copy."""
    if isinstance(data, bytes):
        yield data
        return
    with data.open("rb") as handle:
        if not data.stat().st_size:
            yield b""
            return
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
            yield view


def _clean_copy(data: CsvBody, target: Path, *, mac: bool) -> int:
    """Copy UTF-8 ``data`` into ``target`` without NUL bytes (and with every CR as LF when
    ``mac``); return the NULs removed."""
    nul = 0
    with target.open("wb") as out:
        for chunk in _chunks(data):
            block = bytes(chunk)
            nul += block.count(b"\x00")
            block = block.replace(b"\x00", b"")
            out.write(block.replace(b"\r", b"\n") if mac else block)
    return nul


def _log_fixes(name: str, nul: int, bare_cr: bool) -> None:
    if nul:
        log.warning("%s: %d NUL bytes removed (a NUL is never part of a cell)", name, nul)
    if bare_cr:
        log.warning(
            "%s: a CR not followed by LF ends its record (inside quotes it is kept), as the "
            "csv module and Excel read it; the file is read by the csv module",
            name,
        )


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

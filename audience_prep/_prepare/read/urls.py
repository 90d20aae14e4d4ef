"""Sources given as URLs, fetched into a temporary file that is then read as a path.

- ``http://`` and ``https://``: downloaded with httpx (redirects followed, proxies from the
  environment). A status of 400 or more, an HTML page where a file was expected (a login or
  preview page), a declared or actual size past MAX_INPUT_BYTES, URL_TIMEOUT seconds without
  a byte, or a download longer than URL_DEADLINE are refused with a SourceReadError.
- ``file://``: the local path.
- any other scheme (``s3://``, ``gs://``, ``az://``, ``abfs://``, ...): through fsspec when it
  and the scheme's package (s3fs, gcsfs, adlfs, ...) are installed, with the credentials those
  packages find in the environment; else refused, naming what to install.

The source's name in reports, errors and logs is the URL without its user, password, query
and fragment (a signed URL's query is a credential): ``https://host/x.csv?…``.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Final
from urllib.parse import unquote, urlsplit, urlunsplit
from urllib.request import url2pathname

from audience_prep._errors import SourceReadError
from audience_prep._prepare.read.limits import MAX_INPUT_BYTES, describe_bytes, input_too_large
from audience_prep._text import first_line

if TYPE_CHECKING:
    import httpx

__all__ = ["URL_DEADLINE", "URL_TIMEOUT", "fetched", "is_url", "url_label"]

#: Seconds to connect, and at most between two bytes of an answer.
URL_TIMEOUT: Final = 60.0
#: Seconds a whole download may take.
URL_DEADLINE: Final = 1800.0

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")
_CHUNK = 1024**2
#: The package fsspec needs for a scheme, for the message when it is missing.
_PACKAGES: Final = {
    "s3": "s3fs",
    "s3a": "s3fs",
    "gs": "gcsfs",
    "gcs": "gcsfs",
    "az": "adlfs",
    "abfs": "adlfs",
    "abfss": "adlfs",
    "adl": "adlfs",
    "hf": "huggingface_hub",
}
#: A file suffix for the media types exports are served as, when the URL's path has none.
_MEDIA_SUFFIXES: Final = {
    "text/csv": ".csv",
    "application/csv": ".csv",
    "text/tab-separated-values": ".tsv",
    "text/plain": ".txt",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-excel.sheet.macroenabled.12": ".xlsm",
    "application/vnd.ms-excel.sheet.binary.macroenabled.12": ".xlsb",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.apache.parquet": ".parquet",
}


def is_url(source: object) -> bool:
    """Whether ``source`` is a string that starts with a URL scheme (``https://``, ``s3://``)."""
    return isinstance(source, str) and _SCHEME.match(source) is not None


def url_label(url: str) -> str:
    """``url`` as it may be shown: without user, password, query or fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host += f":{parts.port}"
    label = urlunsplit((parts.scheme, host, parts.path, "", ""))
    return label + ("?…" if parts.query or parts.fragment else "")


@contextmanager
def fetched(url: str) -> Iterator[tuple[Path, str]]:
    """The file at ``url`` as a local path (deleted afterwards), and its label."""
    label = url_label(url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        yield Path(url2pathname(unquote(parts.path))), label
        return
    with tempfile.TemporaryDirectory(prefix="audience_prep-") as workdir:
        if scheme in ("http", "https"):
            path = _download(url, label, Path(workdir))
        else:
            path = _copy_fsspec(url, label, scheme, Path(workdir))
        yield path, label


def _download(url: str, label: str, workdir: Path) -> Path:
    import httpx

    from audience_prep._version import __version__

    timeout = httpx.Timeout(URL_TIMEOUT)
    headers = {"User-Agent": f"audience-prep/{__version__}"}
    try:
        with (
            httpx.Client(follow_redirects=True, timeout=timeout, headers=headers) as client,
            client.stream("GET", url) as response,
        ):
            _check_answer(response, label)
            path = workdir / f"source{_suffix(response)}"
            with path.open("wb") as out:
                _copy(response.iter_bytes(_CHUNK), out, label)
            return path
    except httpx.HTTPError as exc:
        detail = first_line(exc).replace(url, label) or type(exc).__name__
        raise SourceReadError(label, f"cannot download it ({detail}).") from None


def _check_answer(response: httpx.Response, label: str) -> None:
    if response.status_code >= 400:
        hint = (
            "The URL needs credentials: download the file and pass its path, or use a link "
            "that needs none (a signed URL, a public export link)."
            if response.status_code in (401, 403)
            else None
        )
        answer = f"{response.status_code} {response.reason_phrase}"
        raise SourceReadError(label, f"the server answered {answer}.", hint=hint)
    if _media_type(response) in ("text/html", "application/xhtml+xml"):
        raise SourceReadError(
            label,
            "the server sent a web page, not a file (a sign-in, preview or share page).",
            hint="Use the file's direct download or export link.",
        )
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_INPUT_BYTES:
        raise input_too_large(label, describe_bytes(int(declared)))


def _suffix(response: httpx.Response) -> str:
    """The source's file suffix: from its name in Content-Disposition, its URL path, or its
    media type ("" when none says: the format is then told by the bytes)."""
    disposition = response.headers.get("Content-Disposition", "")
    if disposition:
        message = Message()
        message["Content-Disposition"] = disposition
        filename = message.get_filename()
        if filename and PurePosixPath(filename).suffix:
            return PurePosixPath(filename).suffix.lower()
    suffix = PurePosixPath(urlsplit(str(response.url)).path).suffix.lower()
    if suffix:
        return suffix
    return _MEDIA_SUFFIXES.get(_media_type(response), "")


def _media_type(response: httpx.Response) -> str:
    """The answer's media type, lower case, without parameters (``text/csv``)."""
    media: str = response.headers.get("Content-Type", "")
    return media.split(";")[0].strip().lower()


def _copy_fsspec(url: str, label: str, scheme: str, workdir: Path) -> Path:
    package = _PACKAGES.get(scheme)
    install = f"fsspec {package}" if package else "fsspec"
    try:
        import fsspec  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise SourceReadError(
            label,
            f"reading {scheme}:// URLs needs fsspec{f' and {package}' if package else ''}, "
            "which are not installed.",
            hint=f"pip install {install}, or download the file and pass its path.",
        ) from None
    try:
        fsspec.get_filesystem_class(scheme)
    except ImportError as exc:
        raise SourceReadError(
            label,
            f"reading {scheme}:// URLs needs a package fsspec names: {first_line(exc)}.",
            hint=f"pip install {package or 'the package named above'}, or download the file "
            "and pass its path.",
        ) from None
    except ValueError:
        raise SourceReadError(
            label,
            f"unknown URL scheme {scheme!r}.",
            hint="Pass a path, an http(s):// URL, or an s3://, gs:// or az:// URL.",
        ) from None
    path = workdir / f"source{PurePosixPath(urlsplit(url).path).suffix.lower()}"
    try:
        with fsspec.open(url, "rb") as handle, path.open("wb") as out:
            _copy(iter(lambda: handle.read(_CHUNK), b""), out, label)
    except FileNotFoundError:
        raise SourceReadError(label, "no such file.") from None
    except (OSError, ValueError) as exc:
        detail = first_line(exc).replace(url, label)
        raise SourceReadError(label, f"cannot read it ({detail}).") from None
    return path


def _copy(chunks: Iterator[bytes], out: IO[bytes], label: str) -> None:
    """Write ``chunks`` to ``out``, refused past MAX_INPUT_BYTES or URL_DEADLINE seconds."""
    deadline = time.monotonic() + URL_DEADLINE
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > MAX_INPUT_BYTES:
            raise input_too_large(label, f"more than {describe_bytes(MAX_INPUT_BYTES)}")
        if time.monotonic() > deadline:
            raise SourceReadError(
                label,
                f"the download took more than {URL_DEADLINE:.0f} s (URL_DEADLINE).",
                hint="Download the file and pass its path.",
            )
        out.write(chunk)

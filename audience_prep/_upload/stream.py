"""Upload progress: send a request's body in chunks, reporting the bytes handed to httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx

from audience_prep._progress import ProgressCallback

_CHUNK = 64 * 1024


def with_progress(
    http: httpx.Client | httpx.AsyncClient, request: httpx.Request, progress: ProgressCallback
) -> httpx.Request:
    """The same request, its body streamed in chunks with ``progress("upload", sent, total)``.

    The multipart body is built once by httpx; the copy keeps its headers, Content-Length
    included, so the server sees an ordinary (not chunked) upload. A retry builds a new stream.
    """
    body = request.read()
    headers = httpx.Headers(request.headers)
    content = _async_chunks(body, progress) if isinstance(http, httpx.AsyncClient) else None
    return httpx.Request(
        request.method,
        request.url,
        headers=headers,
        content=content if content is not None else _chunks(body, progress),
        extensions=request.extensions,
    )


def _chunks(body: bytes, progress: ProgressCallback) -> Iterator[bytes]:
    total = len(body)
    progress("upload", 0, total)
    for start in range(0, total, _CHUNK):
        yield body[start : start + _CHUNK]
        progress("upload", min(start + _CHUNK, total), total)


async def _async_chunks(body: bytes, progress: ProgressCallback) -> AsyncIterator[bytes]:
    for chunk in _chunks(body, progress):
        yield chunk

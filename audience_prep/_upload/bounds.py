"""The bounds of one attempt: a total deadline, and a cap on how much of an answer is read.

httpx's timeouts bound each network operation (a connect, one read, one write), not their sum:
a server that answers one byte a second never trips a 60-second read timeout. So each attempt
also has a total deadline, from connecting to the last byte of the answer:

- the blocking client arms a ``Watchdog``: a timer thread that shuts the attempt's socket down
  when the deadline passes, so a blocked write or read returns at once (a connect still in
  progress is bounded by the connect timeout); it also checks the deadline between the chunks
  of the answer, for transports without a socket;
- the asyncio client runs the attempt under ``asyncio.timeout``.

The answer is streamed and at most ``MAX_RESPONSE_BYTES`` (1 MiB) of it are kept: CommBox
answers with a few hundred bytes of JSON, so a longer body is not its answer. A body declared
longer is not read at all.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from types import TracebackType
from typing import Any, Self

import httpx

__all__ = [
    "MAX_RESPONSE_BYTES",
    "AnswerTooLarge",
    "AttemptExpired",
    "Watchdog",
    "aread_capped",
    "read_capped",
]

MAX_RESPONSE_BYTES = 1024 * 1024
#: httpcore's trace events that hand over a connected socket (plain, then TLS).
_CONNECTED = ("connection.connect_tcp.complete", "connection.start_tls.complete")


class AttemptExpired(Exception):
    """The attempt's deadline passed before the answer was read (never leaves the client)."""


class AnswerTooLarge(Exception):
    """The answer is longer than the cap (never leaves the client)."""


class Watchdog:
    """The deadline of one blocking attempt; shuts its sockets down when the deadline passes.

    Use it as a context manager around the attempt and hand ``trace`` to the request's
    ``trace`` extension, so it learns each socket httpcore connects.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.fired = False
        self._end = time.monotonic() + seconds
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._done = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> Self:
        self._timer.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._lock:
            self._done = True
        self._timer.cancel()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace callback: keep every socket the attempt connects."""
        if event not in _CONNECTED:
            return
        sock = info["return_value"].get_extra_info("socket")
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            self._sockets.append(sock)
            if self.fired:  # connected after the deadline: stop right here
                _shut(sock)

    def check(self) -> None:
        """Raise ``AttemptExpired`` once the deadline has passed."""
        if self.fired or time.monotonic() >= self._end:
            self.fired = True
            raise AttemptExpired

    def _fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.fired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    # shutdown, not close: it wakes a thread blocked in recv or send on this socket.
    with contextlib.suppress(OSError):  # already closed, or never connected
        sock.shutdown(socket.SHUT_RDWR)


def read_capped(response: httpx.Response, watchdog: Watchdog) -> bytes:
    """The body of a streamed response, at most ``MAX_RESPONSE_BYTES``, within the deadline.

    Raises ``AnswerTooLarge`` or ``AttemptExpired``; httpx errors pass through.
    """
    _refuse_declared_length(response)
    watchdog.check()
    return _collect(response.iter_bytes(), watchdog)


async def aread_capped(response: httpx.Response) -> bytes:
    """The body of a streamed response, at most ``MAX_RESPONSE_BYTES`` (``AnswerTooLarge``)."""
    _refuse_declared_length(response)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise AnswerTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _collect(chunks: Iterator[bytes], watchdog: Watchdog) -> bytes:
    kept: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise AnswerTooLarge
        kept.append(chunk)
        watchdog.check()
    return b"".join(kept)


def _refuse_declared_length(response: httpx.Response) -> None:
    declared = response.headers.get("content-length", "").strip()
    if not (declared.isascii() and declared.isdigit()):
        return  # absent or malformed: the count while reading still applies
    if len(declared) > len(str(MAX_RESPONSE_BYTES)) or int(declared) > MAX_RESPONSE_BYTES:
        raise AnswerTooLarge

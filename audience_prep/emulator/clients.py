"""Clients for an emulator in one line: ``emulator.client()`` and ``emulator.async_client()``.

Both emulators (``CommBoxEmulator`` on a loopback port, ``InProcessEmulator`` without a socket)
hand out a ``CommBoxClient`` or an ``AsyncCommBoxClient`` already pointed at them, with their
token and, in-process, their transport. Every other option is the client's own, with the
client's defaults.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable

import httpx

from audience_prep._ledger.ledger import Ledger
from audience_prep._upload.client import AsyncCommBoxClient, CommBoxClient
from audience_prep._upload.core import DEFAULT_TIMEOUT

__all__ = ["EmulatorClients"]


class EmulatorClients:
    """What both emulators share: their base URL and token, and clients built from them."""

    @property
    def url(self) -> str:
        """The base URL a client uses, ending with ``/``."""
        raise NotImplementedError

    @property
    def token(self) -> str:
        """The bearer token the emulator accepts."""
        raise NotImplementedError

    def _transport(self) -> httpx.BaseTransport | None:
        return None  # a real socket

    def _async_transport(self) -> httpx.AsyncBaseTransport | None:
        return None

    def client(
        self,
        *,
        token: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_attempts: int = 5,
        max_retry_time: float = 120.0,
        attempt_timeout: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        ledger: Ledger | bool = True,
        ledger_dir: str | os.PathLike[str] | None = None,
    ) -> CommBoxClient:
        """A ``CommBoxClient`` for this emulator (``token``: another token, e.g. a wrong one).

        The options are ``CommBoxClient``'s. The ledger is on by default, as for any client:
        in a test, pass ``ledger_dir=tmp_path`` (or ``ledger=False``) to keep the user's
        ledger out of it.
        """
        return CommBoxClient(
            token=self.token if token is None else token,
            base_url=self.url,
            transport=self._transport(),
            timeout=timeout,
            max_attempts=max_attempts,
            max_retry_time=max_retry_time,
            attempt_timeout=attempt_timeout,
            sleep=sleep,
            ledger=ledger,
            ledger_dir=ledger_dir,
        )

    def async_client(
        self,
        *,
        token: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_attempts: int = 5,
        max_retry_time: float = 120.0,
        attempt_timeout: float | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        ledger: Ledger | bool = True,
        ledger_dir: str | os.PathLike[str] | None = None,
    ) -> AsyncCommBoxClient:
        """An ``AsyncCommBoxClient`` for this emulator; the options are as for ``client``."""
        return AsyncCommBoxClient(
            token=self.token if token is None else token,
            base_url=self.url,
            transport=self._async_transport(),
            timeout=timeout,
            max_attempts=max_attempts,
            max_retry_time=max_retry_time,
            attempt_timeout=attempt_timeout,
            sleep=sleep,
            ledger=ledger,
            ledger_dir=ledger_dir,
        )

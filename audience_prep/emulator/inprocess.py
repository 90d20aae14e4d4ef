"""InProcessEmulator: the emulator without a socket, for the blocking and the asyncio client.

The asyncio client takes httpx's own ``ASGITransport``. The blocking client needs a blocking
transport over the same ASGI app: ``SyncASGITransport`` reads the request body, then runs the
app, through ``ASGITransport``, on an anyio blocking portal (an event loop in a short-lived
thread, one per request), as starlette's ``TestClient`` does; the answer is read whole
before the portal closes. An exception the app raises (the ``drop_connections`` fault raises
``httpx.RemoteProtocolError``) reaches the client as a real dropped connection would.

There is no network, so httpx's timeouts do not apply: a ``delay_s`` fault holds the call
that long, and the client's ``attempt_timeout`` is checked only once the answer is there.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

import anyio.from_thread
import httpx
from starlette.types import ASGIApp

from audience_prep.emulator.app import create_app
from audience_prep.emulator.clients import EmulatorClients
from audience_prep.emulator.state import EmulatorState, Faults

__all__ = ["InProcessEmulator", "SyncASGITransport"]


class SyncASGITransport(httpx.BaseTransport):
    """A blocking httpx transport that answers from an ASGI app, with no socket."""

    def __init__(self, app: ASGIApp) -> None:
        self._asgi = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()  # a blocking body: the app reads it from memory instead
        copy = httpx.Request(
            request.method,
            request.url,
            headers=request.headers,
            content=body,
            extensions=request.extensions,
        )
        with anyio.from_thread.start_blocking_portal() as portal:
            status, headers, content = portal.call(self._round_trip, copy)
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(content))

    async def _round_trip(
        self, request: httpx.Request
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        response = await self._asgi.handle_async_request(request)
        try:
            content = b"".join([chunk async for chunk in response.aiter_raw()])
        finally:
            await response.aclose()
        return response.status_code, response.headers.raw, content


class InProcessEmulator(EmulatorClients):
    """The CommBox emulator in this process, with no socket: nothing to start or stop.

    ``client()`` and ``async_client()`` return clients wired to it (base URL
    ``http://127.0.0.1/``, its token, an in-process transport); ``state`` is its memory, as
    for ``CommBoxEmulator``::

        emulator = InProcessEmulator()
        audience_id = emulator.state.add_audience(rows=[{"phone1": "+972501234567"}])
        with emulator.client(ledger_dir=tmp_path) as client:
            client.replace_audience(audience_id, prepared)
        emulator.state.rows(audience_id)   # exactly the uploaded rows

    It may also be used as a context manager, so it can stand in for a ``CommBoxEmulator``.
    """

    #: The base URL its clients use: a loopback host (plain http is allowed), never dialled.
    URL = "http://127.0.0.1/"

    def __init__(self, *, token: str | None = None, state: EmulatorState | None = None) -> None:
        self.state = state if state is not None else EmulatorState(token=token)
        self.app = create_app(self.state)

    def __repr__(self) -> str:
        return f"<InProcessEmulator {self.state!r}>"

    @property
    def url(self) -> str:
        """The base URL its clients use (``http://127.0.0.1/``)."""
        return self.URL

    @property
    def token(self) -> str:
        """The bearer token the emulator accepts."""
        return self.state.token

    def set_faults(self, faults: Faults | None = None, **settings: object) -> None:
        """Shortcut for ``state.set_faults``."""
        self.state.set_faults(faults, **settings)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def _transport(self) -> httpx.BaseTransport:
        return SyncASGITransport(self.app)

    def _async_transport(self) -> httpx.AsyncBaseTransport:
        return httpx.ASGITransport(app=self.app)

"""The emulator's outer ASGI layer: CommBox-shaped JSON answers and fault injection.

Faults act below the web framework because a dropped connection has no response to return:
under uvicorn the layer closes the connection's transport (reached through the ``send``
callable uvicorn passes, the one place ASGI exposes it) before any answer, while the upload
is still arriving, so the client sees a transport error. In-process (``httpx.ASGITransport``)
there is no socket: it raises ``httpx.RemoteProtocolError``, which that transport hands to the
client just as a real drop would surface.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import anyio
import httpx
from starlette.responses import JSONResponse

from audience_prep.emulator.state import RecordedRequest

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from audience_prep.emulator.state import EmulatorState, Faults

__all__ = ["DESCRIPTIONS", "FaultInjector", "commbox_json", "now_iso"]

logger = logging.getLogger("audience_prep.emulator")

DESCRIPTIONS = {
    200: "Operation successful",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    429: "Too Many Requests – Rate limit exceeded",
    500: "Server Error",
}


def now_iso() -> str:
    """The current UTC time as CommBox writes it: ISO 8601 with milliseconds and ``Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def commbox_json(
    status: int, *, data: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """A response shaped like CommBox's: status, description, response_time (and data on 200)."""
    body: dict[str, Any] = {
        "status": status,
        "description": DESCRIPTIONS.get(status, "Error"),
        "response_time": now_iso(),
    }
    if data is not None:
        body["data"] = data
    return JSONResponse(body, status_code=status, headers=headers)


class FaultInjector:
    """Wrap the emulator's routes; delay, drop, throttle or fail CommBox requests as configured."""

    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_emulator/"):
            await self.app(scope, receive, send)
            return
        fault, settings = self.state.take_fault()
        if fault == "drop":
            self._record(scope, None, "connection dropped (fault)")
            await _drop_connection(receive, send)
            return
        body = await _read_body(receive)
        if body is None or (settings.delay_s and await _left_during(receive, settings.delay_s)):
            self._record(scope, None, "client went away")
            return
        if fault is not None:
            response = _fault_response(fault, settings)
            self._record(scope, response.status_code, f"{fault} (fault)")
            await response(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    def _record(self, scope: Scope, status: int | None, detail: str) -> None:
        logger.info("%s %s -> %s", scope["method"], scope["path"], detail)
        self.state.record(RecordedRequest(scope["method"], scope["path"], status, detail=detail))


def _fault_response(fault: str, settings: Faults) -> JSONResponse:
    if fault == "rate_limited":
        headers = {"Retry-After": settings.retry_after} if settings.retry_after else None
        return commbox_json(429, headers=headers)
    return commbox_json(500)


async def _read_body(receive: Receive) -> list[Message] | None:
    """Every ``http.request`` message of the body, or None when the client went away."""
    messages: list[Message] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        messages.append(message)
        if not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Callable[[], Awaitable[Message]]:
    """A receive callable that yields the buffered body, then defers to the real one."""
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


async def _left_during(receive: Receive, seconds: float) -> bool:
    """Wait ``seconds`` after the body; True when the client disconnected meanwhile."""
    with anyio.move_on_after(seconds):
        message = await receive()
        return bool(message["type"] == "http.disconnect")
    return False


async def _drop_connection(receive: Receive, send: Send) -> None:
    """Close the connection before any answer, after the first chunk of the upload."""
    await receive()
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
    transport.abort()
    while (await receive())["type"] != "http.disconnect":
        pass

"""A local CommBox that speaks the audience contract, for tests, demos and your own tests.

Needs the ``emulator`` extra (starlette, uvicorn, python-multipart). Two ways to use it:

- in-process, with no socket: ``httpx.ASGITransport(app=create_app(state))`` as the
  ``transport=`` of an ``AsyncCommBoxClient`` (base URL ``http://127.0.0.1/``);
- on a loopback port: ``with CommBoxEmulator() as emulator:`` serves it with uvicorn in a
  thread; ``emulator.url``, ``emulator.token`` and ``emulator.state`` are what a test needs.

The CommBox endpoints check the bearer token (401), the audience id (404), that the audience is
static (400) and that the file is a readable CSV or Excel file with a ``phone1`` column (400);
every answer is CommBox-shaped JSON (``status``, ``description``, ``response_time`` and, on 200,
``data.id``). Emulator-only endpoints, never faulted and without auth:

- ``POST /_emulator/audiences`` seeds ``{"id"?, "name"?, "dynamic"?, "rows"?}``;
- ``GET /_emulator/audiences/{id}`` returns an audience with its current ``rows``;
- ``GET|PUT /_emulator/faults`` reads or replaces the ``Faults`` to inject;
- ``GET /_emulator/requests`` lists the CommBox requests seen; ``POST /_emulator/reset``.
"""

from __future__ import annotations

from audience_prep.emulator.app import create_app
from audience_prep.emulator.asgi import FaultInjector, now_iso
from audience_prep.emulator.server import CommBoxEmulator
from audience_prep.emulator.state import Audience, EmulatorState, Faults, RecordedRequest

__all__ = [
    "Audience",
    "CommBoxEmulator",
    "EmulatorState",
    "FaultInjector",
    "Faults",
    "RecordedRequest",
    "create_app",
    "now_iso",
]

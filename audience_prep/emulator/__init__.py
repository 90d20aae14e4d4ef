"""A local CommBox that speaks the audience contract, for tests, demos and your own tests.

Needs the ``emulator`` extra (starlette, uvicorn, python-multipart). Two ways to use it, each
with ``.client(...)`` (a ``CommBoxClient``) and ``.async_client(...)`` (an
``AsyncCommBoxClient``) already pointed at it, ``.state`` (its memory: seed audiences, read
members back, inject faults) and ``.token``; the client options are the clients' own:

- in-process, with no socket and nothing to start: ``emulator = InProcessEmulator()``, then
  ``with emulator.client(ledger_dir=tmp_path) as client: ...``. Its clients use the base URL
  ``http://127.0.0.1/`` (never dialled) and an in-process transport: httpx's
  ``ASGITransport`` for the asyncio client, ``SyncASGITransport`` (the app run on an anyio
  portal, as starlette's ``TestClient`` does) for the blocking one. There is no network, so
  httpx timeouts do not apply in-process;
- on a loopback port: ``with CommBoxEmulator() as emulator:`` serves it with uvicorn in a
  thread; ``emulator.url`` is its base URL, for a client in another process or the CLI
  (``--base-url``).

``create_app(state)`` is the bare ASGI app, for any other ASGI server or transport.

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
from audience_prep.emulator.inprocess import InProcessEmulator, SyncASGITransport
from audience_prep.emulator.server import CommBoxEmulator
from audience_prep.emulator.state import Audience, EmulatorState, Faults, RecordedRequest

__all__ = [
    "Audience",
    "CommBoxEmulator",
    "EmulatorState",
    "FaultInjector",
    "Faults",
    "InProcessEmulator",
    "RecordedRequest",
    "SyncASGITransport",
    "create_app",
    "now_iso",
]

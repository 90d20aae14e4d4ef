"""CommBoxEmulator: the emulator served by uvicorn on a real socket.

The socket is bound before uvicorn starts, so port 0 gives a free port whose number is known at
once, and nothing can take it between choosing and serving.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Self

import uvicorn

from audience_prep.emulator.app import create_app
from audience_prep.emulator.clients import EmulatorClients
from audience_prep.emulator.state import EmulatorState, Faults

__all__ = ["CommBoxEmulator"]

_START_TIMEOUT_S = 10.0


class CommBoxEmulator(EmulatorClients):
    """Serve the CommBox emulator on ``host:port`` (a free loopback port by default).

    As a context manager it serves from a background thread and stops cleanly on exit;
    ``client()`` and ``async_client()`` return clients pointed at it (its URL and token)::

        with CommBoxEmulator() as emulator:
            audience_id = emulator.state.add_audience(rows=[{"phone1": "+972501234567"}])
            with emulator.client(ledger_dir=tmp_path) as client:
                client.replace_audience(audience_id, b"phone1\\n+972541234567\\n")
            emulator.state.rows(audience_id)   # exactly the uploaded rows

    ``serve_forever()`` serves from the calling thread instead (Ctrl+C stops it).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        state: EmulatorState | None = None,
        log_level: str = "warning",
    ) -> None:
        self.state = state if state is not None else EmulatorState(token=token)
        self.host = host
        self.app = create_app(self.state)
        self._port = port
        self._log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"<CommBoxEmulator {self.url}>"

    @property
    def token(self) -> str:
        """The bearer token the emulator accepts."""
        return self.state.token

    @property
    def port(self) -> int:
        """The port served (known once started; 0 before when a free port was asked for)."""
        return self._port

    @property
    def url(self) -> str:
        """The base URL to give a client, ending with ``/``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._port}/"

    def set_faults(self, faults: Faults | None = None, **settings: object) -> None:
        """Shortcut for ``state.set_faults``."""
        self.state.set_faults(faults, **settings)

    def start(self) -> None:
        """Start serving from a daemon thread; return once the server accepts connections."""
        if self._thread is not None:
            raise RuntimeError("the emulator is already running")
        server, sock = self._prepare()
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="commbox-emulator", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                thread.join(_START_TIMEOUT_S)
                sock.close()
                raise RuntimeError(f"the CommBox emulator did not start on {self.url}")
            time.sleep(0.01)
        self._thread = thread

    def stop(self) -> None:
        """Stop serving and wait for the server thread to end."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(_START_TIMEOUT_S)
        self._server, self._thread = None, None

    def serve_forever(self, *, ready: Callable[[str], None] | None = None) -> None:
        """Serve from the calling thread until interrupted; ``ready(url)`` is called first."""
        server, sock = self._prepare()
        if ready is not None:
            ready(self.url)
        server.run(sockets=[sock])

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _prepare(self) -> tuple[uvicorn.Server, socket.socket]:
        family, _, _, _, address = socket.getaddrinfo(
            self.host, self._port, type=socket.SOCK_STREAM
        )[0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
        except OSError:
            sock.close()
            raise
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_config=None,
            log_level=self._log_level,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        return self._server, sock

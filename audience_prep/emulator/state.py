"""What the CommBox emulator remembers: audiences, requests seen, and faults to inject.

Plain Python with a lock, so a test thread can seed and inspect it while the server thread
serves. Needs no web framework; ``audience_prep.emulator`` puts HTTP in front of it.
"""

from __future__ import annotations

import copy
import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

__all__ = ["Audience", "EmulatorState", "Faults", "RecordedRequest"]

Fault = Literal["drop", "rate_limited", "server_error"]


@dataclass
class Faults:
    """Failures injected into the next CommBox requests (never into ``/_emulator/`` ones).

    One counter is consumed per request, checked in this order: ``drop_connections`` (close the
    connection without an answer, while the upload is still arriving), ``rate_limited`` (429,
    with a ``Retry-After: <retry_after>`` header when that is set: seconds or an HTTP date),
    ``server_errors`` (500). ``delay_s`` holds every CommBox answer back that long while set.
    """

    drop_connections: int = 0
    rate_limited: int = 0
    retry_after: str | None = None
    server_errors: int = 0
    delay_s: float = 0.0

    def __post_init__(self) -> None:
        counters = (self.drop_connections, self.rate_limited, self.server_errors)
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counters):
            raise ValueError("fault counters must be non-negative integers")
        if not isinstance(self.delay_s, int | float) or self.delay_s < 0:
            raise ValueError("delay_s must be a non-negative number of seconds")
        if self.retry_after is not None and not isinstance(self.retry_after, str):
            raise ValueError("retry_after must be a string: seconds or an HTTP date")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Faults:
        """Build faults from JSON-like values; unknown keys or bad values raise ``ValueError``."""
        if not isinstance(values, Mapping):
            raise ValueError("faults must be an object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown fault settings {unknown}; known: {sorted(known)}")
        return cls(**values)


@dataclass
class Audience:
    """One audience as the emulator holds it; ``rows`` are the members, all values text."""

    id: str
    name: str
    dynamic: bool = False
    rows: list[dict[str, str]] = field(default_factory=list)
    uploads: int = 0
    last_sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The audience as JSON-ready values."""
        return asdict(self)


@dataclass(frozen=True)
class RecordedRequest:
    """One CommBox request the emulator saw. ``status`` is None for a dropped connection.

    For uploads it also holds the multipart field names, the file's name, content type, SHA-256
    and row count, and ``detail`` says why a 400 was given. The Authorization header is never kept.
    """

    method: str
    path: str
    status: int | None
    fields: tuple[str, ...] = ()
    filename: str | None = None
    content_type: str | None = None
    sha256: str | None = None
    rows: int | None = None
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The request as JSON-ready values."""
        return asdict(self)


class EmulatorState:
    """The emulator's memory, safe to use from any thread.

    ``token`` is the only bearer token the emulator accepts (random when not given). Seed
    audiences with ``add_audience``; read members back with ``rows``; inject failures with
    ``set_faults``; ``requests`` lists the CommBox requests seen.
    """

    def __init__(self, *, token: str | None = None) -> None:
        self.token = token or secrets.token_urlsafe(18)
        self._lock = threading.Lock()
        self._audiences: dict[str, Audience] = {}
        self._requests: list[RecordedRequest] = []
        self._faults = Faults()
        self._next_id = 300001

    def __repr__(self) -> str:
        return f"<EmulatorState audiences={len(self._audiences)} requests={len(self._requests)}>"

    def add_audience(
        self,
        audience_id: str | None = None,
        *,
        name: str | None = None,
        dynamic: bool = False,
        rows: Iterable[Mapping[str, str]] = (),
    ) -> str:
        """Create (or overwrite) an audience and return its id (a new number when not given)."""
        with self._lock:
            audience_id = audience_id or self._new_id()
            self._audiences[audience_id] = Audience(
                id=audience_id,
                name=name or f"audience {audience_id}",
                dynamic=dynamic,
                rows=[dict(row) for row in rows],
            )
        return audience_id

    def audience(self, audience_id: str) -> Audience:
        """A copy of one audience; ``KeyError`` when there is none with this id."""
        with self._lock:
            return copy.deepcopy(self._audiences[audience_id])

    def find(self, audience_id: str) -> Audience | None:
        """A copy of one audience, or None."""
        with self._lock:
            found = self._audiences.get(audience_id)
            return copy.deepcopy(found) if found else None

    def rows(self, audience_id: str) -> list[dict[str, str]]:
        """The current members of an audience, in upload order."""
        return self.audience(audience_id).rows

    @property
    def requests(self) -> list[RecordedRequest]:
        """The CommBox requests seen so far, oldest first."""
        with self._lock:
            return list(self._requests)

    @property
    def faults(self) -> Faults:
        """A copy of the faults still to be injected."""
        with self._lock:
            return copy.copy(self._faults)

    def set_faults(self, faults: Faults | None = None, **settings: Any) -> None:
        """Replace the faults to inject: a ``Faults`` or its fields as keywords."""
        new = faults if faults is not None else Faults.from_mapping(settings)
        with self._lock:
            self._faults = copy.copy(new)

    def reset(self) -> None:
        """Forget every audience, request and fault (the token stays)."""
        with self._lock:
            self._audiences.clear()
            self._requests.clear()
            self._faults = Faults()

    def take_fault(self) -> tuple[Fault | None, Faults]:
        """Consume the next counted fault for one request; also return the settings in force."""
        with self._lock:
            faults = self._faults
            fault: Fault | None = None
            if faults.drop_connections > 0:
                faults.drop_connections -= 1
                fault = "drop"
            elif faults.rate_limited > 0:
                faults.rate_limited -= 1
                fault = "rate_limited"
            elif faults.server_errors > 0:
                faults.server_errors -= 1
                fault = "server_error"
            return fault, copy.copy(faults)

    def replace_rows(self, audience_id: str, rows: list[dict[str, str]], sha256: str) -> None:
        """Make ``rows`` the only members of an existing audience."""
        with self._lock:
            audience = self._audiences[audience_id]
            audience.rows = rows
            audience.uploads += 1
            audience.last_sha256 = sha256

    def create(self, name: str, rows: list[dict[str, str]], sha256: str) -> str:
        """Create a static audience holding ``rows``; return its new id."""
        with self._lock:
            audience_id = self._new_id()
            self._audiences[audience_id] = Audience(
                audience_id, name, rows=rows, uploads=1, last_sha256=sha256
            )
        return audience_id

    def record(self, request: RecordedRequest) -> None:
        """Remember one CommBox request."""
        with self._lock:
            self._requests.append(request)

    def _new_id(self) -> str:
        while str(self._next_id) in self._audiences:
            self._next_id += 1
        self._next_id += 1
        return str(self._next_id - 1)

"""The emulator's routes: the CommBox contract and the ``/_emulator/`` endpoints.

See ``audience_prep.emulator`` for what each endpoint does.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from audience_prep.emulator.asgi import FaultInjector, commbox_json
from audience_prep.emulator.files import AudienceFileError, parse_audience_file
from audience_prep.emulator.state import EmulatorState, Faults, RecordedRequest

__all__ = ["create_app"]

logger = logging.getLogger("audience_prep.emulator")


def create_app(state: EmulatorState | None = None) -> FaultInjector:
    """The emulator as an ASGI app; ``app.state`` is the ``EmulatorState`` it serves."""
    state = state if state is not None else EmulatorState()
    routes = [
        Route("/Audiences/{audience_id}", _replace_audience, methods=["PUT"]),
        Route("/audiences", _create_audience, methods=["POST"]),
        Route("/_emulator/audiences", _seed_audience, methods=["POST"]),
        Route("/_emulator/audiences/{audience_id}", _read_audience, methods=["GET"]),
        Route("/_emulator/faults", _faults, methods=["GET", "PUT"]),
        Route("/_emulator/requests", _requests, methods=["GET"]),
        Route("/_emulator/reset", _reset, methods=["POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.emulator = state
    return FaultInjector(app, state)


class _Upload:
    """An uploaded file, read and parsed; ``error`` says why it cannot be used."""

    def __init__(self, fields: tuple[str, ...], name: str | None) -> None:
        self.fields = fields
        self.name = name
        self.filename: str | None = None
        self.content_type: str | None = None
        self.sha256: str | None = None
        self.rows: list[dict[str, str]] = []
        self.error: str | None = None


def _state(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emulator
    return state


def _answer(
    request: Request,
    status: int,
    *,
    upload: _Upload | None = None,
    detail: str | None = None,
    data: dict[str, Any] | None = None,
) -> Response:
    """Record the request and answer it the way CommBox does."""
    has_rows = upload is not None and upload.error is None and upload.sha256 is not None
    _state(request).record(
        RecordedRequest(
            method=request.method,
            path=request.url.path,
            status=status,
            fields=upload.fields if upload else (),
            filename=upload.filename if upload else None,
            content_type=upload.content_type if upload else None,
            sha256=upload.sha256 if upload else None,
            rows=len(upload.rows) if upload and has_rows else None,
            detail=detail,
        )
    )
    if detail:
        logger.info("%s %s -> %d: %s", request.method, request.url.path, status, detail)
    return commbox_json(status, data=data)


def _authorized(request: Request) -> bool:
    expected = f"Bearer {_state(request).token}".encode()
    given = request.headers.get("authorization", "").encode()
    return secrets.compare_digest(given, expected)


async def _read_upload(request: Request) -> _Upload:
    """Read the multipart body: its field names, ``name`` and the parsed ``audience_file``."""
    try:
        async with request.form() as form:
            fields = tuple(key for key, _ in form.multi_items())
            name = form.get("name")
            upload = _Upload(fields, name if isinstance(name, str) else None)
            part = form.get("audience_file")
            if not isinstance(part, UploadFile):
                upload.error = "no audience_file file part"
                return upload
            content = await part.read()
            upload.filename, upload.content_type = part.filename, part.content_type
    except HTTPException as exc:
        upload = _Upload((), None)
        upload.error = f"unreadable multipart body: {exc.detail}"
        return upload
    upload.sha256 = hashlib.sha256(content).hexdigest()
    try:
        upload.rows = parse_audience_file(content, upload.filename)
    except AudienceFileError as exc:
        upload.error = str(exc)
    return upload


async def _replace_audience(request: Request) -> Response:
    if not _authorized(request):
        return _answer(request, 401, detail="missing or wrong bearer token")
    state = _state(request)
    audience_id = request.path_params["audience_id"]
    audience = state.find(audience_id)
    if audience is None:
        return _answer(request, 404, detail=f"no audience {audience_id}")
    if audience.dynamic:
        return _answer(request, 400, detail="only static audiences can be updated")
    upload = await _read_upload(request)
    if upload.error is None and upload.fields != ("audience_file",):
        upload.error = f"only the audience_file field is accepted, got {list(upload.fields)}"
    if upload.error is not None or upload.sha256 is None:
        return _answer(request, 400, upload=upload, detail=upload.error)
    state.replace_rows(audience_id, upload.rows, upload.sha256)
    return _answer(request, 200, upload=upload, data={"id": audience_id})


async def _create_audience(request: Request) -> Response:
    if not _authorized(request):
        return _answer(request, 401, detail="missing or wrong bearer token")
    upload = await _read_upload(request)
    if upload.error is None and not (upload.name or "").strip():
        upload.error = "the name field is required"
    if upload.error is not None or upload.sha256 is None or upload.name is None:
        return _answer(request, 400, upload=upload, detail=upload.error)
    audience_id = _state(request).create(upload.name, upload.rows, upload.sha256)
    return _answer(request, 200, upload=upload, data={"id": audience_id})


def _problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _seed_audience(request: Request) -> Response:
    try:
        body = await request.json()
        rows = body.get("rows", [])
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise TypeError("rows must be a list of objects")
        audience_id = _state(request).add_audience(
            None if body.get("id") is None else str(body["id"]),
            name=body.get("name"),
            dynamic=bool(body.get("dynamic", False)),
            rows=[{str(k): str(v) for k, v in row.items()} for row in rows],
        )
    except (ValueError, TypeError, AttributeError) as exc:
        return _problem(422, f"expected {{'id'?, 'name'?, 'dynamic'?, 'rows'?}}: {exc}")
    return JSONResponse({"id": audience_id}, status_code=201)


async def _read_audience(request: Request) -> Response:
    found = _state(request).find(request.path_params["audience_id"])
    if found is None:
        return _problem(404, "no audience with this id")
    return JSONResponse(found.to_dict())


async def _faults(request: Request) -> Response:
    state = _state(request)
    if request.method == "PUT":
        try:
            state.set_faults(Faults.from_mapping(await request.json()))
        except (ValueError, TypeError) as exc:
            return _problem(422, str(exc))
    return JSONResponse(vars(state.faults))


async def _requests(request: Request) -> Response:
    return JSONResponse([seen.to_dict() for seen in _state(request).requests])


async def _reset(request: Request) -> Response:
    _state(request).reset()
    return Response(status_code=204)

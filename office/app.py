"""create_app(): the office FastAPI app — routers under /api/v1, JSON errors, size limit.

Every error leaves as `{"code", "message"}` with a stable code; a client can never get
a 500 out of bad input (the last-resort handler exists for our own bugs, and never
echoes request content, which may contain report data).
"""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import JagaError
from office import db, keys as office_keys
from office.compression import GzipPush
from office.deps import Office
from office.enrollment import device_for_token
from office.phone_limits import PhoneGate, PhoneLimits
from office.routes import attachments, courier, enroll, envelopes, health, inbox, reviews

log = logging.getLogger("jaga.office")
VERSION = "1.0.0"
API = "/api/v1"
MAX_BODY = 8 * 1024 * 1024        # a 500-envelope batch of text reports is ~1.5 MB
COURIER_BODY = 64 * 1024 * 1024 + 64 * 1024   # one courier file (sync/courier.MAX_FILE) + a form around it
_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 406: "not_acceptable", 409: "conflict",
               413: "too_large", 415: "unsupported_media_type", 422: "bad_request",
               429: "too_many_requests"}


def _error(status: int, code: str, message: str, headers: dict | None = None,
           refusal: dict | None = None) -> JSONResponse:
    body = {"code": code, "message": message}
    if refusal is not None:
        body["refusal"] = refusal           # the office's signed refusal (sync/statement.py)
    return JSONResponse(body, status_code=status, headers=headers)


class _BodyTooLarge(Exception):
    pass


class BodyLimit:
    """Pure ASGI middleware: refuse bodies over `limit` with a JSON 413, chunked ones too;
    `larger` names the paths that take more (a courier file)."""

    def __init__(self, app, limit: int = MAX_BODY, larger: dict[str, int] | None = None) -> None:
        self.app, self.default, self.larger = app, limit, dict(larger or {})

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.larger.get(scope.get("path", ""), self.default)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                too_big = True
            if too_big:
                return await _error(413, "too_large", f"request body over {limit} bytes")(scope, receive, send)
        seen, started = 0, False

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _BodyTooLarge()
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await _error(413, "too_large", f"request body over {limit} bytes")(scope, receive, send)


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(JagaError)
    async def jaga(_req: Request, exc: JagaError):
        refusal = getattr(exc, "refusal", None)
        return _error(exc.http_status, exc.code, exc.message, refusal=refusal if isinstance(refusal, dict) else None)

    @app.exception_handler(RequestValidationError)
    async def invalid(_req: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return _error(422, "bad_request", f"{where}: {first.get('msg', 'invalid request')}")

    @app.exception_handler(StarletteHTTPException)
    async def http(_req: Request, exc: StarletteHTTPException):
        # FastAPI raises a bare 400 for a body it cannot decode (e.g. not UTF-8); that is the
        # same malformed request as invalid JSON: 422 bad_request, the documented answer.
        status = 422 if exc.status_code == 400 else exc.status_code
        code = _HTTP_CODES.get(status, "http_error")
        return _error(status, code, str(exc.detail))

    @app.exception_handler(IntegrityError)
    async def integrity(_req: Request, _exc: IntegrityError):
        return _error(409, "conflict", "the request clashes with data stored concurrently; retry")

    @app.exception_handler(OperationalError)
    async def busy(_req: Request, exc: OperationalError):
        log.warning("database unavailable: %s", type(exc.orig).__name__)
        return _error(503, "office_busy", "the office store is busy; retry later")

    @app.exception_handler(Exception)
    async def last_resort(_req: Request, exc: Exception):
        log.error("internal error: %s", type(exc).__name__, exc_info=exc)
        return _error(500, "internal", "internal error at the office")


def _in_background(engine, name: str, pending, work, what: str) -> None:
    """Run `work(engine)` once in a daemon thread when `pending(conn)` says there is any: a
    catch-up job must never hold up start-up or a dashboard GET, and a race with another
    worker (or a store going away) only stops the job, logged."""
    with engine.begin() as conn:
        if pending(conn) == 0:
            return

    def run() -> None:
        try:
            log.info("%s: %d older reports", what, work(engine))
        except Exception as exc:          # another worker raced us, or the store went away
            log.warning("%s stopped: %s", what, type(exc).__name__)
    threading.Thread(target=run, name=name, daemon=True).start()


def _start_backfill(engine, keys) -> None:
    """Reports stored before indexing moved into ingest get their filter row once, in the
    background, in short transactions (everything derived is the derive worker's)."""
    from office.dashboard import indexer
    _in_background(engine, "jaga-backfill", indexer.pending, lambda e: indexer.backfill(e, keys),
                   "background indexing")


def _derive_in_process(app: FastAPI, engine, keys, wanted: bool | None) -> None:
    """The derive worker runs as a thread of the serving process while it serves (started and
    stopped with the app); JAGA_DERIVE=off (or derive=False) leaves the queue to `jaga-desa
    office derive` — or to a test's `drain`."""
    if wanted is False or (wanted is None and os.environ.get("JAGA_DERIVE", "on").lower() in ("off", "0", "no")):
        return
    from office.derive.worker import Worker
    worker = Worker(engine, keys)
    app.router.add_event_handler("startup", worker.start)
    app.router.add_event_handler("shutdown", worker.stop)


def _live_device(engine, token: str | None) -> bool:
    """Is `token` a live device's? (Read before a push body is read: see compression.py.)"""
    try:
        with db.reading(engine) as conn:
            device_for_token(conn, token)
    except JagaError:
        return False
    return True


def create_app(data_dir: str | Path, db_url: str | None = None, *,
               passphrase: str | None = None, derive: bool | None = None) -> FastAPI:
    """Load (or create) the office keys, migrate the store, and build the app."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    keys = office_keys.load_or_create(data_dir, passphrase)
    office_keys.set_current(keys)
    from office.enrollment import head_list_validity
    head_list_validity()            # a bad JAGA_HEAD_LIST_DAYS stops start-up, not every sync
    from office.dashboard import basemap; basemap.tile_url()   # so does a bad JAGA_TILE_URL
    from office import warning; warning.set_config(warning.WarningConfig.load_for(data_dir))
    engine = db.open_store(data_dir, db_url)
    app = FastAPI(title="Jaga Desa office API", version=VERSION,
                  description="Sealed field reports in, receipts, reviews and feedback out.",
                  openapi_url=f"{API}/openapi.json", docs_url=f"{API}/docs", redoc_url=None)
    limits = PhoneLimits.from_env()         # a bad JAGA_PHONE_* value stops start-up, typed
    app.state.office = Office(engine=engine, keys=keys, version=VERSION, limits=limits)
    app.state.data_dir = data_dir
    for module in (health, enroll, envelopes, attachments, inbox, reviews, courier):
        app.include_router(module.router, prefix=API)
    from office.dashboard import mount; mount(app)   # staff dashboard + partner API
    from office import offline_app; offline_app.mount(app)   # the installable field app at /app/
    _start_backfill(engine, keys)
    _derive_in_process(app, engine, keys, derive)
    _install_handlers(app)
    app.add_middleware(GzipPush, limit=MAX_BODY,       # inside BodyLimit: both sizes capped
                       admit=lambda token: _live_device(engine, token))
    app.add_middleware(PhoneGate, limits=limits)      # before the body is read: rate, in flight
    # a courier file carries photos too (sync/courier.py): its two doors read more
    app.add_middleware(BodyLimit, larger={API + courier.PATH: COURIER_BODY, "/dashboard/courier": COURIER_BODY})
    return app

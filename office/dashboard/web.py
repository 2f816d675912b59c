"""The small page framework under /dashboard: `page()`, the request context, rendering.

The pages themselves live in `pages/` (one module per area); they stay thin handlers
over the services, one transaction each.

Every page is declared with `page(method, path, access)`; ACCESS maps (method, path) to
"public" | "staff" | "admin" and the authorization tests iterate the app's route table
against it, so a new page cannot be added without an access level. Report pages also
check the staff member's region (403 page + audit entry when outside it).
"""
from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote, urlencode

import forms
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from core import localtime
from core.errors import JagaError, NotFound

from office import db

from . import audit, auth, basemap, emergency, queries
from .i18n import CATEGORY_PMI, TRIAGE, URGENCY, VERDICT, label, norm_lang, t

BASE = "/dashboard"
HERE = Path(__file__).parent
ACCESS: dict[tuple[str, str], str] = {}
LANG_COOKIE = "jd_lang"
PAGE_SIZE = 50
ZONE = localtime.zone()     # the office's zone (JAGA_TZ, else this server's offset, else WIB)
router = APIRouter()
_env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True)
_CSS = (HERE / "static" / "dashboard.css").read_bytes()
SECURITY_HEADERS = _SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                               "script-src 'none'; form-action 'self'; frame-ancestors 'none'",
}


class Denied(Exception):
    def __init__(self, target: str | None = None, reason: str = "region") -> None:
        super().__init__(reason)
        self.target, self.reason = target, reason


@dataclasses.dataclass
class Ctx:
    request: Request
    conn: Any
    keys: Any
    lang: str
    form: dict
    staff: dict | None = None
    csrf: str | None = None
    read_only: bool = False
    later: list = dataclasses.field(default_factory=list)   # writes a read-only page asks for
    files: dict = dataclasses.field(default_factory=dict)   # uploaded files of a multipart POST: name -> bytes

    @property
    def params(self):
        return self.request.query_params

    @property
    def path(self) -> dict:
        return self.request.path_params

    @property
    def ip(self) -> str | None:
        return self.request.client.host if self.request.client else None

    def audit(self, action: str, **kw) -> None:
        """Record now, or — on a read-only page — in the short writing transaction after it."""
        if self.read_only:
            staff, ip = self.staff, self.ip
            self.later.append(lambda conn: audit.record(conn, action, staff=staff, ip=ip, **kw))
        else:
            audit.record(self.conn, action, staff=self.staff, ip=self.ip, **kw)


def render(ctx: Ctx, name: str, status: int = 200, **values) -> HTMLResponse:
    lang = ctx.lang
    here = str(ctx.request.url.path) + (f"?{ctx.request.url.query}" if ctx.request.url.query else "")
    html = _env.get_template(name).render(
        t=lambda key: t(key, lang), lang=lang, staff=ctx.staff, csrf=ctx.csrf, base=BASE,
        lang_url=f"{BASE}/lang?" + urlencode({"to": "en" if lang == "id" else "id", "next": here}),
        triage_label=lambda c: label(TRIAGE, c, lang), urgency_label=lambda c: label(URGENCY, c, lang),
        verdict_label=lambda c: label(VERDICT, c or "none", lang),
        category_label=lambda c: category_label(c, lang), route_label=lambda c: route_label(c, lang),
        local_time=lambda v: localtime.format(v, ZONE, lang, short=True), zone=ZONE,
        alerts=_alerts(ctx), nav_badge=_nav_badge(ctx), quarantined=_quarantined(ctx), **values)
    return HTMLResponse(html, status_code=status)


def _alerts(ctx: Ctx) -> list[dict]:
    """Unacknowledged DARURAT reports for the banner on every page (none on public pages)."""
    if not ctx.staff or ctx.conn is None:
        return []
    try:        # ingest indexes every report as it arrives: reading dash_reports is enough
        alerts = emergency.open_alerts(ctx.conn, ctx.staff)
        said = emergency.sentences(ctx.conn, ctx.keys, [a["envelope_id"] for a in alerts[:emergency.COMPACT]])
        return [{**a, "sentence": said.get(a["envelope_id"])} for a in alerts]
    except Exception:   # noqa: BLE001 — an error page after a failed transaction still renders
        return []


_badges: list[Callable[["Ctx"], dict]] = []


def nav_badge(fn: Callable[["Ctx"], dict]) -> Callable[["Ctx"], dict]:
    """A page registers what the menu shows beside its entry (pages/signals.badge: new
    signals and Darurat reports), as pages register themselves on `router`: this module
    never imports a page."""
    _badges.append(fn)
    return fn


def _quarantined(ctx: Ctx) -> int:
    """Refused emergencies, for the admin menu (pages/admin.quarantine_page)."""
    if not ctx.staff or ctx.staff.get("role") != "admin" or ctx.conn is None or ctx.conn.closed:
        return 0
    from . import quarantine
    try:
        return quarantine.count(ctx.conn)
    except Exception:   # noqa: BLE001 — an error page after a failed transaction still renders
        return 0


def _nav_badge(ctx: Ctx) -> dict | None:
    """The registered badges for the menu; None when signed out."""
    if not ctx.staff or ctx.conn is None or ctx.conn.closed or not _badges:
        return None
    out: dict = {}
    for fn in _badges:
        out.update(fn(ctx))
    return out


def error_page(ctx: Ctx, status: int, message: str) -> HTMLResponse:
    return render(ctx, "error.html", status=status, status_code=status, message=message)


def _form_choices(form_id: str, field: str, lang: str) -> dict[str, str]:
    try:
        return {c.value: c.label(lang) for c in forms.load(form_id).field(field).choices}
    except Exception:
        return {}


def category_label(code: str | None, lang: str) -> str:
    if code == CATEGORY_PMI:
        return t("pmi", lang)
    return _form_choices("laporan_kecurigaan", "kategori", lang).get(code or "", code or "—")


def route_label(code: str | None, lang: str) -> str:
    return _form_choices("keberangkatan_pmi", "jalur", lang).get(code or "", code or "—")


def page(method: str, path: str, access: str, transaction: bool = True, own_writes: bool = False) -> Callable:
    """Register a page. `transaction=False` (public pages only): the handler opens its own
    short transactions, e.g. login, which hashes a password between a read and a write.
    `own_writes=True`: a POST checked (session, CSRF) in a reading transaction, whose handler
    writes through the engine in transactions of its own (the courier import: the push's
    ingest commits batch by batch, and SQLite has one writer at a time).
    An `async def` handler (public, transaction=False only) runs on the event loop and
    never takes a thread of the pool that phone pushes share (the login, see lane.py)."""
    assert transaction or access == "public"
    full = BASE + path

    def deco(fn: Callable[[Ctx], Response]) -> Callable:
        assert not inspect.iscoroutinefunction(fn) or (access == "public" and not transaction)
        async def endpoint(request: Request) -> Response:
            form: dict = {}
            files: dict = {}
            if method == "POST":
                try:
                    items = (await request.form()).items()
                    form = {k: v for k, v in items if isinstance(v, str)}
                    files = {k: await v.read() for k, v in items if isinstance(v, UploadFile)}
                except Exception:       # unreadable body: treated as an empty form (CSRF fails)
                    form, files = {}, {}
            if inspect.iscoroutinefunction(fn):     # holds no worker thread; see lane.py
                response = await fn(_bare_ctx(request, form))
            else:
                response = await run_in_threadpool(_run, request, form, fn, access, transaction, files,
                                                   own_writes)
            response.headers.update(_SECURITY_HEADERS)
            tiles = basemap.tile_origin(request.url.hostname)   # the office's own tile server, if any
            if tiles:
                response.headers["Content-Security-Policy"] = _SECURITY_HEADERS[
                    "Content-Security-Policy"].replace("img-src 'self' data:", f"img-src 'self' data: {tiles}")
            return response

        endpoint.__name__ = f"dashboard_{fn.__name__}"
        router.add_api_route(full, endpoint, methods=[method], include_in_schema=False)
        ACCESS[(method, full)] = access
        return fn
    return deco


def _bare_ctx(request: Request, form: dict) -> Ctx:
    """The context of an async public page: the engine as `conn`, no session, no transaction."""
    office = request.app.state.office
    return Ctx(request, office.engine, office.keys, norm_lang(request.cookies.get(LANG_COOKIE)), form,
               read_only=request.method == "GET")


def _run(request: Request, form: dict, fn: Callable, access: str, transaction: bool = True,
         files: dict | None = None, own_writes: bool = False) -> Response:
    """One page: GETs read in a lock-free transaction and append their audit entries (and a
    once-a-minute session touch) in a short writing one afterwards; POSTs write in one
    (unless `own_writes`: then they read like a GET and write on their own)."""
    office = request.app.state.office
    ctx = Ctx(request, None, office.keys, norm_lang(request.cookies.get(LANG_COOKIE)), form,
              read_only=request.method == "GET" or own_writes, files=files or {})
    if not transaction:
        ctx.conn = office.engine
        return fn(ctx)
    try:
        with (db.reading(office.engine) if ctx.read_only else office.engine.begin()) as conn:
            ctx.conn = conn
            if access != "public":
                token = request.cookies.get(auth.COOKIE)
                got = auth.session_lookup(conn, token)
                if got is None:
                    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    return RedirectResponse(f"{BASE}/login?next={quote(target)}", status_code=303)
                ctx.staff, ctx.csrf, stale = got
                if stale:
                    ctx.later.append(lambda c: auth.touch(c, token))
                if access == "admin" and ctx.staff["role"] != "admin":
                    raise Denied(request.url.path, "role")
                if request.method == "POST" and not auth.same(form.get("csrf"), ctx.csrf):
                    raise Denied(request.url.path, "csrf")
            response = fn(ctx)
        if ctx.later:
            with office.engine.begin() as conn:
                for write in ctx.later:
                    write(conn)
        return response
    except Denied as d:
        with office.engine.begin() as conn:
            audit.record(conn, "forbidden", staff=ctx.staff, ip=ctx.ip, target=(d.target or "")[:64],
                         detail={"reason": d.reason, "path": request.url.path[:200]})
        return error_page(ctx, 403, t("csrf" if d.reason == "csrf" else "forbidden", ctx.lang))
    except queries.FilterError as e:
        return error_page(ctx, 400, f"{t('bad_filter', ctx.lang)} — {e}")
    except NotFound as e:
        return error_page(ctx, 404, f"{t('not_found', ctx.lang)} {e.message}")
    except JagaError as e:
        return error_page(ctx, 400, e.message)


def _safe_next(value: str | None) -> str:
    if value and value.startswith(BASE) and "//" not in value and "\\" not in value:
        return value
    return BASE + "/"

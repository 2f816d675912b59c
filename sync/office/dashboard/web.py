"""HTML pages under /dashboard: thin handlers over the services, one transaction each.

Every page is declared with `page(method, path, access)`; ACCESS maps (method, path) to
"public" | "staff" | "admin" and the authorization tests iterate the app's route table
against it, so a new page cannot be added without an access level. Report pages also
check the staff member's region (403 page + audit entry when outside it).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote, urlencode

import forms
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from core.errors import AuthError, JagaError, NotFound
from sync.office.staff import ROLES as STAFF_ROLES, create_staff

from . import admin, audit, auth, charts, exports, indexer, queries, reports
from .i18n import CATEGORY_PMI, TRIAGE, URGENCY, VERDICT, label, norm_lang, t

BASE = "/dashboard"
HERE = Path(__file__).parent
ACCESS: dict[tuple[str, str], str] = {}
LANG_COOKIE = "jd_lang"
PAGE_SIZE = 50
router = APIRouter()
_env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True)
_CSS = (HERE / "static" / "dashboard.css").read_bytes()
_SECURITY_HEADERS = {
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
        nav_badge=_nav_badge(ctx), **values)
    return HTMLResponse(html, status_code=status)


def _nav_badge(ctx: Ctx) -> dict | None:
    """New signals and Darurat reports for the menu (signals_page.badge); None when signed out."""
    if not ctx.staff or ctx.conn is None or ctx.conn.closed:
        return None
    from .signals_page import badge
    return badge(ctx)


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


def page(method: str, path: str, access: str) -> Callable:
    full = BASE + path

    def deco(fn: Callable[[Ctx], Response]) -> Callable:
        async def endpoint(request: Request) -> Response:
            form: dict = {}
            if method == "POST":
                try:
                    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
                except Exception:       # unreadable body: treated as an empty form (CSRF fails)
                    form = {}
            response = await run_in_threadpool(_run, request, form, fn, access)
            response.headers.update(_SECURITY_HEADERS)
            return response

        endpoint.__name__ = f"dashboard_{fn.__name__}"
        router.add_api_route(full, endpoint, methods=[method], include_in_schema=False)
        ACCESS[(method, full)] = access
        return fn
    return deco


def _run(request: Request, form: dict, fn: Callable, access: str) -> Response:
    office = request.app.state.office
    ctx = Ctx(request, None, office.keys, norm_lang(request.cookies.get(LANG_COOKIE)), form)
    try:
        with office.engine.begin() as conn:
            ctx.conn = conn
            if access != "public":
                got = auth.session_staff(conn, request.cookies.get(auth.COOKIE))
                if got is None:
                    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    return RedirectResponse(f"{BASE}/login?next={quote(target)}", status_code=303)
                ctx.staff, ctx.csrf = got
                if access == "admin" and ctx.staff["role"] != "admin":
                    raise Denied(request.url.path, "role")
                if request.method == "POST" and not auth.same(form.get("csrf"), ctx.csrf):
                    raise Denied(request.url.path, "csrf")
            return fn(ctx)
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


def _report(ctx: Ctx) -> Any:
    """The envelope row named in the path, if this staff member may see its village."""
    row = reports.report_row(ctx.conn, ctx.path["report_id"])
    if not queries.may_see_village(ctx.conn, ctx.staff, row.village_id):
        raise Denied(row.id, "region")
    return row


def _safe_next(value: str | None) -> str:
    if value and value.startswith(BASE) and "//" not in value and "\\" not in value:
        return value
    return BASE + "/"


# --- public -------------------------------------------------------------------------------

@page("GET", "/static/dashboard.css", "public")
def css(ctx: Ctx) -> Response:
    return Response(_CSS, media_type="text/css", headers={"Cache-Control": "max-age=3600"})


@page("GET", "", "public")
def root(ctx: Ctx) -> Response:
    return RedirectResponse(BASE + "/", status_code=307)


@page("GET", "/lang", "public")
def switch_lang(ctx: Ctx) -> Response:
    resp = RedirectResponse(_safe_next(ctx.params.get("next")), status_code=303)
    resp.set_cookie(LANG_COOKIE, norm_lang(ctx.params.get("to")), max_age=365 * 86400,
                    httponly=True, samesite="strict", path="/")
    return resp


def _login_form(ctx: Ctx, status: int = 200, error: str | None = None) -> Response:
    token = ctx.request.cookies.get(auth.PRE_CSRF_COOKIE) or __import__("secrets").token_urlsafe(24)
    resp = render(ctx, "login.html", status=status, error=error, login_csrf=token,
                  next=_safe_next(ctx.params.get("next") or ctx.form.get("next")),
                  username=ctx.form.get("username", ""))
    resp.set_cookie(auth.PRE_CSRF_COOKIE, token, httponly=True, samesite="strict", path=BASE,
                    secure=ctx.request.url.scheme == "https")
    return resp


@page("GET", "/login", "public")
def login_page(ctx: Ctx) -> Response:
    return _login_form(ctx)


@page("POST", "/login", "public")
def login_submit(ctx: Ctx) -> Response:
    if not auth.same(ctx.form.get("csrf"), ctx.request.cookies.get(auth.PRE_CSRF_COOKIE)):
        audit.record(ctx.conn, "forbidden", username=ctx.form.get("username", "")[:100], ip=ctx.ip,
                     detail={"reason": "csrf", "path": ctx.request.url.path})
        return _login_form(ctx, 403, t("csrf", ctx.lang))
    username = ctx.form.get("username", "").strip()[:100]
    try:
        staff, token = auth.login(ctx.conn, username, ctx.form.get("password", ""))
    except auth.Locked:
        audit.record(ctx.conn, "login_locked", username=username, ip=ctx.ip)
        return _login_form(ctx, 429, t("locked", ctx.lang))
    except AuthError:
        audit.record(ctx.conn, "login_failed", username=username, ip=ctx.ip)
        return _login_form(ctx, 401, t("bad_login", ctx.lang))
    audit.record(ctx.conn, "login", staff=staff, ip=ctx.ip)
    resp = RedirectResponse(_safe_next(ctx.form.get("next")), status_code=303)
    resp.set_cookie(auth.COOKIE, token, httponly=True, samesite="strict", path="/",
                    secure=ctx.request.url.scheme == "https", max_age=int(auth.LIFETIME.total_seconds()))
    resp.delete_cookie(auth.PRE_CSRF_COOKIE, path=BASE)
    return resp


# --- staff ----------------------------------------------------------------------------------

@page("POST", "/logout", "staff")
def logout(ctx: Ctx) -> Response:
    auth.logout(ctx.conn, ctx.request.cookies.get(auth.COOKIE))
    ctx.audit("logout")
    resp = RedirectResponse(BASE + "/login", status_code=303)
    resp.delete_cookie(auth.COOKIE, path="/")
    return resp


def _filter_options(ctx: Ctx) -> dict:
    allowed = queries.visible_village_ids(ctx.conn, ctx.staff)
    villages = [v for v in admin.village_list(ctx.conn) if allowed is None or v["id"] in allowed]
    cats = dict(_form_choices("laporan_kecurigaan", "kategori", ctx.lang))
    cats[CATEGORY_PMI] = t("pmi", ctx.lang)
    return {"villages": villages, "forms": [(f.id, f.title(ctx.lang)) for f in forms.list_forms()],
            "categories": cats, "urgencies": {k: label(URGENCY, k, ctx.lang) for k in URGENCY},
            "triages": {k: label(TRIAGE, k, ctx.lang) for k in TRIAGE},
            "verdicts": {k: label(VERDICT, k, ctx.lang) for k in VERDICT}}


def _parse(ctx: Ctx) -> tuple[queries.Filters | None, str | None]:
    try:
        return queries.parse_filters(ctx.params), None
    except queries.FilterError as e:
        return None, f"{t('bad_filter', ctx.lang)} — {e}"


@page("GET", "/", "staff")
def inbox(ctx: Ctx) -> Response:
    remaining = indexer.catch_up(ctx.conn, ctx.keys)
    filters, error = _parse(ctx)
    rows, nxt = ([], None) if filters is None else queries.list_reports(
        ctx.conn, ctx.staff, filters, PAGE_SIZE, keys=ctx.keys)
    qs = urlencode(filters.query_items()) if filters else ""
    return render(ctx, "inbox.html", status=400 if error else 200, rows=rows, error=error,
                  p=ctx.params, qs=qs, remaining=remaining, forms_title=dict(_filter_options(ctx)["forms"]),
                  next_url=f"{BASE}/?{qs}&cursor={nxt}" if nxt else None,
                  first_url=f"{BASE}/?{qs}" if filters and filters.cursor else None,
                  **_filter_options(ctx))


@page("GET", "/overview", "staff")
def overview(ctx: Ctx) -> Response:
    indexer.catch_up(ctx.conn, ctx.keys)
    filters, error = _parse(ctx)
    if filters is None:
        return render(ctx, "overview.html", status=400, error=error, charts={}, map_svg="", p=ctx.params,
                      **_filter_options(ctx))
    lang = ctx.lang
    names = {v["id"]: v["name"] for v in admin.village_list(ctx.conn)}
    c = lambda col: queries.counts(ctx.conn, ctx.staff, filters, col, keys=ctx.keys)
    weeks = list(reversed(c("week")[:12]))
    charts_svg = {
        "by_week": charts.bars(weeks, t("by_week", lang)),
        "by_village": charts.bars([(names.get(k, str(k)), n) for k, n in c("village_id")], t("by_village", lang)),
        "by_category": charts.bars([(category_label(k, lang), n) for k, n in c("category")], t("by_category", lang)),
        "by_route": charts.bars([(route_label(k, lang), n) for k, n in c("route") if k], t("by_route", lang)),
    }
    pts = queries.points(ctx.conn, ctx.staff, filters, keys=ctx.keys)
    map_svg = charts.point_map(pts, t("map", lang), link=lambda p: f"{BASE}/reports/{p['envelope_id']}")
    return render(ctx, "overview.html", error=None, charts=charts_svg, map_svg=map_svg, n_points=len(pts),
                  p=ctx.params, **_filter_options(ctx))


@page("GET", "/export", "staff")
def export(ctx: Ctx) -> Response:
    fmt = ctx.params.get("format", "csv")
    if fmt not in exports.FORMATS:
        raise queries.FilterError(f"format: one of {', '.join(exports.FORMATS)}")
    indexer.catch_up(ctx.conn, ctx.keys)
    filters = queries.parse_filters(ctx.params)
    data = exports.rows(ctx.conn, ctx.keys, ctx.staff, filters)
    ctx.audit("export", target=fmt, detail={"filters": dict(filters.query_items()), "rows": len(data)})
    writer, media = exports.FORMATS[fmt]
    return Response(writer(data), media_type=media, headers={
        "Content-Disposition": f'attachment; filename="jaga-desa-laporan.{fmt}"'})


@page("GET", "/reports/{report_id}", "staff")
def report_detail(ctx: Ctx) -> Response:
    row = _report(ctx)
    d = reports.detail(ctx.conn, ctx.keys, row.id, ctx.lang)
    ctx.audit("view_report", target=row.id)
    gps_svg = charts.point_map([d["gps"]], t("location", ctx.lang), width=420, height=280,
                                css="map small") if d["gps"] else ""
    notice = {"triage": t("triage_saved", ctx.lang), "feedback": t("feedback_sent", ctx.lang)}.get(
        ctx.params.get("done", ""))
    return render(ctx, "detail.html", d=d, gps_svg=gps_svg, notice=notice,
                  assignees=reports.assignees(ctx.conn, row.village_id),
                  triages={k: label(TRIAGE, k, ctx.lang) for k in TRIAGE})


@page("GET", "/reports/{report_id}/photos/{att_id}", "staff")
def report_photo(ctx: Ctx) -> Response:
    row = _report(ctx)
    data, media = reports.photo(ctx.conn, ctx.keys, row.id, ctx.path["att_id"])
    ctx.audit("view_photo", target=row.id, detail={"att_id": ctx.path["att_id"][:32]})
    return Response(data, media_type=media)


@page("POST", "/reports/{report_id}/triage", "staff")
def report_triage(ctx: Ctx) -> Response:
    row = _report(ctx)
    reports.set_triage(ctx.conn, ctx.keys, ctx.staff, row.id, ctx.form.get("state", ""),
                       ctx.form.get("note", ""), ctx.form.get("assignee") or None)
    ctx.audit("triage", target=row.id, detail={"state": ctx.form.get("state"),
                                               "assignee": ctx.form.get("assignee") or None})
    return RedirectResponse(f"{BASE}/reports/{row.id}?done=triage", status_code=303)


@page("POST", "/reports/{report_id}/feedback", "staff")
def report_feedback(ctx: Ctx) -> Response:
    row = _report(ctx)
    fid = reports.send(ctx.conn, ctx.keys, ctx.staff, row.id, ctx.form.get("message", ""))
    ctx.audit("feedback", target=row.id, detail={"feedback_id": fid})
    return RedirectResponse(f"{BASE}/reports/{row.id}?done=feedback", status_code=303)


# --- admin ----------------------------------------------------------------------------------

@page("GET", "/admin/villages", "admin")
def villages_page(ctx: Ctx, notice: str | None = None, status: int = 200) -> Response:
    return render(ctx, "villages.html", status=status, villages=admin.village_list(ctx.conn), notice=notice)


@page("POST", "/admin/villages", "admin")
def villages_add(ctx: Ctx) -> Response:
    from sync.office import enrollment
    vid = enrollment.add_village(ctx.conn, ctx.form.get("name", "")[:200], ctx.form.get("region", "").strip()[:200] or None)
    ctx.audit("add_village", target=str(vid), detail={"name": ctx.form.get("name", "")[:200]})
    return RedirectResponse(f"{BASE}/admin/villages", status_code=303)


@page("GET", "/admin/enroll", "admin")
def enroll_page(ctx: Ctx) -> Response:
    return render(ctx, "enroll.html", villages=admin.village_list(ctx.conn), issued=None)


@page("POST", "/admin/enroll", "admin")
def enroll_issue(ctx: Ctx) -> Response:
    office_url = str(ctx.request.base_url).rstrip("/")
    out = admin.issue_code(ctx.conn, ctx.form.get("village", ""), ctx.form.get("role", ""),
                           ctx.form.get("name", "")[:200], office_url)
    ctx.audit("enroll_code", target=str(out["village_id"]), detail={"role": out["role"], "name": out["name"]})
    return render(ctx, "enroll.html", villages=admin.village_list(ctx.conn), issued=out)


@page("GET", "/admin/devices", "admin")
def devices_page(ctx: Ctx) -> Response:
    return render(ctx, "devices.html", devices=admin.device_list(ctx.conn))


@page("POST", "/admin/devices/{device_id}/revoke", "admin")
def device_revoke(ctx: Ctx) -> Response:
    admin.revoke_device(ctx.conn, ctx.path["device_id"])
    ctx.audit("revoke_device", target=ctx.path["device_id"][:64])
    return RedirectResponse(f"{BASE}/admin/devices", status_code=303)


@page("GET", "/admin/staff", "admin")
def staff_page(ctx: Ctx, token: str | None = None, token_for: str | None = None) -> Response:
    return render(ctx, "staff.html", members=admin.staff_list(ctx.conn), roles=STAFF_ROLES,
                  token=token, token_for=token_for)


@page("POST", "/admin/staff", "admin")
def staff_add(ctx: Ctx) -> Response:
    sid = create_staff(ctx.conn, ctx.form.get("username", "")[:100], ctx.form.get("password", ""),
                       ctx.form.get("role", ""), ctx.form.get("region", "").strip()[:200] or None)
    ctx.audit("add_staff", target=str(sid), detail={"username": ctx.form.get("username", "")[:100],
                                                    "role": ctx.form.get("role")})
    return RedirectResponse(f"{BASE}/admin/staff", status_code=303)


def _staff_id(ctx: Ctx) -> int:
    raw = ctx.path["staff_id"]
    if not raw.isdigit() or not any(m["id"] == int(raw) for m in admin.staff_list(ctx.conn)):
        raise NotFound("no such staff member")
    return int(raw)


@page("POST", "/admin/staff/{staff_id}/token", "admin")
def staff_token(ctx: Ctx) -> Response:
    sid = _staff_id(ctx)
    token = auth.issue_api_token(ctx.conn, sid, ctx.form.get("label", "partner"))
    ctx.audit("api_token", target=str(sid))
    name = next(m["username"] for m in admin.staff_list(ctx.conn) if m["id"] == sid)
    return staff_page(ctx, token=token, token_for=name)


@page("POST", "/admin/staff/{staff_id}/disable", "admin")
def staff_disable(ctx: Ctx) -> Response:
    sid = _staff_id(ctx)
    admin.disable_staff(ctx.conn, sid)
    ctx.audit("disable_staff", target=str(sid))
    return RedirectResponse(f"{BASE}/admin/staff", status_code=303)


@page("GET", "/admin/audit", "admin")
def audit_page(ctx: Ctx) -> Response:
    before = ctx.params.get("before", "")
    if before and not before.isdigit():
        raise queries.FilterError("before: expected an entry number")
    action = ctx.params.get("action") or None
    entries = audit.page(ctx.conn, int(before) if before else None, 100, action)
    more = f"{BASE}/admin/audit?" + urlencode({"before": entries[-1]["id"], **({"action": action} if action else {})}) \
        if len(entries) == 100 else None
    return render(ctx, "audit.html", entries=entries, more=more, actions=audit.ACTIONS, action=action)


from . import signals_page  # noqa: E402,F401 — registers the early-warning pages on this router

"""Public pages and the session: stylesheet, language switch, login, logout."""
from __future__ import annotations

import math
import secrets
from datetime import timedelta

from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from core.errors import AuthError

from .. import audit, auth, lane
from ..i18n import norm_lang, t
from ..web import _CSS, BASE, LANG_COOKIE, Ctx, _safe_next, page, render


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
    token = ctx.request.cookies.get(auth.PRE_CSRF_COOKIE) or secrets.token_urlsafe(24)
    resp = render(ctx, "login.html", status=status, error=error, login_csrf=token,
                  next=_safe_next(ctx.params.get("next") or ctx.form.get("next")),
                  username=ctx.form.get("username", ""))
    resp.set_cookie(auth.PRE_CSRF_COOKIE, token, httponly=True, samesite="strict", path=BASE,
                    secure=ctx.request.url.scheme == "https")
    return resp


@page("GET", "/login", "public", transaction=False)
async def login_page(ctx: Ctx) -> Response:
    """No database and no worker thread: a flood fetching the form costs the office little."""
    return _login_form(ctx)


@page("POST", "/login", "public", transaction=False)
async def login_submit(ctx: Ctx) -> Response:
    """ctx.conn is the engine here. The attempt itself (read, Argon2 with no transaction
    open, write — see auth.login) runs on the login lane's one thread, awaited without
    holding a thread of the pool phone pushes share; a boxed source or a full lane is
    refused at once from memory (429 + Retry-After)."""
    engine = ctx.conn
    username = ctx.form.get("username", "").strip()[:100]
    if not auth.same(ctx.form.get("csrf"), ctx.request.cookies.get(auth.PRE_CSRF_COOKIE)):
        await run_in_threadpool(_audit_csrf, engine, username, ctx.ip, ctx.request.url.path)
        return _login_form(ctx, 403, t("csrf", ctx.lang))
    boxed = auth.boxed(ctx.ip)
    if boxed > timedelta(0):                # known to be throttled: no thread, no query
        return await _throttled(ctx, username, boxed)
    try:
        staff, token = await lane.LOGIN.run(auth.login, engine, username, ctx.form.get("password", ""), ctx.ip)
    except lane.LaneFull:                   # enough attempts already waiting: do not queue more
        return await _throttled(ctx, username, auth.BUSY_RETRY)
    except auth.Throttled as e:
        return await _throttled(ctx, username, e.retry_after)
    except AuthError:                       # recorded and audited by auth.login
        return _login_form(ctx, 401, t("bad_login", ctx.lang))
    resp = RedirectResponse(_safe_next(ctx.form.get("next")), status_code=303)
    resp.set_cookie(auth.COOKIE, token, httponly=True, samesite="strict", path="/",
                    secure=ctx.request.url.scheme == "https", max_age=int(auth.LIFETIME.total_seconds()))
    resp.delete_cookie(auth.PRE_CSRF_COOKIE, path=BASE)
    return resp


def _audit_csrf(engine, username: str, ip: str | None, path: str) -> None:
    with engine.begin() as conn:
        audit.record(conn, "forbidden", username=username, ip=ip, detail={"reason": "csrf", "path": path})


async def _throttled(ctx: Ctx, username: str, retry_after: timedelta) -> Response:
    """429 with Retry-After (held a moment when refusals are many, see lane.Pace). The audit note (at most once a minute per source) is the only
    database work, and only when due: on the lane if it has room, else on the shared pool."""
    src = auth.source(ctx.ip)               # an IPv6 /64 is one source: one note, not one per address
    if audit.throttle_note_due(src):
        try:
            await lane.LOGIN.run(audit.record_throttled, ctx.conn, username, src)
        except lane.LaneFull:
            await run_in_threadpool(audit.record_throttled, ctx.conn, username, src)
    wait = max(1, math.ceil(retry_after.total_seconds()))
    await lane.REFUSALS.refuse(wait)        # a flood's refusals go out no faster than it is told to retry
    resp = _login_form(ctx, 429, f"{t('locked', ctx.lang)} {wait}")
    resp.headers["Retry-After"] = str(wait)
    return resp


@page("POST", "/logout", "staff")
def logout(ctx: Ctx) -> Response:
    auth.logout(ctx.conn, ctx.request.cookies.get(auth.COOKIE))
    ctx.audit("logout")
    resp = RedirectResponse(BASE + "/login", status_code=303)
    resp.delete_cookie(auth.COOKIE, path="/")
    return resp

"""Partner JSON API under /api/v1/partner: the inbox's filtered data for other systems.

Authenticated by a staff API token (`Authorization: Bearer jdp_...`, issued by an admin)
or by a dashboard session cookie; the same region scoping as the pages applies.
Errors are the office's usual `{"code", "message"}` bodies.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from core.errors import NotFound
from office import db

from . import audit, auth, queries, reports

PREFIX = "/api/v1/partner"
ACCESS: dict[tuple[str, str], str] = {}
router = APIRouter(prefix=PREFIX, tags=["partner"])
_bearer = HTTPBearer(auto_error=False, description="a staff API token (jdp_...) issued by an office admin")
_cookie = APIKeyCookie(name=auth.COOKIE, auto_error=False, description="a dashboard session")


class ReportItem(BaseModel):
    envelope_id: str
    received_at: str
    phone_time: str
    village_id: int
    village: str | None
    form_id: str
    category: str | None
    urgency: str | None
    urgent: bool
    children: bool
    route: str | None
    triage: str
    has_photo: bool
    verdict: str | None
    lat: float | None
    lon: float | None
    decrypted: bool


class ReportPage(BaseModel):
    items: list[ReportItem]
    next_cursor: str | None


class ReportDetail(ReportItem):
    form_version: int
    answers: dict
    summary: list[tuple[str, str]]
    rahasia: bool
    complete: bool


def staff_caller(request: Request,
                 bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
                 cookie: Annotated[str | None, Depends(_cookie)]) -> dict:
    with db.reading(request.app.state.office.engine) as conn:
        staff = auth.api_token_lookup(conn, bearer.credentials) if bearer else None
        if staff is None and cookie:
            got = auth.session_lookup(conn, cookie)
            staff = got[0] if got else None
    if staff is None:
        raise HTTPException(401, "a staff API token or dashboard session is required")
    return staff


StaffDep = Annotated[dict, Depends(staff_caller)]


def _used(conn, staff: dict) -> None:
    if staff.get("token_id"):
        auth.touch_token(conn, staff["token_id"])


def _via(staff: dict) -> dict:
    return {"token": staff["token_id"]} if staff.get("token_id") else {}


def _item(r: dict) -> dict:
    return {"envelope_id": r["envelope_id"], "received_at": r["received_at"],
            "phone_time": reports.ms_iso(r["created_ms"]), "village_id": r["village_id"],
            "village": r.get("village_name"), "form_id": r["form_id"], "category": r["category"],
            "urgency": r["urgency"], "urgent": bool(r["urgent"]), "children": bool(r["children"]),
            "route": r["route"], "triage": r["triage"], "has_photo": bool(r["has_photo"]),
            "verdict": r.get("verdict"), "lat": r["lat"], "lon": r["lon"], "decrypted": bool(r["opened"])}


def _route(method: str, path: str, access: str, **kw):
    def deco(fn):
        router.add_api_route(path, fn, methods=[method], **kw)
        ACCESS[(method, PREFIX + path)] = access
        return fn
    return deco


@_route("GET", "/reports", "staff", response_model=ReportPage,
        summary="Filtered reports, newest first (keyset paged)")
def list_reports(request: Request, staff: StaffDep,
                 form: str | None = None, village: str | None = None, category: str | None = None,
                 urgency: str | None = None, triage: str | None = None, date_from: str | None = None,
                 date_to: str | None = None, has_photo: str | None = None, verdict: str | None = None,
                 children: str | None = None, q: str | None = None, cursor: str | None = None,
                 limit: Annotated[int, Query(ge=1, le=queries.MAX_LIMIT)] = 100) -> dict:
    office = request.app.state.office
    try:
        filters = queries.parse_filters(request.query_params)
    except queries.FilterError as e:
        raise HTTPException(422, str(e)) from None
    scope = staff.get("scope")
    if filters.q and scope and not scope.get("free_text"):
        # The search index holds every word of every text answer: which reports a word finds
        # is that text, read one guess at a time (test_redteam_round3.py).
        with office.engine.begin() as conn:
            audit.record(conn, "forbidden", staff=staff, ip=request.client.host if request.client else None,
                         detail={"reason": "free_text", "path": request.url.path[:200]})
        raise HTTPException(403, "searching reads free text: this token has no free-text grant")
    with db.reading(office.engine) as conn:
        rows, nxt = queries.list_reports(conn, staff, filters, limit, keys=office.keys)
    with office.engine.begin() as conn:
        _used(conn, staff)
        audit.record(conn, "api_list", staff=staff, ip=request.client.host if request.client else None,
                     detail={"filters": audit.filters_detail(office.keys, filters), "rows": len(rows),
                             **_via(staff)})
    return {"items": [_item(r) for r in rows], "next_cursor": nxt}


@_route("GET", "/reports/{report_id}", "staff", response_model=ReportDetail,
        summary="One report with its answers (opened with the office key)")
def get_report(request: Request, staff: StaffDep, report_id: str) -> dict:
    office = request.app.state.office
    ip = request.client.host if request.client else None
    with db.reading(office.engine) as conn:
        try:
            row = reports.report_row(conn, report_id)
        except NotFound:
            raise HTTPException(404, "no such report") from None
        scope = staff.get("scope")
        if scope and row.rahasia and not scope.get("rahasia"):
            raise HTTPException(404, "no such report")       # outside the token's scope: not even its existence
        allowed = queries.may_see_village(conn, staff, row.village_id)
        if allowed:
            d = reports.detail(conn, office.keys, row.id, "en")
            proj = reports.ensure_indexed(conn, office.keys, row, write=False)
            if scope:
                d = reports.without_voice(d, row.form_id, row.form_version, "en")
            if scope and not scope.get("free_text"):
                d = reports.without_free_text(d, row.form_id, row.form_version, "en")
    if allowed:
        with office.engine.begin() as conn:
            _used(conn, staff)
            audit.record(conn, "view_report", staff=staff, ip=ip, target=row.id, detail={"via": "api", **_via(staff)})
    else:
        with office.engine.begin() as conn:
            audit.record(conn, "forbidden", staff=staff, ip=ip, target=row.id,
                         detail={"reason": "region", "path": request.url.path[:200]})
        raise HTTPException(403, "this report is outside your region")
    gps = d.get("gps") or {}
    item = _item({**proj, "village_name": d["village"], "verdict": d["verdict"],
                  "lat": gps.get("lat"), "lon": gps.get("lon")})
    return {**item, "form_version": d["form_version"], "answers": d["answers"],
            "summary": [list(p) for p in d["summary"]], "rahasia": d["rahasia"], "complete": d["complete"]}

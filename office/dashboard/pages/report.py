"""One report: detail, photos, triage and feedback, each checked against the staff member's region."""
from __future__ import annotations

import re
from typing import Any

from fastapi.responses import RedirectResponse, Response

from core.errors import NotFound

from .. import audit, basemap, mapview, queries, reclassify, reports
from ..i18n import TRIAGE, label, t
from ..web import BASE, Ctx, Denied, page, render


def _report(ctx: Ctx) -> Any:
    """The envelope row named in the path, if this staff member may see its village."""
    row = reports.report_row(ctx.conn, ctx.path["report_id"])
    if not queries.may_see_village(ctx.conn, ctx.staff, row.village_id):
        raise Denied(row.id, "region")
    return row


@page("GET", "/reports/{report_id}", "staff")
def report_detail(ctx: Ctx) -> Response:
    row = _report(ctx)
    d = reports.detail(ctx.conn, ctx.keys, row.id, ctx.lang)
    ctx.audit("view_report", target=row.id)
    gps_svg = mapview.render([d["gps"]], t("location", ctx.lang), ctx.lang, width=480, height=320,
                             css="map small", anchor="gps", tile_url=basemap.tile_url(ctx.request.url.hostname),
                             label=lambda p: f'{p["lat"]:.5f}, {p["lon"]:.5f}').svg if d["gps"] else ""
    notice = {"triage": t("triage_saved", ctx.lang), "feedback": t("feedback_sent", ctx.lang),
              "ack": t("ack_done", ctx.lang), "rahasia": t("rahasia_saved", ctx.lang)}.get(
        ctx.params.get("done", ""))
    return render(ctx, "detail.html", d=d, gps_svg=gps_svg, notice=notice,
                  assignees=reports.assignees(ctx.conn, row.village_id),
                  triages={k: label(TRIAGE, k, ctx.lang) for k in TRIAGE})


@page("GET", "/reports/{report_id}/photos/{att_id}", "staff")
def report_photo(ctx: Ctx) -> Response:
    row = _report(ctx)
    data, media = reports.photo(ctx.conn, ctx.keys, row.id, ctx.path["att_id"])
    if media == "audio/ogg":       # a voice note has its own door and its own audit action
        raise NotFound("no such photo")
    ctx.audit("view_photo", target=row.id, detail={"att_id": ctx.path["att_id"][:32]})
    return Response(data, media_type=media)


@page("GET", "/reports/{report_id}/voice/{att_id}", "staff")
def report_voice(ctx: Ctx) -> Response:
    """A voice note for the page's <audio>: the same region check and audit as a photo, its
    own audit action, and only an Ogg Opus is ever served here (never a photo by another door)."""
    row = _report(ctx)
    data, media = reports.photo(ctx.conn, ctx.keys, row.id, ctx.path["att_id"])
    if media != "audio/ogg":
        raise NotFound("no such voice note")
    span = _byte_range(ctx.request.headers.get("range"), len(data))
    att = ctx.path["att_id"]
    # one play, one entry: a read from the start is a play; a later range read (the browser's
    # seek to the last page) is not another, unless no play of this note was audited just before
    if span is None or span[0] == 0 or not audit.play_noted(ctx.conn, ctx.staff, row.id, att):
        ctx.audit("play_voice", target=row.id, detail={"att_id": att[:32]})
    if span is None:
        return Response(data, media_type=media, headers={"Accept-Ranges": "bytes"})
    start, end = span
    return Response(data[start:end + 1], status_code=206, media_type=media,
                    headers={"Accept-Ranges": "bytes", "Content-Range": f"bytes {start}-{end}/{len(data)}"})


# ASCII digits only, and few of them: str.isdigit() takes "²" (int() then raises) and int()
# refuses more than 4300 digits; either was a 500 (tests/adversarial/test_redteam_round4.py).
_RANGE = re.compile(r"bytes=([0-9]{0,15})-([0-9]{0,15})", re.ASCII)


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """One `bytes=a-b` / `bytes=a-` / `bytes=-n` range, clamped; None for none or anything else
    (the whole note). An Ogg's length is in its last page: without ranges Chromium shows it as
    infinite and cannot seek."""
    m = _RANGE.fullmatch(header.strip()) if header else None
    if m is None or not (m[1] or m[2]) or size == 0:
        return None
    first, last = m[1], m[2]
    if not first:
        start, end = max(0, size - int(last)), size - 1
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    return (start, end) if start <= end else None


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
    kind = ctx.form.get("kind") or None
    fid = reports.send(ctx.conn, ctx.keys, ctx.staff, row.id, ctx.form.get("message", ""), kind=kind)
    ctx.audit("feedback", target=row.id, detail={"feedback_id": fid, "kind": kind})
    return RedirectResponse(f"{BASE}/reports/{row.id}?done=feedback", status_code=303)


@page("POST", "/reports/{report_id}/rahasia", "staff")
def report_rahasia(ctx: Ctx) -> Response:
    """Mark the report rahasia (any staff member who sees it) or take the mark off (admins)."""
    row = _report(ctx)
    rahasia = ctx.form.get("rahasia") != "0"
    if not rahasia and ctx.staff["role"] != "admin":
        raise Denied(row.id, "role")
    if reclassify.set_rahasia(ctx.conn, ctx.keys, ctx.staff, row.id, rahasia, ctx.form.get("note", "")):
        ctx.audit("reclassify", target=row.id, detail={"rahasia": rahasia})
    return RedirectResponse(f"{BASE}/reports/{row.id}?done=rahasia", status_code=303)

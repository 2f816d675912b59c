"""The signals page: every lead the early-warning rules raised, with the reports behind it
(region scope applied), its plain explanation and the analyst's actions — all audited."""
from __future__ import annotations

from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from core.errors import BadRequest
from office import warning
from office.warning import review

from .. import queries
from ..web import BASE, Ctx, Denied, nav_badge, page, render

TEXTS = {
    "signals": ("Sinyal peringatan dini", "Early-warning signals"),
    "lead": warning.LEAD_NOT_ACCUSATION,
    "none": ("Belum ada sinyal.", "No signals yet."),
    "reports": ("Laporan", "Reports"), "villages": ("Desa", "Villages"), "status": ("Status", "Status"),
    "hidden": ("laporan lain di luar wilayah Anda", "more report(s) outside your region"),
    "confirm": ("Benarkan", "Confirm"), "dismiss": ("Abaikan", "Dismiss"), "reopen": ("Buka lagi", "Reopen"),
    "reason": ("Alasan diabaikan", "Reason for dismissing"), "assign": ("Tugaskan ke", "Assign to"),
    "nobody": ("(tidak ada)", "(nobody)"), "save": ("Simpan", "Save"),
    "new": ("Baru", "New"), "confirmed": ("Dibenarkan", "Confirmed"), "dismissed": ("Diabaikan", "Dismissed"),
    "all": ("Semua", "All"), "darurat": ("laporan darurat baru", "new emergency reports"),
}


def _t(key: str, lang: str) -> str:
    pair = TEXTS[key]
    return pair[1] if lang == "en" else pair[0]


@nav_badge
def badge(ctx: Ctx) -> dict:
    """New signals and new Darurat reports this staff member may see (shown in the menu)."""
    from .. import emergency
    allowed = queries.visible_village_ids(ctx.conn, ctx.staff)
    return {"signals": review.new_count(ctx.conn, allowed), "darurat": emergency.open_count(ctx.conn, ctx.staff),
            "label": _t("signals", ctx.lang), "darurat_label": _t("darurat", ctx.lang),
            "alerts_label": "Peringatan ke desa" if ctx.lang != "en" else "Alerts to villages"}


def _staff_list(ctx: Ctx) -> list[dict]:
    from office.schema import staff
    return [dict(r) for r in ctx.conn.execute(select(staff.c.id, staff.c.username)
                                              .where(staff.c.disabled_at.is_(None)).order_by(staff.c.username)).mappings()]


@page("GET", "/signals", "staff")
def signals(ctx: Ctx) -> Response:
    status = ctx.params.get("status") or None
    if status not in (None, *review.STATUSES):
        raise BadRequest(f"unknown status {status!r}")
    allowed = queries.visible_village_ids(ctx.conn, ctx.staff)
    rows = review.visible(ctx.conn, allowed, status, ctx.lang)
    ctx.audit("view_signals", detail={"status": status, "signals": len(rows)})
    return render(ctx, "signals.html", signals=rows, current=status, statuses=review.STATUSES,
                  tx=lambda k: _t(k, ctx.lang), staff_list=_staff_list(ctx))


@page("POST", "/signals/{signal_id}", "staff")
def signal_action(ctx: Ctx) -> Response:
    sid = queries.parse_id(ctx.path["signal_id"], "signal")
    allowed = queries.visible_village_ids(ctx.conn, ctx.staff)
    if not review.in_scope(ctx.conn, sid, allowed):

        raise Denied(f"signal:{sid}", "region")
    action = ctx.form.get("action", "")
    assignee = ctx.form.get("assignee") or None
    change = review.act(ctx.conn, sid, action, reason=ctx.form.get("reason", ""),
                        assignee_id=queries.parse_id(assignee, "assignee") if assignee else None)
    ctx.audit("signal", target=f"signal:{sid}", detail={"action": action, **change})
    return RedirectResponse(f"{BASE}/signals", status_code=303)

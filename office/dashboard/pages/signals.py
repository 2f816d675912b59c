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
    "matched": ("Yang cocok", "What matched"), "strength": ("Kekuatan", "Strength"),
    "matched_hidden": ("Nilai yang cocok hanya terlihat oleh petugas yang berwenang atas semua wilayah sinyal ini.",
                       "What matched is shown only to staff allowed in every region of this signal."),
    "shared": ("Sinyal ini juga memuat laporan wilayah lain: tindakan hanya oleh petugas yang berwenang atas semua "
               "wilayahnya (atau admin).",
               "This signal also holds other regions' reports: only staff allowed in all its regions (or an admin) "
               "can act on it."),
    "next_steps": ("Langkah berikutnya", "Next steps"),
    "alert_villages": ("Kirim peringatan ke desa-desa ini", "Alert these villages"),
    "see_map": ("Lihat di peta", "See on the map"), "refer": ("Rujuk ke instansi (tier C)", "Refer to an agency (tier C)"),
    "more": ("laporan lain dalam sinyal ini", "more report(s) in this signal"),
    "page": ("Halaman", "Page"), "prev": ("Sebelumnya", "Previous"), "next": ("Berikutnya", "Next"),
    "ranked": ("{n} sinyal, yang terkuat dan terbaru di atas.", "{n} signals, strongest and most recent first."),
    "kind_phone": ("Nomor HP", "Phone number"), "kind_handle": ("Akun media sosial", "Social-media account"),
    "kind_plate": ("Pelat", "Plate"), "kind_boat": ("Kapal", "Boat"), "kind_name": ("Nama", "Name"),
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
    raw_page = ctx.params.get("page") or "1"
    # ASCII and short: isdigit() admits "²" and int() refuses 4300+ digits (both were a 500)
    if not (raw_page.isascii() and raw_page.isdigit() and len(raw_page) <= 6) or not 1 <= int(raw_page) <= 100_000:
        raise BadRequest("page must be a whole number from 1")
    page_no = int(raw_page)
    allowed = queries.visible_village_ids(ctx.conn, ctx.staff)
    rows, total = review.visible(ctx.conn, allowed, status, ctx.lang, page=page_no, keys=ctx.keys)
    pages = max((total + review.PAGE_SIZE - 1) // review.PAGE_SIZE, 1)
    ctx.audit("view_signals", detail={"status": status, "page": page_no, "shown": [r["id"] for r in rows]})
    return render(ctx, "signals.html", signals=rows, current=status, statuses=review.STATUSES,
                  tx=lambda k: _t(k, ctx.lang), staff_list=_staff_list(ctx), total=total, page_no=page_no,
                  pages=pages, ranked=_t("ranked", ctx.lang).format(n=total), is_admin=ctx.staff["role"] == "admin")


@page("POST", "/signals/{signal_id}", "staff")
def signal_action(ctx: Ctx) -> Response:
    sid = queries.parse_id(ctx.path["signal_id"], "signal")
    allowed = queries.visible_village_ids(ctx.conn, ctx.staff)
    if not review.wholly_in_scope(ctx.conn, sid, allowed) or not review.in_scope(ctx.conn, sid, None):
        raise Denied(f"signal:{sid}", "region")
    action = ctx.form.get("action", "")
    assignee = ctx.form.get("assignee") or None
    change = review.act(ctx.conn, sid, action, reason=ctx.form.get("reason", ""),
                        assignee_id=queries.parse_id(assignee, "assignee") if assignee else None)
    ctx.audit("signal", target=f"signal:{sid}", detail={"action": action, **change})
    return RedirectResponse(f"{BASE}/signals", status_code=303)

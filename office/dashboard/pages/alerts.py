"""Alerts to villages: staff write one general warning and pick villages (within their
region) and who gets it; each phone receives its own signed copy (warning.alerts)."""
from __future__ import annotations

from fastapi.responses import Response

from core.errors import BadRequest
from office.warning import alerts

from .. import admin, queries
from ..web import Ctx, Denied, page, render

TEXTS = {
    "alerts": ("Peringatan ke desa", "Alerts to villages"),
    "intro": ("Pesan umum untuk kepala desa dan/atau relawan desa yang dipilih. Jangan menyebut pelapor, "
              "isi laporan, atau orang tertentu: peringatan ini terlihat oleh semua penerimanya.",
              "A general message to the heads and/or volunteers of the chosen villages. Never name a reporter, "
              "a report's content or a particular person: every recipient sees it."),
    "message": ("Pesan (paling banyak 500 karakter)", "Message (at most 500 characters)"),
    "villages": ("Desa", "Villages"), "to": ("Untuk", "To"),
    "head": ("Kepala desa", "Village heads"), "volunteer": ("Relawan", "Volunteers"),
    "send": ("Kirim peringatan", "Send alert"),
    "sent": ("Peringatan dikirim ke {n} orang; sampai di ponsel pada sinkron berikutnya.",
             "Alert queued for {n} people; it reaches their phones at their next sync."),
}


def _t(key: str, lang: str, **kw) -> str:
    text = TEXTS[key][1 if lang == "en" else 0]
    return text.format(**kw) if kw else text


def _villages(ctx: Ctx) -> list[dict]:
    allowed = queries.visible_village_ids(ctx.conn, ctx.staff)
    return [v for v in admin.village_list(ctx.conn) if allowed is None or v["id"] in allowed]


def _page(ctx: Ctx, notice: str | None = None, status: int = 200) -> Response:
    # ?villages=1,2 (the signals page's "alert these villages") ticks them in advance
    chosen = {int(v) for v in (ctx.params.get("villages") or "").split(",")[:200] if v.isascii() and v.isdigit() and len(v) <= 12}
    return render(ctx, "alerts.html", status=status, villages=_villages(ctx), notice=notice,
                  tx=lambda k: _t(k, ctx.lang), roles=alerts.ROLES, chosen=chosen)


@page("GET", "/alerts", "staff")
def alerts_page(ctx: Ctx) -> Response:
    return _page(ctx)


@page("POST", "/alerts", "staff")
def alerts_send(ctx: Ctx) -> Response:
    mine = {v["id"] for v in _villages(ctx)}
    chosen = []
    for key in ctx.form:
        if key.startswith("village_"):
            try:
                vid = int(key.removeprefix("village_"))
            except ValueError:
                raise BadRequest("bad village") from None
            if vid not in mine:
                raise Denied(f"village:{vid}", "region")
            chosen.append(vid)
    roles = tuple(r for r in alerts.ROLES if ctx.form.get(f"role_{r}"))
    n = alerts.send_alert(ctx.conn, ctx.keys, sorted(chosen), ctx.form.get("message", ""), roles)
    ctx.audit("alert", target=",".join(map(str, sorted(chosen)))[:64],
              detail={"villages": sorted(chosen), "roles": list(roles), "recipients": n})
    return _page(ctx, notice=_t("sent", ctx.lang, n=n))

"""/dashboard/admin/handover: an admin makes a signed hand-over package (issue 14).

Thin over office.handover.export: the page collects tier, period, recipient, and for
tier C the report ids and the reason; the package is built in a temp dir and sent as a
download. export() writes the audit entry (tier, recipient, rows) itself.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from datetime import date
from pathlib import Path

from fastapi.responses import Response
from sqlalchemy import desc, select

from core.errors import JagaError
from office.handover import HandoverError, Period, export
from office.handover.package import fingerprint

from ..schema import dash_audit
from ..web import Ctx, page, render

TEXTS = {
    "title": ("Serah terima data (Satu Data)", "Data hand-over (One Data)"),
    "intro": ("Paket data bertanda tangan untuk instansi mitra: tingkat A (agregat), B (pseudonim), "
              "C (rujukan lengkap laporan terpilih).",
              "Signed data packages for partner agencies: tier A (aggregate), B (pseudonymised), "
              "C (full referral of chosen reports)."),
    "tier": ("Tingkat keterbukaan", "Disclosure tier"),
    "tier_A": ("A — agregat (sel < k disembunyikan)", "A — aggregate (cells below k suppressed)"),
    "tier_B": ("B — tingkat kasus, pseudonim", "B — case level, pseudonymised"),
    "tier_C": ("C — rujukan lengkap ke satu instansi", "C — full referral to one agency"),
    "from": ("Diterima sejak (tanggal)", "Received from (date)"),
    "to": ("Diterima sampai (tanggal)", "Received until (date)"),
    "recipient": ("Instansi penerima", "Recipient agency"),
    "k": ("Ambang k (tingkat A)", "Threshold k (tier A)"),
    "rahasia": ("Sertakan laporan rahasia (A/B)", "Include rahasia reports (A/B)"),
    "ids": ("ID laporan (tingkat C, satu per baris)", "Report ids (tier C, one per line)"),
    "reason": ("Alasan rujukan (tingkat C)", "Reason for the referral (tier C)"),
    "make": ("Buat paket", "Make the package"),
    "fingerprint": ("Sidik kunci kantor (berikan ke penerima lewat jalur lain)",
                    "Office key fingerprint (give it to recipients out of band)"),
    "recent": ("Ekspor terakhir", "Recent exports"),
    "when": ("Waktu (UTC)", "Time (UTC)"), "who": ("Oleh", "By"), "rows": ("Baris", "Rows"),
}
_ID = re.compile(r"^[0-9a-fA-F-]{36}$")


def _h(lang: str):
    return lambda key: TEXTS[key][1 if lang == "en" else 0]


def _recent(ctx: Ctx) -> list[dict]:
    q = (select(dash_audit).where(dash_audit.c.action == "handover_export")
         .order_by(desc(dash_audit.c.id)).limit(20))
    out = []
    for r in ctx.conn.execute(q).mappings():
        d = json.loads(r["detail"] or "{}")
        out.append({"at": r["at"], "who": r["username"], "tier": d.get("tier"), "recipient": d.get("recipient"),
                    "rows": d.get("rows"), "period": " – ".join(d.get("period") or [])})
    return out


def _form(ctx: Ctx, status: int = 200, error: str | None = None) -> Response:
    return render(ctx, "handover.html", status=status, h=_h(ctx.lang), error=error, values=ctx.form,
                  fingerprint=fingerprint(ctx.keys.ed25519_public), recent=_recent(ctx))


@page("GET", "/admin/handover", "admin")
def handover_page(ctx: Ctx) -> Response:
    ctx.audit("view_handover")         # the hand-over history: who gave what to whom
    return _form(ctx)


@page("POST", "/admin/handover", "admin")
def handover_make(ctx: Ctx) -> Response:
    f = ctx.form
    try:
        tier = f.get("tier", "")
        ids = [x.strip() for x in f.get("ids", "").split() if x.strip()]
        if any(not _ID.match(x) for x in ids):
            raise HandoverError("a report id is not a UUID")
        try:
            start = date.fromisoformat(f.get("from") or "2000-01-01")
            end = date.fromisoformat(f.get("to") or date.today().isoformat())
            k = int(f.get("k") or 11)
        except ValueError:
            raise HandoverError("dates are YYYY-MM-DD and k is a whole number") from None
        with tempfile.TemporaryDirectory(prefix="jaga-dash-handover-") as tmp:
            out = Path(tmp) / "package.zip"
            summary = export(ctx.conn, ctx.keys, tier=tier, period=Period(start, end), out=out,
                             producer=os.environ.get("JAGA_OFFICE_NAME", "Kantor Imigrasi"),
                             recipient=f.get("recipient", "")[:100] or None, reason=f.get("reason", "")[:500] or None,
                             report_ids=ids or None, include_rahasia=f.get("rahasia") == "1", k=k,
                             staff=ctx.staff)
            body = out.read_bytes()
    except JagaError as e:
        return _form(ctx, 422, e.message)
    name = f"jaga-desa-tier-{summary['tier'].lower()}-{start}-{end}.zip"
    return Response(body, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})

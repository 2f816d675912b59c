"""/dashboard/admin/handover: an admin makes a signed hand-over package (issue 14).

Thin over office.handover.export: the page collects tier, period, recipient, and for
tier C the reports and the reason; the package is built in a temp dir and sent as a
download. export() writes the audit entry (tier, recipient, rows) itself.

Tier C reports are chosen in the inbox (its "Rujuk" checkboxes open this page with
`?ref=<id>&ref=…`), never typed: the inbox shows 8 characters of an id (issue 24.7).
Refusals are shown in the reader's language (HandoverError.text), with a link to the
Villages page when a village lacks its Kemendagri code.
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
import forms
from office.handover import HandoverError, Period, RegionCodeMissing, export
from office.handover.package import fingerprint
from office.schema import villages

from ..schema import dash_audit, dash_reports
from ..web import BASE, Ctx, page, render

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
    "chosen": ("Laporan terpilih untuk rujukan (tingkat C)", "Reports chosen for the referral (tier C)"),
    "choose_hint": ("Pilih laporan di Kotak masuk (kotak centang \u201cRujuk\u201d), lalu \u201cRujuk terpilih\u201d.",
                    "Choose reports in the Inbox (the \u201cRefer\u201d checkboxes), then \u201cRefer chosen\u201d."),
    "received": ("Diterima", "Received"), "village": ("Desa", "Village"), "form": ("Jenis", "Form"),
    "set_codes": ("Tetapkan kode desa di halaman Desa", "Set village codes on the Villages page"),
    "reason": ("Alasan rujukan (tingkat C)", "Reason for the referral (tier C)"),
    "make": ("Buat paket", "Make the package"),
    "fingerprint": ("Sidik kunci kantor (berikan ke penerima lewat jalur lain)",
                    "Office key fingerprint (give it to recipients out of band)"),
    "recent": ("Ekspor terakhir", "Recent exports"),
    "when": ("Waktu", "Time"), "who": ("Oleh", "By"), "rows": ("Baris", "Rows"),
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


def _chosen(ctx: Ctx, ids: list[str]) -> list[dict]:
    """The inbox's picks, as the admin knows them: received, village, form, category."""
    if not ids:
        return []
    q = (select(dash_reports.c.envelope_id, dash_reports.c.received_at, dash_reports.c.form_id,
                dash_reports.c.category, villages.c.name.label("village"))
         .join(villages, villages.c.id == dash_reports.c.village_id)
         .where(dash_reports.c.envelope_id.in_(ids)).order_by(dash_reports.c.received_at))
    return [dict(r) for r in ctx.conn.execute(q).mappings()]


def _form(ctx: Ctx, status: int = 200, error: str | None = None, values: dict | None = None,
          error_link: str | None = None) -> Response:
    values = dict(ctx.form if values is None else values)
    if not values:      # a GET may carry tier and ids (the signals page's "refer as tier C" link)
        values = {k: ctx.params.get(k, "")[:4000] for k in ("tier", "ids") if ctx.params.get(k)}
    ids = [x for x in values.get("ids", "").split() if _ID.match(x)]
    return render(ctx, "handover.html", status=status, h=_h(ctx.lang), error=error, values=values,
                  error_link=error_link, chosen=_chosen(ctx, ids), forms_title={
                      f.id: f.title(ctx.lang) for f in forms.list_forms()},
                  fingerprint=fingerprint(ctx.keys.x25519_public, ctx.keys.ed25519_public), recent=_recent(ctx))


@page("GET", "/admin/handover", "admin")
def handover_page(ctx: Ctx) -> Response:
    ctx.audit("view_handover")         # the hand-over history: who gave what to whom
    refs = [x for x in ctx.params.getlist("ref") if _ID.match(x)][:500]
    if refs:
        return _form(ctx, values={"tier": "C", "ids": "\n".join(dict.fromkeys(refs))})
    return _form(ctx)


@page("POST", "/admin/handover", "admin")
def handover_make(ctx: Ctx) -> Response:
    f = ctx.form
    try:
        tier = f.get("tier", "")
        ids = [x.strip() for x in f.get("ids", "").split() if x.strip()]
        if any(not _ID.match(x) for x in ids):
            raise HandoverError("a report id is not a UUID", "ID laporan tidak dikenali")
        if tier in ("A", "B") and not (f.get("from") and f.get("to")):
            raise HandoverError(f"tier {tier} needs the first and last day",
                                f"tingkat {tier} perlu tanggal awal dan akhir")
        try:
            start = date.fromisoformat(f.get("from") or "2000-01-01")
            end = date.fromisoformat(f.get("to") or date.today().isoformat())
            k = int(f.get("k") or 11)
        except ValueError:
            raise HandoverError("dates are YYYY-MM-DD and k is a whole number",
                                "tanggal ditulis TTTT-BB-HH dan k bilangan bulat") from None
        with tempfile.TemporaryDirectory(prefix="jaga-dash-handover-") as tmp:
            out = Path(tmp) / "package.zip"
            summary = export(ctx.conn, ctx.keys, tier=tier, period=Period(start, end), out=out,
                             producer=os.environ.get("JAGA_OFFICE_NAME", "Kantor Imigrasi"),
                             recipient=f.get("recipient", "")[:100] or None, reason=f.get("reason", "")[:500] or None,
                             report_ids=ids or None, include_rahasia=f.get("rahasia") == "1", k=k,
                             staff=ctx.staff)
            body = out.read_bytes()
    except RegionCodeMissing as e:
        return _form(ctx, 422, e.text(ctx.lang), error_link=f"{BASE}/admin/villages")
    except HandoverError as e:
        return _form(ctx, 422, e.text(ctx.lang))
    except JagaError as e:
        return _form(ctx, 422, e.message)
    name = f"jaga-desa-tier-{summary['tier'].lower()}-{start}-{end}.zip"
    return Response(body, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})

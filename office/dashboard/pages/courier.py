"""/dashboard/courier: staff (intel or admin) import a courier file a village sent by hand,
and download the receipts file to send back (issue 26).

Thin over office.courier.import_file — the push's own ingest, audited there as
`courier_import` (who, counts). The page checks the session and CSRF in a reading
transaction and lets the import commit batch by batch on its own (`own_writes`). The
receipts file is made again from what the office holds (the stored, signed receipts), so
the download needs nothing kept between the two requests; it is audited as `courier_receipts`
and, like every page, holds only the staff member's region (a receipt tells that the office
holds a report: another region's ids give nothing back).
"""
from __future__ import annotations

import re

from fastapi.responses import Response
from sqlalchemy import select

from core.errors import BadRequest, JagaError
from office import courier
from office.dashboard.queries import visible_village_ids
from office.ingest.common import stored_receipt
from office.schema import envelopes
from sync import courier as wire

from ..web import Ctx, page, render

TEXTS = {
    "title": ("File kurir dari desa", "Courier files from villages"),
    "intro": ("Desa tanpa sinyal mengirim laporan terkunci dalam satu file yang dibawa orang. Impor di sini "
              "memeriksa setiap laporan seperti kiriman lewat jaringan; file tanda terima dibawa kembali ke desa.",
              "Villages without signal send their sealed reports in one file someone carries. Importing here "
              "checks every report as a network push is checked; the receipts file goes back to the village."),
    "file": ("File kurir (.jdk)", "Courier file (.jdk)"),
    "import": ("Impor", "Import"),
    "result": ("Hasil impor", "Import result"),
    "envelopes": ("Laporan dalam file", "Reports in the file"),
    "accepted": ("Baru diterima", "Newly received"),
    "duplicate": ("Sudah ada (tidak digandakan)", "Already held (not doubled)"),
    "refused": ("Ditolak", "Refused"),
    "not_whole": ("Tidak utuh", "Not whole"),
    "download": ("Unduh file tanda terima", "Download the receipts file"),
    "download_hint": ("Kirim file ini kembali ke desa (atau tunggu sinkron berikutnya): ponsel menghapus "
                      "laporan hanya setelah memeriksa tanda terima ini.",
                      "Send this file back to the village (or wait for the next sync): the phone purges a "
                      "report only after checking this receipt."),
    "no_file": ("Pilih file kurir terlebih dahulu.", "Choose a courier file first."),
}
_IDS = re.compile(r"^[0-9a-f-]{36}$")
MAX_IDS = 100_000


def _h(lang: str):
    return lambda key: TEXTS[key][1 if lang == "en" else 0]


def _form(ctx: Ctx, status: int = 200, **values) -> Response:
    return render(ctx, "courier.html", status=status, h=_h(ctx.lang), **values)


@page("GET", "/courier", "staff")
def courier_page(ctx: Ctx) -> Response:
    return _form(ctx)


@page("POST", "/courier", "staff", own_writes=True)
def courier_import(ctx: Ctx) -> Response:
    data = ctx.files.get("file")
    if not data:
        return _form(ctx, 422, error=_h(ctx.lang)("no_file"))
    engine = ctx.request.app.state.office.engine
    try:
        done = courier.import_file(engine, ctx.keys, data, staff=ctx.staff, ip=ctx.ip)
    except JagaError as e:
        return _form(ctx, 422, error=e.message)
    ids = " ".join(r["envelope_id"] for r in done.results if r["status"] in ("accepted", "duplicate"))
    return _form(ctx, done=dict(counts=done.counts(), whole=done.whole, not_whole=done.not_whole(), ids=ids))


@page("POST", "/courier/receipts", "staff")
def courier_receipts(ctx: Ctx) -> Response:
    try:
        ids = [i for i in ctx.form.get("ids", "").split() if _IDS.match(i)][:MAX_IDS]
        if not ids:
            raise BadRequest("no reports to make receipts for")
    except JagaError as e:
        return _form(ctx, 422, error=e.message)
    q = select(envelopes.c.id, envelopes.c.receipt).where(envelopes.c.id.in_(ids))
    allowed = visible_village_ids(ctx.conn, ctx.staff)
    if allowed is not None:         # a receipt says which reports the office holds: region-scoped
        q = q.where(envelopes.c.village_id.in_(allowed))
    rows = ctx.conn.execute(q).all()
    results = [{"envelope_id": r.id, "status": "duplicate", "receipt": stored_receipt(r.receipt, ctx.keys)}
               for r in rows]
    ctx.audit("courier_receipts", detail={"receipts": len(results), "asked": len(ids)})
    return Response(wire.pack_receipts(results, ctx.keys.key_id), media_type="application/json",
                    headers={"Content-Disposition": 'attachment; filename="jaga-desa-tanda-terima.json"'})

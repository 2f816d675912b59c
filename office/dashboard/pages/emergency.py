"""DARURAT acknowledgement: "Saya tangani" on the banner every page shows (see ..emergency)."""
from __future__ import annotations

from fastapi.responses import RedirectResponse, Response

from office.feedback import send_feedback

from .. import emergency
from ..web import BASE, Ctx, page
from .report import _report


@page("POST", "/reports/{report_id}/ack", "staff")
def report_ack(ctx: Ctx) -> Response:
    row = _report(ctx)                      # region check: only staff who may see it
    if emergency.acknowledge(ctx.conn, ctx.staff, row.id):
        ctx.audit("ack_emergency", target=row.id)
        # she is told someone took it on (signed, sealed to her like any office message)
        send_feedback(ctx.conn, row.id, emergency.HANDLING_MESSAGE, keys=ctx.keys, kind="info")
    return RedirectResponse(f"{BASE}/reports/{row.id}?done=ack", status_code=303)

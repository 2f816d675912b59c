"""Enroll the unlocked user with the immigration office.

The QR content carries the code, the office address and the office fingerprint; typed by
hand, the fingerprint printed beside the code is required too. The phone refuses an
office whose keys do not match it, and shows the short fingerprint to compare aloud.
"""
from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlparse

import flet as ft

from core.errors import JagaError
from fieldapp import i18n
from fieldapp.ui import syncing
from sync import identity


def show(app, first: bool = False) -> None:
    qr = ft.TextField(label=app.t("qr_content"), multiline=False)
    url = ft.TextField(label=app.t("office_url"), keyboard_type=ft.KeyboardType.URL,
                       value=app.device.office_url or "")
    code = ft.TextField(label=app.t("enroll_code"), capitalization=ft.TextCapitalization.CHARACTERS)
    fp = ft.TextField(label=app.t("office_fingerprint"), capitalization=ft.TextCapitalization.CHARACTERS)
    status = ft.Text("", size=15)
    busy = ft.ProgressBar(visible=False, semantics_label=app.t("enroll_do"))
    pins = {"tls": None}

    def from_qr(_=None):
        text = (qr.value or "").strip()
        parsed = syncing.parse_enroll_link(text)
        bare_code = not parsed and text and " " not in text and ":" not in text and "/" not in text
        qr.error = None if parsed or bare_code or not text else app.t("enroll_bad_qr")
        if parsed:
            url.value, code.value = parsed
            q = parse_qs(urlparse(text).query)
            if q.get("fp"):             # the office fingerprint the phone will pin
                fp.value = q["fp"][0]
            pins["tls"] = (q.get("tls") or [None])[0]
        elif bare_code:                 # a QR without the office address holds only the code
            code.value = text
        app.page.update()

    qr.on_change = app.handler(from_qr)

    async def do_enroll():
        from_qr()
        if not (url.value or "").strip() or not (code.value or "").strip():
            status.value, status.color = app.t("enroll_missing"), "#B3261E"
            app.page.update()
            return
        busy.visible = True
        status.value = ""
        app.page.update()
        try:
            session = app.session
            ticket = app.device.ticket(code.value.strip(), fingerprint=(fp.value or "").strip() or None,
                                       office_url=url.value.strip(), tls_sha256=pins["tls"])
            req = app.device.enrollment_request(session, ticket)
            resp = await asyncio.to_thread(syncing.enroll, ticket.office_url, req, ticket.tls_sha256)
            got = app.device.apply_enrollment(session, ticket, resp)
        except JagaError as exc:
            busy.visible = False
            status.value = app.t("enroll_failed", why=i18n.error_text(exc, app.lang))
            status.color = "#B3261E"
            app.page.update()
            return
        app.notice = app.t("enroll_ok_fp", name=session.label, village=resp.get("village_name") or "",
                           fp=identity.short(got))
        app.go("home")

    body = [ft.Text(app.t("enroll_hint"), size=15), qr, url, code, fp, status, busy,
            app.button(app.t("enroll_do"), do_enroll, icon=ft.Icons.VERIFIED_USER),
            app.button(app.t("enroll_later"), lambda: app.go("home"), kind="outlined")]
    app.render(app.t("enroll_title"), body, back=(lambda: app.go("home")) if not first else None)

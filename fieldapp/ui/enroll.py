"""Enroll the unlocked user with the immigration office (QR content or address + code)."""
from __future__ import annotations

import asyncio

import flet as ft

from core.errors import JagaError
from fieldapp import i18n
from fieldapp.ui import syncing


def show(app, first: bool = False) -> None:
    qr = ft.TextField(label=app.t("qr_content"), multiline=False)
    url = ft.TextField(label=app.t("office_url"), keyboard_type=ft.KeyboardType.URL,
                       value=app.device.office_url or "")
    code = ft.TextField(label=app.t("enroll_code"), capitalization=ft.TextCapitalization.CHARACTERS)
    status = ft.Text("", size=15)
    busy = ft.ProgressBar(visible=False, semantics_label=app.t("enroll_do"))

    def from_qr(_=None):
        text = (qr.value or "").strip()
        parsed = syncing.parse_enroll_link(text)
        bare_code = not parsed and text and " " not in text and ":" not in text and "/" not in text
        qr.error = None if parsed or bare_code or not text else app.t("enroll_bad_qr")
        if parsed:
            url.value, code.value = parsed
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
            req = app.device.enrollment_request(session, code.value.strip())
            resp = await asyncio.to_thread(syncing.enroll, url.value.strip(), req)
            app.device.apply_enrollment(session, url.value.strip(), resp)
        except JagaError as exc:
            busy.visible = False
            status.value = app.t("enroll_failed", why=i18n.error_text(exc, app.lang))
            status.color = "#B3261E"
            app.page.update()
            return
        app.notice = app.t("enroll_ok", name=session.label, village=resp.get("village_name") or "")
        app.go("home")

    body = [ft.Text(app.t("enroll_hint"), size=15), qr, url, code, status, busy,
            app.button(app.t("enroll_do"), do_enroll, icon=ft.Icons.VERIFIED_USER),
            app.button(app.t("enroll_later"), lambda: app.go("home"), kind="outlined")]
    app.render(app.t("enroll_title"), body, back=(lambda: app.go("home")) if not first else None)

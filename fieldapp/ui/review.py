"""Village head: read one report from the village and verify / dispute / ask for more
info, with a note. Rahasia reports never reach this screen: they are never sealed for
the head in the first place (no key to open them)."""
from __future__ import annotations

import flet as ft

import forms
from core.errors import JagaError
from fieldapp import history, i18n, inbox
from fieldapp.ui import revoked


def show(app, item_id: str) -> None:
    if app.session is None:
        app.go("lock")
        return
    item = next((i for i in app.device.review_items(app.session) if i["item_id"] == item_id), None)
    if item is None or not item.get("ok"):
        app.notice = app.t("review_unreadable")
        app.go("home")
        return
    if item["state"] == "new":
        app.device.mark_read(item_id)
    form = forms.load(item["form_id"])
    rows: list[ft.Control] = []
    if item.get("flags", {}).get("urgent"):
        rows.append(app.banner(app.t("urgent_flag"), "error"))
    if item.get("created_ms"):
        rows.append(ft.Text(app.local(item["created_ms"]), size=14, color="#555555"))
    for label, value in form.summary(item["answers"], app.lang, app.zone()):
        rows.append(ft.Column([ft.Text(label, size=14, color="#555555"),
                               ft.Text(value, size=16)], spacing=2))
    # max_length draws the visible "n/2000" counter and stops typing at the office's limit
    note = ft.TextField(label=app.t("review_note"), multiline=True, min_lines=2, max_length=inbox.MAX_NOTE)
    status = ft.Text("", size=15)

    def verdict(v):
        def h():
            try:
                app.device.review(app.session, item_id, v, note.value or "")
            except JagaError as exc:
                status.value = i18n.error_text(exc, app.lang)
                app.page.update()
                return
            app.notice = app.t("review_sent")
            app.go("home")
        return h

    if item["state"] == "answered":     # his verdict is on record: show it, never the buttons again
        mine = history.my_verdict(app.device.db, app.session, item_id) or {}
        rows += [ft.Divider(), app.heading(app.t("review_state_answered")),
                 app.banner(app.t("review_my_verdict", verdict=app.t("verdict_" + mine.get("verdict", ""))), "ok")]
        if mine.get("note"):
            rows.append(ft.Text(mine["note"], size=15))
        app.render(form.title(app.lang), rows, back=lambda: app.go("home"))
        return
    if revoked.current(app):        # a revoked head may read it; his verdict would be refused
        rows += [ft.Divider(), app.banner(app.t("rv_no_verdict"), "error")]
        app.render(form.title(app.lang), rows, back=lambda: app.go("home"))
        return
    rows += [ft.Divider(), note, status,
             app.button(app.t("review_verify"), verdict("verified"), icon=ft.Icons.CHECK_CIRCLE, color="#1B6E3A"),
             app.button(app.t("review_dispute"), verdict("disputed"), icon=ft.Icons.CANCEL, color="#B3261E"),
             app.button(app.t("review_more"), verdict("needs_more_info"), icon=ft.Icons.HELP_OUTLINE,
                        kind="outlined")]
    app.render(form.title(app.lang), rows, back=lambda: app.go("home"))

"""After a Darurat report is sealed: say so, repeat 110 / 112, and offer the optional
follow-up — an ordinary suspicion report that starts from what was already said."""
from __future__ import annotations

import flet as ft

from fieldapp.ui import home
from fieldapp.ui.shell import GREEN, RED

SUSPICION = "laporan_kecurigaan"


def show(app, answers: dict) -> None:
    if app.session is None:
        app.go("lock")
        return

    def more():
        # The follow-up is a separate report; its draft exists only once something is typed.
        pre = {"urgensi": "darurat", "apa_dilihat": answers.get("apa_terjadi", "")}
        if answers.get("lokasi"):
            pre["lokasi"] = answers["lokasi"]
        app.go("form", form_id=SUSPICION, prefill=pre)

    body = [
        app.banner(app.t("emg_sent"), "ok"),
        ft.Text(app.t("emg_call"), size=15, color=RED, weight=ft.FontWeight.BOLD),
        home.call_buttons(app),
        app.button(app.t("emg_more"), more, icon=ft.Icons.EDIT_NOTE, kind="outlined"),
    ]
    footer = [app.button(app.t("to_home_plain"), lambda: app.go("home"), icon=ft.Icons.HOME, color=GREEN)]
    app.render(app.t("emg_title"), body, back=lambda: app.go("home"), footer=footer)

"""After a Darurat report is sealed: say so, repeat 110 / 112, and offer the optional
follow-up — an ordinary suspicion report that starts from what was already said. The
"sealed, goes out with signal" line turns by itself into "received by the office at …"
once the background sync brings its receipt (or into the refusal, with the call to make)."""
from __future__ import annotations

import asyncio

import flet as ft

from fieldapp.ui import home
from fieldapp.ui.shell import GREEN, RED

SUSPICION = "laporan_kecurigaan"


def show(app, answers: dict, report_id: str | None = None) -> None:
    if app.session is None:
        app.go("lock")
        return

    def more():
        # The follow-up is a separate report; its draft exists only once something is typed.
        pre = {"urgensi": "darurat", "apa_dilihat": answers.get("apa_terjadi", "")}
        if answers.get("lokasi"):
            pre["lokasi"] = answers["lokasi"]
        app.go("form", form_id=SUSPICION, prefill=pre)

    state = ft.Container(app.banner(app.t("emg_sent"), "ok"))
    body = [
        state,
        ft.Text(app.t("emg_call"), size=15, color=RED, weight=ft.FontWeight.BOLD),
        home.call_buttons(app),
        app.button(app.t("emg_more"), more, icon=ft.Icons.EDIT_NOTE, kind="outlined"),
    ]
    footer = [app.button(app.t("to_home_plain"), lambda: app.go("home"), icon=ft.Icons.HOME, color=GREEN)]
    app.render(app.t("emg_title"), body, back=lambda: app.go("home"), footer=footer)
    if report_id:
        _watch(app, report_id, state)


def _watch(app, report_id: str, state: ft.Container) -> None:
    """Redraw the state line when the report's state changes (PIN-less reads, every LIVE_SECONDS)."""
    token = object()
    app.live_token = token
    session = app.session

    async def loop() -> None:
        while True:
            await asyncio.sleep(home.LIVE_SECONDS)
            if app.live_token is not token or app.screen != "emergency_sent" or app.session is not session:
                return
            row = next((r for r in app.device.outbox(owner=session.user_id) if r["id"] == report_id), None)
            if row is None or row["state"] == "waiting":
                continue
            if row["state"] in ("received", "returned"):
                try:        # the office's signed receive time, opened with her key
                    when = app.local((app.device.receipt(session, report_id) or {})["received_at"])
                except Exception:   # noqa: BLE001 — purged or unreadable: the day is still true
                    when = app.day(row["received_day"])
                state.content = app.banner(app.t("emg_received", when=when), "ok")
            else:
                state.content = ft.Column([app.banner(app.t("emg_refused", n=1), "error")], spacing=6)
            try:
                app.page.update()
            except Exception:   # noqa: BLE001 — the tab went away
                return
            return
    app.spawn(loop)

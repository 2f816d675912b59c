"""Darurat: one short sentence, sent at once.

Someone is in danger now, so this screen asks for one thing only ("what is happening?"),
attaches the GPS point by itself when the phone already allows location, and seals the
report the moment "Kirim sekarang" is tapped — no steps, no confirmation screen. It
tells the volunteer to call 110 / 112 first. Everything else (place, people, photos)
is optional and can follow as an ordinary report that starts from this one.

The report goes to the immigration office only (rahasia): an emergency about a
departure tonight must not reach a village official who may be part of the network.
"""
from __future__ import annotations

import asyncio

import flet as ft
import flet_geolocator as ftg

import forms
from core.errors import JagaError, ValidationFailed
from fieldapp import history, i18n
from fieldapp.device import RevokedHere
from fieldapp.reports import NotEnrolled
from fieldapp.ui import fields, revoked, syncing
from fieldapp.ui.shell import RED

FORM = "laporan_darurat"
LOCATION_SECONDS = 12.0     # how long a GPS fix may take before the report goes without one
SEND_WAIT_SECONDS = 2.0     # at "send", how long to wait for a fix that is still coming


class EmergencyScreen:
    def __init__(self, app) -> None:
        self.app = app
        self.location: dict | None = None
        self.locating: asyncio.Task | None = None
        self.draft_id: str | None = None    # made only when a voice note needs somewhere to live
        self.voice_answers: dict = {}

    def show(self) -> None:
        app = self.app
        self.what = ft.TextField(label=app.t("emg_what"), hint_text=app.t("emg_what_hint"), autofocus=True,
                                 max_length=500, multiline=False, on_submit=app.handler(self.send))
        self.loc = ft.Text(app.t("emg_loc_wait"), size=14, color="#555555")
        self.error = ft.Text("", color=RED, size=15)
        # An optional voice note beside the sentence (the sentence stays: it is what the
        # office's Darurat banner reads out). The widget keeps its note in a draft of its own.
        app.ensure_draft = self._ensure_draft
        self.voice = fields.make(app, forms.load(FORM).field("suara"), self.voice_answers, lambda name: None)
        body = [
            ft.Container(ft.Column([
                ft.Text(app.t("emg_call"), size=15, color=RED, weight=ft.FontWeight.BOLD),
                ft.Row([app.button(app.t("emg_call_110"), None, url="tel:110", kind="outlined",
                                   height=48, expand=True),
                        app.button(app.t("emg_call_112"), None, url="tel:112", kind="outlined",
                                   height=48, expand=True)], spacing=8)],
                spacing=8), bgcolor="#FBE4E2", padding=12, border_radius=8),
            self.what, self.error, self.voice.control, self.loc,
            ft.Text(app.t("emg_who"), size=14, color="#555555"),
        ]
        footer = [app.button(app.t("emg_send"), self.send, icon=ft.Icons.SEND, color=RED)]
        app.render(app.t("emg_title"), body, back=lambda: app.go("home"), footer=footer)
        try:
            self.locating = app.page.run_task(self._locate)
        except (AttributeError, RuntimeError):      # the tab went away while drawing
            self.locating = None

    async def _locate(self) -> None:
        """Attach the GPS point if location is already allowed; never ask in the middle of an emergency."""
        app = self.app
        try:
            geo = _geolocator(app.page)
            status = await asyncio.wait_for(geo.get_permission_status(), timeout=5)
            if status not in (ftg.GeolocatorPermissionStatus.ALWAYS, ftg.GeolocatorPermissionStatus.WHILE_IN_USE):
                raise PermissionError(str(status))
            pos = await asyncio.wait_for(geo.get_current_position(), timeout=LOCATION_SECONDS)
        except Exception:   # noqa: BLE001 — no permission / no fix / timeout: send without a location
            self.loc.value = app.t("emg_loc_none")
            _update(app)
            return
        self.location = {"lat": round(pos.latitude, 6), "lon": round(pos.longitude, 6)}
        if pos.accuracy is not None:
            self.location["accuracy"] = round(float(pos.accuracy), 1)
        self.loc.value = app.t("emg_loc_got", acc=f"{self.location.get('accuracy', 0):.0f}")
        self.loc.color = "#1B6E3A"
        _update(app)

    async def send(self) -> None:
        app = self.app
        text = (self.what.value or "").strip()
        if len(text) < 3:
            self.error.value = app.t("emg_empty")
            app.page.update()
            return
        if self.locating is not None and not self.locating.done():
            try:    # a fix that is about to arrive is worth two seconds; a slow one is not
                await asyncio.wait_for(asyncio.shield(self.locating), timeout=SEND_WAIT_SECONDS)
            except Exception:   # noqa: BLE001
                pass
        answers: dict = {"apa_terjadi": text, "urgensi": "darurat", "rahasia": "ya", **self.voice_answers}
        if self.location:
            answers["lokasi"] = self.location
        try:
            if self.draft_id:
                app.device.save_draft(app.session, self.draft_id, answers)
                rid = self.draft_id
            else:
                rid = app.device.new_draft(app.session, FORM, answers)
        except RevokedHere:     # revoked while this screen was open: home says why, and 110 / 112
            revoked.refuse_screen(app)
            return
        try:
            await asyncio.to_thread(app.device.finalize, app.session, rid, lang=app.lang, rahasia=True)
        except NotEnrolled:
            app.notice = app.t("emg_saved_draft")
            app.go("home")
            return
        except (ValidationFailed, JagaError) as exc:
            self.error.value = app.t("seal_failed", why=i18n.error_text(exc, app.lang))
            app.page.update()
            return
        history.save_summary(app.device.db, app.session, rid, history.summary(FORM, answers))
        syncing.trigger()
        app.go("emergency_sent", answers=answers, report_id=rid)


    def _ensure_draft(self) -> str:
        if self.draft_id is None:
            self.draft_id = self.app.device.new_draft(self.app.session, FORM,
                                                      {"urgensi": "darurat", "rahasia": "ya"})
        return self.draft_id


def _geolocator(page: ft.Page) -> ftg.Geolocator:
    for s in page.services:
        if isinstance(s, ftg.Geolocator):
            return s
    svc = ftg.Geolocator()
    page.services.append(svc)
    page.update()
    return svc


def _update(app) -> None:
    try:
        app.page.update()
    except Exception:   # noqa: BLE001 — the screen was left or the tab closed meanwhile
        pass


def show(app) -> None:
    if app.session is None:
        app.go("lock")
        return
    if revoked.refuse_screen(app):
        return
    EmergencyScreen(app).show()

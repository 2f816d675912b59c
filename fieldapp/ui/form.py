"""Filling a report: one form section per screen, conditions applied live, field-level
messages in the user's language, autosave on every change. The last step is the
confirmation screen (form.summary) with the rahasia choice spelled out, then sealing."""
from __future__ import annotations

import asyncio
import datetime as dt

import flet as ft

import forms
from core import localtime
from core.errors import JagaError, ValidationFailed
from fieldapp import history, i18n, store
from fieldapp.reports import NotEnrolled
from fieldapp.ui import fields, revoked, syncing
from fieldapp.ui.shell import GREEN, RED


def defaults(form_id: str, home_place: str | None = None, zone: str | None = None) -> dict:
    """Answers a new report starts with, so the shortest honest report needs no extra taps:
    it happened now / today, urgency is normal, children unknown, not rahasia, a PMI
    departure was seen in the volunteer's own village (`home_place`). All are visible,
    changeable answers on their step and on the confirmation screen. "Now" is the wall
    clock in `zone` (the zone the phone shows), never the app process's own local time."""
    now = localtime.wall_clock(zone or localtime.zone())
    pmi = {"tanggal": now.strftime("%Y-%m-%d"), "rahasia": "tidak"}
    if home_place:
        pmi["tempat_terlihat"] = home_place
    return {
        "laporan_kecurigaan": {"waktu_kejadian": now.strftime("%Y-%m-%dT%H:%M"), "ada_anak": "tidak_tahu",
                               "urgensi": "biasa", "rahasia": "tidak"},
        "keberangkatan_pmi": pmi,
    }.get(form_id, {})


class FormScreen:
    def __init__(self, app, report_id: str | None = None, form_id: str | None = None,
                 prefill: dict | None = None) -> None:
        self.app = app
        self.report_id = report_id
        if report_id is not None:
            self.form = forms.load(*app.device.report_form(report_id))
            self.answers = app.device.load_answers(app.session, report_id)
        else:       # a new report: no draft exists until the user changes something
            self.form = forms.load(form_id)
            self.answers = {**defaults(self.form.id, app.device.home_place(), app.zone()), **(prefill or {})}
        # what the app filled in for her, and what she herself touched since: the confirmation
        # screen shows an untouched default as a default, never as her answer
        self.started = defaults(self.form.id, app.device.home_place(), app.zone())
        self.touched: set[str] = set()
        app.ensure_draft = self.ensure_draft
        self.sections = [s for s in self.form.sections if s.fields]
        self.widgets: dict[str, fields.Widget] = {}
        self.shown_errors: set[str] = set()

    def ensure_draft(self) -> str:
        """The draft's id, creating the (encrypted) draft on the first real change."""
        if self.report_id is None:
            self.report_id = self.app.device.new_draft(self.app.session, self.form.id, self.answers)
            self.app.form_report_id = self.report_id
            self.app.resume_point = {"report_id": self.report_id, "section": getattr(self, "index", 0)}
        return self.report_id

    # ── one section ────────────────────────────────────────────────────────
    def section(self, index: int, errors: dict[str, str] | None = None) -> None:
        app = self.app
        index = max(0, min(index, len(self.sections) - 1))
        self.index = index
        app.form_report_id = self.report_id
        app.resume_point = {"report_id": self.report_id, "section": index} if self.report_id else None
        sec = self.sections[index]
        self.widgets = {f.name: fields.make(app, f, self.answers, self.changed) for f in sec.fields}
        self.shown_errors = set()
        self.apply_visibility()
        if errors:
            self.show_errors(errors)
        step = ft.Text(app.t("step", i=index + 1, n=len(self.sections)), size=14, color="#555555")
        progress = ft.ProgressBar(value=(index + 1) / len(self.sections), semantics_label=step.value)
        self.step, self.step_text, self.edits = step, step.value, 0
        body = [step, progress, app.heading(sec.title(app.lang))]
        if self.form.flags(self.answers).get("urgent"):
            body.insert(0, app.banner(app.t("urgent_flag"), "error"))
        self.summary_error = ft.Text("", color=RED, size=15)
        body += [w.control for w in self.widgets.values()] + [self.summary_error]
        prev = (lambda: self.section(index - 1)) if index > 0 else None
        footer = [app.button(app.t("prev"), prev, kind="outlined", icon=ft.Icons.CHEVRON_LEFT) if prev else
                  app.button(app.t("to_home"), self.leave, kind="outlined", icon=ft.Icons.SAVE),
                  app.button(app.t("next"), self.next, icon=ft.Icons.CHEVRON_RIGHT)]
        # Once every required answer is there, the remaining (optional) steps can be skipped.
        self.finish = app.button(app.t("finish_now"), self.finish_now, icon=ft.Icons.FACT_CHECK, color=GREEN,
                                 height=48)
        self.finish.visible = self._can_finish()
        app.render(self.form.title(app.lang), body, back=self.leave, footer=footer,
                   footer_top=self.finish if index + 1 < len(self.sections) else None)

    def _can_finish(self) -> bool:
        return not self.form.validate(self.answers, self.app.lang, self.app.wall_clock())

    def finish_now(self) -> None:
        errors = self._section_errors()
        if errors:
            self.show_errors(errors)
            self.app.page.update()
            return
        self.confirm()

    def changed(self, name: str) -> None:
        """Autosave (the first change creates the draft), re-apply conditions, refresh messages."""
        self.touched.add(name)
        if self.report_id is None:
            self.ensure_draft()
        else:
            self.app.device.save_draft(self.app.session, self.report_id, self.answers)
        self.edits += 1
        self.step.value = self.step_text                 # not "saved" again until this change is
        store.when_durable(lambda step=self.step, n=self.edits: self._saved(step, n))
        self.apply_visibility()
        if hasattr(self, "finish"):
            self.finish.visible = self._can_finish()
        if self.shown_errors:
            errs = self._section_errors()
            self.show_errors({k: v for k, v in errs.items() if k in self.shown_errors})
        self.app.page.update()

    def _saved(self, step: ft.Text, n: int) -> None:
        """The step line says "saved" once the latest change is durable (store.when_durable):
        in the offline app only after IndexedDB holds it, so a tab closed after it loses nothing."""
        if step is not self.step or n != self.edits:
            return                          # another section, or a newer change still on its way
        step.value = f"{self.step_text} · {self.app.t('draft_saved')}"
        self.app.page.update()

    def apply_visibility(self) -> None:
        visible = {f.name for f in self.form.visible_fields(self.answers)}
        for name, w in self.widgets.items():
            w.control.visible = name in visible
            w.apply_visibility(self.form, self.answers)

    def _section_errors(self) -> dict[str, str]:
        errors = self.form.validate(self.answers, self.app.lang, self.app.wall_clock())
        return {k: v for k, v in errors.items()
                if (w := self.widgets.get(_base(k))) is not None and w.control.visible}

    def show_errors(self, errors: dict[str, str]) -> None:
        for w in self.widgets.values():
            w.show_errors(errors)
        self.shown_errors |= set(errors)
        if hasattr(self, "summary_error"):
            self.summary_error.value = self.app.t("fix_errors") if errors else ""

    def next(self) -> None:
        errors = self._section_errors()
        if errors:
            self.show_errors(errors)
            self.app.page.update()
            self.app.spawn(self._scroll_to_first, errors)
            return
        if self.index + 1 < len(self.sections):
            self.section(self.index + 1)
        else:
            self.confirm()

    async def _scroll_to_first(self, errors: dict[str, str]) -> None:
        """At 360x640 the first red message is often below the fold: bring it into view, and
        put the focus in it when it is typed (a screen reader then reads that field next;
        Flet cannot mark it aria-invalid — README "Accessibility")."""
        first = next((n for n in self.widgets if n in {_base(k) for k in errors}), None)
        if first is not None:
            # At once, not animated: focusing a box that is still off screen would scroll it
            # only just into view, leaving its message below the fold again.
            await self.app.content.scroll_to(scroll_key=f"field-{first}", duration=0)
            typed = getattr(self.widgets[first], "input", None)
            if isinstance(typed, ft.TextField):
                await typed.focus()

    def leave(self) -> None:
        self.app.resume_point = None
        if self.report_id is not None:
            self.app.device.save_draft(self.app.session, self.report_id, self.answers)
            self.app.notice = self.app.t("saved_draft")
        self.app.go("home")

    # ── confirmation and sealing ───────────────────────────────────────────
    def confirm(self) -> None:
        app = self.app
        app.screen = "confirm"
        app.resume_point = {"report_id": self.report_id, "section": len(self.sections) - 1}
        rahasia = self.form.is_confidential(self.answers)
        rows: list[ft.Control] = []
        if self.form.flags(self.answers).get("urgent"):
            rows.append(app.banner(app.t("urgent_flag"), "error"))
        rows.append(app.banner(app.t("rahasia_on") if rahasia else app.t("rahasia_off"),
                               "warn" if rahasia else "info"))
        top = {f.name for f in self.form.fields}
        untouched = {self.form.field(n).label(app.lang) for n, v in self.started.items()
                     if n in top and n not in self.touched and self.answers.get(n) == v}
        given: list[ft.Control] = []
        preset: list[ft.Control] = []
        for label, value in self.form.summary(self.answers, app.lang, app.zone()):
            (preset if label in untouched else given).append(
                ft.Column([ft.Text(label, size=14, color="#555555"), ft.Text(value, size=16)], spacing=2))
        rows += given
        if preset:      # filled in by the app, not by her: said so, and easy to change
            rows += [app.heading(app.t("defaults_title")), ft.Text(app.t("defaults_hint"), size=14, color="#555555"),
                     *preset]
        self.seal_error = ft.Text("", color=RED, size=15, visible=False)
        rows.append(self.seal_error)
        footer = [app.button(app.t("edit"), lambda: self.section(len(self.sections) - 1), kind="outlined",
                             icon=ft.Icons.EDIT),
                  app.button(app.t("seal"), self.seal, icon=ft.Icons.SEND, color=GREEN)]
        app.render(app.t("review_title"), rows, back=lambda: self.section(len(self.sections) - 1), footer=footer)

    async def seal(self) -> None:
        app = self.app
        rahasia = self.form.is_confidential(self.answers)
        self.ensure_draft()
        try:
            await asyncio.to_thread(app.device.finalize, app.session, self.report_id, lang=app.lang,
                                    rahasia=rahasia)
        except ValidationFailed as exc:
            first = next((i for i, s in enumerate(self.sections)
                          if any(f.name in {_base(k) for k in exc.errors} for f in s.fields)), 0)
            self.section(first, errors=exc.errors)
            return
        except NotEnrolled:
            self.seal_error.value = app.t("seal_failed", why=app.t("not_enrolled"))
            self.seal_error.visible = True
            app.page.update()
            return
        except JagaError as exc:
            self.seal_error.value = app.t("seal_failed", why=i18n.error_text(exc, app.lang))
            self.seal_error.visible = True
            app.page.update()
            return
        app.resume_point = None
        history.save_summary(app.device.db, app.session, self.report_id, history.summary(self.form.id, self.answers))
        syncing.trigger()               # leave at once if there is signal and sync is on
        app.notice = app.t("sealed_ok")
        app.go("home")


def _base(key: str) -> str:
    """'terlibat[1].nama' -> 'terlibat': the widget on screen that shows the message."""
    return key.split("[", 1)[0]


def show(app, report_id: str | None = None, section: int = 0, form_id: str | None = None,
         prefill: dict | None = None) -> None:
    if app.session is None:
        app.go("lock")
        return
    if revoked.refuse_screen(app):      # also a draft resumed after the auto-lock
        return
    FormScreen(app, report_id, form_id, prefill).section(section)

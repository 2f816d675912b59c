"""Telling the person at the phone what the office cut off, and what a PIN lockout is.

Three different things look alike to a volunteer ("it stopped working"), so each is said
in its own words: the office revoked *her account* (a signed inbox item, with the office's
time), the office revoked *the whole phone* (its sync token refused; lock screen too), or
*she* is locked out after too many wrong PINs (nothing to do with the office).

A revoked person gets a home screen without the buttons that start a report (Darurat, a
new suspicion or PMI report): nothing she starts could ever be accepted. Instead it says
who revoked what and when, what becomes of her waiting reports and drafts (as the sync
really treats them), and what to do — with 110 / 112 in reach, because the Darurat path
is gone. Hiding the buttons is only kindness: the office refuses her envelopes anyway,
and Device refuses to start or seal one (RevokedHere).
"""
from __future__ import annotations

import logging

import flet as ft

from core.errors import JagaError
from fieldapp.ui.shell import RED

log = logging.getLogger("jaga.ui")


def revocation_text(app, rev: dict | None) -> str | None:
    """The sentence for a revocation (`Device.revocation`), with the time in the phone's zone."""
    if not rev:
        return None
    when = app.local(rev["at"]) if rev.get("at") else ""
    if rev["scope"] == "person":
        return app.t("revoked_person", when=when) if when else app.t("revoked_person_undated")
    return app.t("revoked_device", when=when)


def current(app) -> dict | None:
    """The unlocked user's revocation (her own first, else the phone's), or None."""
    if app.session is None:
        return None
    try:
        return app.device.revocation(app.session)
    except JagaError:   # a damaged bundle is reported elsewhere (trust alert); the phone's flag still counts
        log.warning("revocation of the unlocked user could not be read", exc_info=True)
        return app.device.device_revoked()


def home_card(app, rev: dict) -> ft.Control:
    """Who revoked what and when, what happens to waiting reports and drafts, what to do."""
    person = rev["scope"] == "person"
    when = app.local(rev["at"]) if rev.get("at") else ""
    if person:
        who = app.t("rv_who_person", when=when) if when else app.t("rv_who_person_undated")
    else:
        who = app.t("rv_who_device", when=when) if when else app.t("rv_who_device_undated")
    waiting = len([r for r in app.device.outbox(owner=app.session.user_id) if r["state"] == "waiting"])
    drafts = len(app.device.drafts(app.session))
    # Order: what happened, then the emergency numbers (the Darurat path is gone, so they
    # must be on the first screen), what to do, then what becomes of her reports.
    lines: list[ft.Control] = [
        app.heading(app.t("rv_title_person" if person else "rv_title_device")),
        ft.Text(who, size=15, weight=ft.FontWeight.BOLD),
        ft.Text(app.t("rv_no_reports"), size=15),
        ft.Text(app.t("rv_emergency"), size=15, color=RED, weight=ft.FontWeight.BOLD),
        ft.Row([app.button(app.t("emg_call_110"), None, url="tel:110", kind="outlined", height=48, expand=True),
                app.button(app.t("emg_call_112"), None, url="tel:112", kind="outlined", height=48, expand=True)],
               spacing=8),
        app.heading(app.t("rv_todo_title"), level=3),
        ft.Text(app.t("rv_todo"), size=15),
        app.heading(app.t("rv_reports_title"), level=3),
        # A revoked person's envelopes are refused one by one (marked refused); a revoked phone's
        # whole sync is refused, so nothing waiting ever leaves (sync.runner, Device.mark_failed).
        ft.Text(app.t("rv_outbox_device" if app.device.device_revoked() or not person else "rv_outbox_person",
                      n=waiting) if waiting else app.t("rv_outbox_none"), size=15),
    ]
    if drafts:
        lines.append(ft.Text(app.t("rv_drafts", n=drafts), size=15))
    lines.append(ft.Text(app.t("rv_sent"), size=15))
    return ft.Container(ft.Column(lines, spacing=8, horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
                        bgcolor="#FBE4E2", padding=12, border_radius=8,
                        border=ft.Border.all(1, RED))


def refuse_screen(app) -> bool:
    """For the screens that start or send something (form, Darurat): True — and back home
    with the reason — when this user or phone is revoked. Covers every route in: a home
    button, a resumed draft after the auto-lock, a follow-up to a sent report."""
    if current(app) is None:
        return False
    app.notice = app.t("rv_form_refused")
    app.resume_point = None
    app.go("home")
    return True


def lock_banners(app, users: list[dict]) -> list[ft.Control]:
    """Before unlocking: the phone's revocation (no PIN needed) and each PIN-locked user."""
    out = []
    text = revocation_text(app, app.device.device_revoked())
    if text:
        out.append(app.banner(text, "error"))
    waiting = app.device.locked_out_outbox() if any(u["locked"] for u in users) else {}
    for u in users:
        if u["locked"]:
            text = app.t("locked_why", name=u["label"])
            if waiting.get(u["label"]):
                text += " " + app.t("locked_still_sent", n=waiting[u["label"]])
            out.append(app.banner(text, "warn"))
    return out

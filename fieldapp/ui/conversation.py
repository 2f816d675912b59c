"""One sent report's conversation: the office's messages and her replies, oldest first,
each with its local time and zone, and a box to answer. The reply is sealed for the
office at once and leaves with the next sync (fieldapp never speaks HTTP); the screen
redraws by itself when the background sync brings a message or settles a reply."""
from __future__ import annotations

import asyncio

import flet as ft

from core.errors import JagaError
from fieldapp import i18n
from fieldapp.ui import home, revoked, syncing
from fieldapp.ui.shell import BLUE, GREEN, RED

STATE_KEYS = {"waiting": ("conv_waiting", "#7A5200"), "sent": ("conv_sent", GREEN), "refused": ("conv_refused", RED)}


def show(app, report_id: str, draft: str = "", reply: bool = False) -> None:
    """`reply`: she came by "Balas" under the office's words — the box has the keyboard."""
    if app.session is None:
        app.go("lock")
        return
    dev, s = app.device, app.session
    try:
        messages = dev.thread(s, report_id)
    except JagaError as exc:
        app.notice = i18n.error_text(exc, app.lang)
        app.go("home")
        return
    row = next((r for r in dev.outbox(owner=s.user_id) if r["id"] == report_id), None)
    body: list[ft.Control] = []
    if row is not None:
        body.append(ft.Text(f"{home.form_title(app, row['form_id'], row['form_version'])} · {app.day(row['created_day'])}",
                            size=16, weight=ft.FontWeight.BOLD))
        body += home.about(app, home.summaries(app).get(report_id))
    body.append(app.heading(app.t("conv_messages")))
    if not messages:
        body.append(ft.Text(app.t("conv_empty"), size=15, color="#555555"))
    for m in messages:
        body.append(_bubble(app, m))
        if m["side"] == "office" and m.get("state") == "new":
            dev.mark_read(m["item_id"])
    box = ft.TextField(label=app.t("conv_reply_label"), hint_text=app.t("conv_reply_hint"), value=draft,
                       multiline=True, min_lines=2, max_lines=5, max_length=2000, autofocus=reply)
    status = ft.Text("", size=15, color=RED)

    def send():
        try:
            dev.reply(s, report_id, box.value or "")
        except JagaError as exc:
            status.value = i18n.error_text(exc, app.lang)
            app.page.update()
            return
        syncing.trigger()
        app.notice = app.t("conv_reply_queued")
        show(app, report_id)

    unbound = any(m.get("unbound") for m in messages)     # never answer a report that was moved
    if revoked.current(app):        # she may read the thread, never answer it any more
        body.append(app.banner(app.t("rv_no_reply"), "error"))
    elif row is not None and row["status"] == "received" and not unbound:
        body += [box, status, app.button(app.t("conv_reply_btn"), send, icon=ft.Icons.SEND)]
    elif unbound:
        body.append(app.banner(i18n.code_text("report_unreadable", app.lang), "error"))
    else:
        body.append(app.banner(app.t("conv_not_received"), "info"))
    app.render(app.t("conv_title"), body, back=lambda: app.go("home"))
    _watch(app, report_id, box)


def _bubble(app, m: dict) -> ft.Control:
    """One message: who, when (local time with WIB/WITA/WIT), what it means, the words."""
    mine = m["side"] == "me"
    who = app.t("conv_me") if mine else app.t("conv_office")
    when = app.local(m["created_ms"]) if m.get("created_ms") else ""
    head = [ft.Text(who, size=14, weight=ft.FontWeight.BOLD), ft.Text(when, size=13, color="#555555")]
    lines: list[ft.Control] = [ft.Row(head, wrap=True, spacing=8)]
    kind = m.get("kind")
    if not mine and kind in home.REPLY_KINDS:
        key, color = home.REPLY_KINDS[kind]
        lines.append(ft.Text(app.t(key), size=14, color=color))
    text = m.get("message")
    if m.get("error") or not isinstance(text, str):
        lines.append(ft.Text(app.t("conv_unreadable"), size=15, color=RED))
    else:
        lines.append(ft.Text(text + ("\u2026" if m.get("cut") else ""), size=15))
    if mine:
        key, color = STATE_KEYS.get(m.get("state", ""), STATE_KEYS["waiting"])
        lines.append(ft.Text(app.t(key), size=13, color=color))
        if m.get("cut"):
            lines.append(ft.Text(app.t("conv_cut"), size=13, color="#555555"))
    return ft.Container(ft.Column(lines, spacing=2), padding=10, border_radius=10,
                        bgcolor="#E2F4E8" if mine else "#E3F0FB",
                        margin=ft.Margin.only(left=32) if mine else ft.Margin.only(right=32),
                        border=ft.Border.all(1, GREEN if mine else BLUE))


def _signature(dev, owner: str, report_id: str) -> tuple:
    """Cheap and PIN-less: inbox size and her replies' states for this report."""
    return (dev.status().get("inbox"), tuple(dev.db.conn.execute(
        "SELECT envelope_id, state FROM replies WHERE owner=? AND report_id=? ORDER BY envelope_id",
        (owner, report_id))))


def _watch(app, report_id: str, box: ft.TextField) -> None:
    token = object()
    app.live_token = token
    session = app.session
    before = _signature(app.device, session.user_id, report_id)

    async def loop() -> None:
        while True:
            await asyncio.sleep(home.LIVE_SECONDS)
            if app.live_token is not token or app.screen != "conversation" or app.session is not session:
                return
            if not home.connected(app):
                return
            try:
                now = _signature(app.device, session.user_id, report_id)
            except Exception:   # noqa: BLE001 — store busy: next round
                continue
            if now != before:
                show(app, report_id, draft=box.value or "")     # what she was typing stays
                return
    app.spawn(loop)

"""Lock screen: pick a user, enter the PIN (Enter submits). An empty PIN is not a try; after
a wrong PIN the tries left (and any wait) are shown, the last try warns that the next wrong
PIN destroys the user's data; then lockout. Passphrase users get a full keyboard."""
from __future__ import annotations

import asyncio

import flet as ft

from core.errors import LockedOut, PinError
from fieldapp.secret_store import SecretMissing
from fieldapp.ui import revoked
from fieldapp.users import PinEmpty, PinWait


def show(app, message: str = "") -> None:
    users = app.device.users()
    if not users:
        app.go("setup")
        return
    usable = [u for u in users if not u["locked"]]
    by_id = {u["id"]: u for u in users}
    role_name = {"volunteer": app.t("role_volunteer"), "head": app.t("role_head")}
    radios = []
    for u in users:
        label = f"{u['label']} · {role_name.get(u['role'], u['role'])}"
        if u["locked"]:
            label = app.t("user_locked", name=label)
        radios.append(ft.Radio(value=u["id"], label=label, disabled=bool(u["locked"]), height=48))
    picked = ft.RadioGroup(ft.Column(radios, spacing=0), value=usable[0]["id"] if len(usable) == 1 else None)
    pin = ft.TextField(label=app.t("pin"), password=True, autofocus=True)
    status = ft.Text(message, color="#B3261E", size=15)

    def fit_keyboard() -> None:
        """Digits only for a PIN; letters for a user who chose a passphrase."""
        phrase = bool(picked.value and by_id.get(picked.value, {}).get("passphrase"))
        pin.label = app.t("passphrase") if phrase else app.t("pin")
        pin.keyboard_type = ft.KeyboardType.TEXT if phrase else ft.KeyboardType.NUMBER
        pin.input_filter = None if phrase else ft.NumbersOnlyInputFilter()

    def on_pick(_=None) -> None:
        fit_keyboard()
        app.page.update()

    fit_keyboard()
    picked.on_change = app.handler(on_pick)

    async def unlock():
        if not picked.value:
            status.value = app.t("lock_title")
            app.page.update()
            return
        try:
            session = await asyncio.to_thread(app.device.unlock, picked.value, pin.value or "")
        except LockedOut:
            show(app, message=app.t("locked_out"))      # redraw: that user is now disabled
            return
        except PinEmpty:
            status.value = app.t("pin_empty")
            app.page.update()
            return
        except PinWait as exc:
            status.value = app.t("pin_wait", s=exc.seconds, n=exc.remaining)
            pin.value = ""
            app.page.update()
            return
        except PinError as exc:
            status.value = app.t("pin_last_try") if exc.remaining == 1 else app.t("pin_wrong", n=exc.remaining)
            pin.value = ""
            app.page.update()
            return
        except SecretMissing:
            status.value = app.t("secret_missing")
            app.page.update()
            return
        app.session = session
        if getattr(session, "trust_alert", None):       # plaintext office data was rewritten
            app.notice = app.t("trust_tampered")
        resume, app.resume = app.resume, None
        if resume and resume["user_id"] == session.user_id:     # back where the auto-lock struck
            app.go("form", report_id=resume["report_id"], section=resume.get("section", 0))
        else:
            app.go("home")

    pin.on_submit = app.handler(unlock)                 # Enter on the keyboard submits
    body = [ft.Text(app.t("tagline"), size=15), *revoked.lock_banners(app, users),
            app.heading(app.t("lock_title")), picked, pin, status,
            app.button(app.t("unlock"), unlock, icon=ft.Icons.LOCK_OPEN)]
    app.render(app.t("app_name"), body)

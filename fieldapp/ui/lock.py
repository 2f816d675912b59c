"""Lock screen: pick a user, enter the PIN (Enter submits). An empty PIN is not a try; after
a wrong PIN the tries left (and any wait) are shown, the last try warns that the next wrong
PIN destroys the user's data; then lockout. Passphrase users get a full keyboard.

Whoever glances at a shared phone reads this screen, so it says nothing about what the app
is for: each person by the name they chose (no role), no Immigration tagline, and the app
name a village may replace by a neutral one (Pengaturan). A user locked out by wrong PINs is
no longer offered — her sealed reports still go out, and the banner says so; with nobody
left, the screen offers to add a user instead of a "Masuk" that cannot work. "Lupa PIN?"
explains what can and cannot be recovered."""
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
    if not usable:
        _nobody_left(app, users, message)
        return
    by_id = {u["id"]: u for u in users}
    radios = [ft.Radio(value=u["id"], label=u["label"], height=48) for u in usable]
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
    body = [*revoked.lock_banners(app, users),
            app.heading(app.t("lock_title")), picked, pin, status,
            app.button(app.t("unlock"), unlock, icon=ft.Icons.LOCK_OPEN),
            app.button(app.t("forgot_pin"), lambda: forgot(app), kind="text", icon=ft.Icons.HELP_OUTLINE)]
    app.render(title(app), body)


def title(app) -> str:
    """The app's name on screens anyone may see: the neutral one chosen in Pengaturan, if any."""
    return app.device.setting("app_label") or app.t("app_name")


def _nobody_left(app, users: list[dict], message: str) -> None:
    """Every user is locked out: nobody to unlock, so offer what can be done."""
    from fieldapp.ui import setup
    body = [*revoked.lock_banners(app, users)]
    if message:
        body.append(ft.Text(message, color="#B3261E", size=15))
    body += [app.heading(app.t("nobody_left_title")), ft.Text(app.t("nobody_left"), size=15),
             app.button(app.t("add_user"), lambda: setup.user_form(app, first=False, back=lambda: show(app)),
                        icon=ft.Icons.PERSON_ADD),
             app.button(app.t("forgot_pin"), lambda: forgot(app), kind="outlined", icon=ft.Icons.HELP_OUTLINE)]
    app.render(title(app), body)


def forgot(app) -> None:
    """"Lupa PIN?": nobody can recover a PIN (that is what protects her reports); what still
    arrives, what is lost, and how to report again."""
    body = [app.heading(app.t("forgot_title")),
            ft.Text(app.t("forgot_why"), size=15),
            ft.Text(app.t("forgot_safe_title"), size=15, weight=ft.FontWeight.BOLD),
            ft.Text(app.t("forgot_safe"), size=15),
            ft.Text(app.t("forgot_lost_title"), size=15, weight=ft.FontWeight.BOLD),
            ft.Text(app.t("forgot_lost"), size=15),
            ft.Text(app.t("forgot_steps_title"), size=15, weight=ft.FontWeight.BOLD),
            ft.Text(app.t("forgot_steps"), size=15),
            app.button(app.t("back"), lambda: show(app), kind="outlined", icon=ft.Icons.ARROW_BACK)]
    app.render(app.t("forgot_pin"), body, back=lambda: show(app))

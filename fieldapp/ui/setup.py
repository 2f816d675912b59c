"""First run: language, then the first local user and PIN, then enrollment (skippable).

The user comes first because enrollment registers *that person's* keys with the office.
"""
from __future__ import annotations

import asyncio

import flet as ft

from core.errors import JagaError
from fieldapp import i18n
from fieldapp.users import PASSPHRASE_MIN, PIN_RE, BadPin, secret_ok


def show(app, step: str = "lang") -> None:
    if step == "lang":
        _language(app)
    else:
        user_form(app, first=True)


def _language(app) -> None:
    def pick(lang):
        def h():
            app.set_lang(lang)
            show(app, step="user")
        return h
    body = [ft.Text(i18n.t("tagline", "id"), size=15), ft.Text(i18n.t("tagline", "en"), size=15, italic=True),
            app.heading("Pilih bahasa / Choose language"),
            app.button(i18n.LANG_NAMES["id"], pick("id"), icon=ft.Icons.TRANSLATE),
            app.button(i18n.LANG_NAMES["en"], pick("en"), kind="outlined", icon=ft.Icons.TRANSLATE)]
    app.render("Jaga Desa", body)


def user_form(app, first: bool, back=None) -> None:
    """Create a local user (first run, 'add user' from settings, or from the lock screen when
    every user there was locked out). The name is the one she picks for the lock screen:
    a first name or a nickname — it is shown to whoever holds the phone."""
    name = ft.TextField(label=app.t("name"), autofocus=True)
    role = ft.RadioGroup(ft.Column([
        ft.Radio(value="volunteer", label=app.t("role_volunteer"), height=48),
        ft.Radio(value="head", label=app.t("role_head"), height=48)], spacing=0), value="volunteer")
    pin = ft.TextField(label=app.t("pin_new"), password=True,
                       keyboard_type=ft.KeyboardType.NUMBER, input_filter=ft.NumbersOnlyInputFilter())
    pin2 = ft.TextField(label=app.t("pin_repeat"), password=True,
                        keyboard_type=ft.KeyboardType.NUMBER, input_filter=ft.NumbersOnlyInputFilter())
    status = ft.Text("", color="#B3261E", size=15)
    phrase = ft.Checkbox(label=app.t("use_passphrase"), value=False)

    def on_phrase(_=None) -> None:
        """A longer passphrase (letters allowed) instead of a numeric PIN."""
        long = bool(phrase.value)
        pin.label = app.t("passphrase_new") if long else app.t("pin_new")
        pin2.label = app.t("passphrase_repeat") if long else app.t("pin_repeat")
        for f in (pin, pin2):
            f.value, f.error = "", None
            f.keyboard_type = ft.KeyboardType.TEXT if long else ft.KeyboardType.NUMBER
            f.input_filter = None if long else ft.NumbersOnlyInputFilter()
        app.page.update()

    phrase.on_change = app.handler(on_phrase)

    async def create():
        for f in (name, pin, pin2):
            f.error = None
        if not (name.value or "").strip():
            name.error = app.t("name_needed")
        elif any(u["label"] == name.value.strip() for u in app.device.users()):
            name.error = app.t("name_taken")
        value = pin.value or ""
        wanted_ok = (secret_ok(value) and len(value) >= PASSPHRASE_MIN) if phrase.value else PIN_RE.match(value)
        if not wanted_ok:
            pin.error = app.t("passphrase_format") if phrase.value else app.t("pin_format")
        elif pin.value != pin2.value:
            pin2.error = app.t("pin_mismatch")
        if name.error or pin.error or pin2.error:
            app.page.update()
            return
        try:
            await asyncio.to_thread(app.device.add_user, name.value.strip(), role.value, pin.value)
            app.session = await asyncio.to_thread(app.device.unlock, name.value.strip(), pin.value)
        except BadPin:
            pin.error = app.t("passphrase_format") if phrase.value else app.t("pin_format")
            app.page.update()
            return
        except JagaError as exc:
            status.value = i18n.error_text(exc, app.lang)
            app.page.update()
            return
        app.go("enroll", first=True)

    pin2.on_submit = app.handler(create)
    body = [ft.Text(app.t("first_user_hint"), size=15), name,
            ft.Text(app.t("role"), size=15, weight=ft.FontWeight.BOLD), role, phrase,
            ft.Text(app.t("passphrase_hint"), size=14, color="#555555"), pin, pin2, status,
            app.button(app.t("create_user"), create, icon=ft.Icons.PERSON_ADD)]
    if first:       # say plainly what protects a copied folder here (web mode: not hardware)
        body += [ft.Text(app.t("secret_store_title"), size=15, weight=ft.FontWeight.BOLD),
                 ft.Text(app.device.secret_store_text(app.lang), size=14, color="#555555")]
    back = back or ((lambda: show(app, "lang")) if first else (lambda: app.go("settings")))
    app.render(app.t("first_user") if first else app.t("add_user"), body, back=back)

"""Settings: language, retention after receipt, automatic sync, enrollment, users,
quick wipe (after a confirm), about."""
from __future__ import annotations

import flet as ft

from fieldapp import i18n
from fieldapp.ui.shell import RED

VERSION = "0.1.0"


def show(app) -> None:
    if app.session is None:
        app.go("lock")
        return
    dev = app.device

    def set_lang(e):
        app.set_lang(e.control.value)
        show(app)

    def set_retention(e):
        dev.set_setting("retention", e.control.value)

    def set_sync(e):
        dev.set_setting("sync", "on" if e.control.value else "off")

    async def wipe():
        if await app.confirm(app.t("wipe_q"), app.t("wipe_confirm"), danger=True):
            app.session = None
            dev.wipe()
            app.device = type(dev).init(app.data_dir)
            app.notice = app.t("wiped")
            app.go("setup")

    def radio_group(value, options, on_change):
        return ft.RadioGroup(ft.Column([ft.Radio(value=v, label=label, height=48) for v, label in options],
                                       spacing=0), value=value, on_change=app.handler(on_change))

    st = dev.status()
    body: list[ft.Control] = [
        app.heading(app.t("language")),
        radio_group(app.lang, [(code, name) for code, name in i18n.LANG_NAMES.items()], set_lang),
        ft.Divider(),
        app.heading(app.t("retention")),
        radio_group(dev.setting("retention", "purge"),
                    [("purge", app.t("retention_purge")), ("keep", app.t("retention_keep"))], set_retention),
        ft.Divider(),
        ft.Switch(label=app.t("sync_auto"), value=dev.setting("sync", "on") == "on",
                  on_change=app.handler(set_sync), height=48),
        ft.Divider(),
        app.heading(app.t("enroll_title")),
        ft.Text(app.t("enrolled_as", village=st.get("village") or "-") if app.session.person_id
                else app.t("not_enrolled"), size=15),
    ]
    if not app.session.person_id:
        body.append(app.button(app.t("enroll_do"), lambda: app.go("enroll"), kind="outlined",
                               icon=ft.Icons.VERIFIED_USER))
    from fieldapp.ui import setup
    body += [
        app.button(app.t("add_user"), lambda: setup.user_form(app, first=False), kind="outlined",
                   icon=ft.Icons.PERSON_ADD),
        ft.Divider(),
        app.heading(app.t("wipe")),
        ft.Text(app.t("wipe_hint"), size=15),
        app.button(app.t("wipe"), wipe, color=RED, icon=ft.Icons.DELETE_FOREVER),
        ft.Divider(),
        app.heading(app.t("about")),
        ft.Text(app.t("about_text", v=VERSION), size=15),
        ft.Text(app.t("device_id", id=st.get("device_id") or "-"), size=13, color="#555555", selectable=True),
    ]
    app.render(app.t("settings"), body, back=lambda: app.go("home"))

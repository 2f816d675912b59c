"""Settings: language, retention after receipt, automatic sync, enrollment, users,
quick wipe (after a confirm), about."""
from __future__ import annotations

import flet as ft

from core import localtime
from fieldapp import history, i18n
from fieldapp.ui.fields import options
from fieldapp.ui.shell import RED

VERSION = "0.1.0"


def show(app) -> None:
    if app.session is None:
        app.go("lock")
        return
    dev = app.device

    def set_lang(value):
        app.set_lang(value)
        show(app)

    def set_retention(value):
        for v, o in retention_opts.items():
            o.select(v == value)
        dev.set_setting("retention", value)
        app.page.update()

    def set_sync(_):
        on = dev.setting("sync", "on") != "on"
        dev.set_setting("sync", "on" if on else "off")
        sync_opt["on"].select(on)
        app.page.update()

    async def wipe():
        if await app.confirm(app.t("wipe_q"), app.t("wipe_confirm"), danger=True):
            app.session = None
            dev.wipe()
            app.device = type(dev).init(app.data_dir)
            app.notice = app.t("wiped")
            app.go("setup")

    def set_tz(value):
        for v, o in tz_opts.items():
            o.select(v == value)
        dev.set_setting("tz", "" if value == "auto" else value)
        app.page.update()

    st = dev.status()
    auto = localtime.zone()
    tz_box, tz_opts = options(
        app, [("auto", app.t("tz_auto", zone=auto))] + [(z, app.t("tz_" + z)) for z in localtime.ZONES],
        dev.setting("tz") or "auto", False, set_tz)
    lang_box, _ = options(app, list(i18n.LANG_NAMES.items()), app.lang, False, set_lang)
    retention_box, retention_opts = options(
        app, [("purge", app.t("retention_purge")), ("keep", app.t("retention_keep"))],
        dev.setting("retention", "purge"), False, set_retention)
    def set_summary_days(value):
        for v, o in days_opts.items():
            o.select(v == value)
        dev.set_setting("summary_days", value)
        app.page.update()

    days_box, days_opts = options(
        app, [(d, app.t("days_" + d)) for d in history.SUMMARY_DAYS],
        dev.setting("summary_days", history.DEFAULT_SUMMARY_DAYS), False, set_summary_days)
    sync_box, sync_opt = options(app, [("on", app.t("sync_auto"))],
                                 {"on"} if dev.setting("sync", "on") == "on" else set(), True, set_sync)
    body: list[ft.Control] = [
        app.heading(app.t("language")), lang_box,
        ft.Divider(),
        app.heading(app.t("timezone")), tz_box,
        ft.Divider(),
        app.heading(app.t("retention")), retention_box,
        ft.Divider(),
        app.heading(app.t("summary_days")), ft.Text(app.t("summary_days_hint"), size=15), days_box,
        ft.Divider(),
        sync_box,
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
        ft.Text(app.t("device_id", id=st.get("device_id") or "-"), size=13, color="#555555"),
        ft.Text(app.t("secret_store_title"), size=15, weight=ft.FontWeight.BOLD),
        ft.Text(app.device.secret_store_text(app.lang), size=14, color="#555555"),
    ]
    app.render(app.t("settings"), body, back=lambda: app.go("home"))

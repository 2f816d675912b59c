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

    def set_label(value):
        for v, o in label_opts.items():
            o.select(v == value)
        dev.set_setting("app_label", value)
        app.page.update()

    label_box, label_opts = options(app, [("", app.t("app_name")), (app.t("app_label_neutral"),
                                                                     app.t("app_label_neutral"))],
                                    dev.setting("app_label") or "", False, set_label)
    body += [
        app.button(app.t("add_user"), lambda: setup.user_form(app, first=False), kind="outlined",
                   icon=ft.Icons.PERSON_ADD),
        app.button(app.t("change_pin"), lambda: change_pin(app), kind="outlined", icon=ft.Icons.PASSWORD),
        ft.Divider(),
        app.heading(app.t("app_label")), ft.Text(app.t("app_label_hint"), size=15), label_box,
        ft.Divider(),
        *_space(app),
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


def _space(app) -> list[ft.Control]:
    """The room left, in her words, and (in the offline app) whether the browser keeps the
    data; below LOW_SPACE_MB also the home screen's warning, before a save fails."""
    room = app.device.space()
    rows: list[ft.Control] = [app.heading(app.t("space_title")),
                              ft.Text(app.t("space_free", free=i18n.size_text(room["free"], app.lang)), size=15)]
    if room["low"]:
        rows.append(app.banner(app.t("space_low", free=i18n.size_text(room["free"], app.lang)), kind="warn"))
    if room.get("persisted") is not None:
        rows.append(ft.Text(app.t("space_kept" if room["persisted"] else "space_not_kept"), size=14,
                            color="#555555"))
    return rows


def change_pin(app) -> None:
    """"Ganti PIN" for the unlocked user: the current PIN (a counted try, like the lock screen),
    then the new one twice. Her data key stays; only its wrapping changes (users.change_pin)."""
    from core.errors import LockedOut, PinError
    from fieldapp.users import PIN_RE, PinWait
    passphrase = next((u["passphrase"] for u in app.device.users() if u["id"] == app.session.user_id), False)
    kw = {} if passphrase else {"keyboard_type": ft.KeyboardType.NUMBER, "input_filter": ft.NumbersOnlyInputFilter()}
    old = ft.TextField(label=app.t("pin_current"), password=True, autofocus=True, **kw)
    new = ft.TextField(label=app.t("pin_new"), password=True, **kw)
    again = ft.TextField(label=app.t("pin_repeat"), password=True, **kw)
    status = ft.Text("", color=RED, size=15)

    async def save():
        import asyncio
        for f in (old, new, again):
            f.error = None
        value = new.value or ""
        if not (PIN_RE.match(value) or (passphrase and len(value) >= 8)):
            new.error = app.t("pin_format")
        elif value != again.value:
            again.error = app.t("pin_mismatch")
        if new.error or again.error:
            app.page.update()
            return
        try:
            await asyncio.to_thread(app.device.change_pin, app.session.user_id, old.value or "", value)
        except PinWait as exc:
            old.error = app.t("pin_wait", s=exc.seconds, n=exc.remaining)
        except LockedOut:
            app.session = None
            app.go("lock", message=app.t("locked_out"))
            return
        except PinError as exc:
            old.error = app.t("pin_last_try") if exc.remaining == 1 else app.t("pin_wrong", n=exc.remaining)
        except Exception as exc:   # noqa: BLE001 — said on the screen, never a silent tap
            status.value = i18n.error_text(exc, app.lang)
        else:
            app.notice = app.t("pin_changed")
            show(app)
            return
        old.value = ""
        app.page.update()

    again.on_submit = app.handler(save)
    app.render(app.t("change_pin"), [old, new, again, status,
                                     app.button(app.t("change_pin"), save, icon=ft.Icons.PASSWORD)],
               back=lambda: show(app))

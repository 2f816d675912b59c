"""A phone that is full (or a store that will not open) says so in her words: what happened,
that nothing is lost, what to delete — and never offers to start over in a new data folder,
which would leave sealed reports behind unsent. Shown at start when the store cannot be
opened, and as a dialog when the phone fills up while the app is open."""
from __future__ import annotations

import flet as ft

from core.errors import CorruptStore, JagaError, StorageFull
from fieldapp import i18n, store


def _waiting_text(app) -> str:
    n = store.sealed_waiting(app.data_dir)
    if n is None:
        return app.t("full_nothing_lost")
    return app.t("full_nothing_lost") + " " + (app.t("full_waiting", n=n) if n else "")


def show(app) -> None:
    """The start screen when the store would not open (app.startup_error)."""
    exc = app.startup_error
    full = isinstance(exc, StorageFull)
    status = ft.Text("", color="#B3261E", size=15)

    def retry():
        from fieldapp.device import Device
        try:
            app.device = Device.init(app.data_dir)
        except (StorageFull, CorruptStore) as again:
            app.startup_error = again
            status.value = app.t("full_still", free=i18n.size_text(store.free_bytes(app.data_dir), app.lang)) \
                if isinstance(again, StorageFull) else i18n.error_text(again, app.lang)
            app.page.update()
            return
        app.startup_error = None
        app.lang = app.device.setting("lang") or app.lang
        app.start()

    if full:
        body = [app.banner(app.t("full_title"), "error"),
                ft.Text(_waiting_text(app), size=15),
                app.heading(app.t("full_what_title")),
                ft.Text(app.t("full_what", need=store_need(app)), size=15),
                app.banner(app.t("full_dont"), "warn")]
    else:
        body = [app.banner(app.t("damaged_title"), "error"),
                ft.Text(app.t("damaged_keep"), size=15),
                ft.Text(i18n.error_text(exc, app.lang) if isinstance(exc, JagaError) else str(exc), size=13,
                        color="#555555")]
    body += [status, app.button(app.t("retry"), retry, icon=ft.Icons.REFRESH)]
    app.render(app.t("app_name"), body)


def store_need(app) -> str:
    from fieldapp.device import LOW_SPACE_MB
    return f"{LOW_SPACE_MB} MB"


def full_dialog(app) -> None:
    """The phone filled up under her: the last change was not saved, what is saved stays."""
    def close(_=None):
        app.page.pop_dialog()
    app.page.show_dialog(ft.AlertDialog(
        modal=True, title=ft.Text(app.t("full_title"), size=17),
        content=ft.Text(app.t("full_tap") + " " + app.t("full_delete", need=store_need(app)), size=15),
        actions=[ft.TextButton(content=ft.Text(app.t("full_ok")), on_click=close, height=48)]))

"""The app shell: one per browser session. Holds the device, the unlocked session, the
language, navigation between screens, and the auto-lock.

Screens are modules in this package with a `show(app, **kw)` function; they build their
controls and hand them to `app.render`. Every event handler goes through `app.handler`,
which counts as activity (for the inactivity lock) and turns an unexpected exception
into a message instead of Flet's "Error running app" card — nothing typed is lost,
because forms autosave before anything else can fail.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import functools
import importlib
import inspect
import logging
import os
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Callable

import flet as ft

from core import localtime
from core.errors import CorruptStore, JagaError, StorageFull
from fieldapp import i18n
from fieldapp.device import Device
from fieldapp.users import Session

log = logging.getLogger("jaga.ui")

IDLE_SECONDS = float(os.environ.get("JAGA_IDLE_SECONDS", "180"))
TAP = 52            # primary button height; every tappable is >= 48 px
RED = "#B3261E"
GREEN = "#1B6E3A"
BLUE = "#0B4F8A"
MAX_WIDTH = 720      # px: the content column on tablets and desktops


class App:
    def __init__(self, page: ft.Page, data_dir: Path, upload_dir: Path) -> None:
        self.page = page
        self.data_dir = Path(data_dir)
        self.upload_dir = Path(upload_dir)
        self.session: Session | None = None
        self.startup_error: JagaError | None = None     # the store would not open: fieldapp/ui/storage
        try:
            self.device = Device.init(self.data_dir)
        except (StorageFull, CorruptStore) as exc:
            self.device, self.startup_error = None, exc
        self.lang = (self.device.setting("lang") if self.device else None) or i18n.DEFAULT
        self.last_activity = time.monotonic()
        # Flet runs plain (non-async) handlers on a thread pool, so a tap can run while the
        # keystrokes before it are still being handled: both then change the same answers and
        # the same controls, and one page.update() can send the other's half-made tree (a
        # repeat group's second entry was lost that way). Flutter itself handles one event at a
        # time; so does the app. Re-entrant: a handler may call another wrapped one.
        self._events = threading.RLock()
        self.resume: dict | None = None     # {"user_id", "report_id", "section"} after an auto-lock
        self.resume_point: dict | None = None   # set by the form screen: where to come back to
        self.form_report_id: str | None = None  # the draft the form screen is editing
        self.screen = ""
        self.notice: str | None = None      # shown once on the next screen
        self.notice_kind = "info"           # ... as good news, or "warn" when something failed

    # ── language ───────────────────────────────────────────────────────────
    def t(self, key: str, **kw: Any) -> str:
        return i18n.t(key, self.lang, **kw)

    def zone(self) -> str:
        """This phone's zone name (WIB/WITA/WIT): the settings choice, else the device's own offset."""
        return localtime.zone(self.device.setting("tz"))

    def wall_clock(self):
        """What a clock in this phone's zone reads now: the only "now" a person is shown or
        offered as an answer (the app process may run in UTC, or another zone than chosen)."""
        return localtime.wall_clock(self.zone())

    def local(self, value: Any, date: bool = True) -> str:
        """A stored UTC time (ISO text or epoch ms) as this phone's local time with its zone name."""
        return localtime.format(value, self.zone(), self.lang, date=date)

    def day(self, text: str | None) -> str:
        """A stored coarse day ("2026-11-26") the Indonesian way: 26 November 2026."""
        try:
            return localtime.date_text(dt.date.fromisoformat(text or ""), self.lang)
        except ValueError:
            return text or ""

    def set_lang(self, lang: str) -> None:
        self.lang = lang if lang in i18n.LANGS else i18n.DEFAULT
        self.device.set_setting("lang", self.lang)
        self._apply_locale()

    def _apply_locale(self) -> None:
        """Flutter's own words (date picker months, buttons) follow the app's language."""
        locales = {"id": ft.Locale("id", "ID"), "en": ft.Locale("en", "GB")}
        self.page.locale_configuration = ft.LocaleConfiguration(
            supported_locales=list(locales.values()), current_locale=locales[self.lang])

    # ── start / navigation ─────────────────────────────────────────────────
    def start(self) -> None:
        p = self.page
        p.title = (self.device.setting("app_label") if self.device else None) or "Jaga Desa"   # the tab, too
        p.padding = 0
        p.theme_mode = ft.ThemeMode.LIGHT
        p.theme = ft.Theme(color_scheme_seed=BLUE)
        p.on_app_lifecycle_state_change = self._on_lifecycle
        self._apply_locale()
        p.run_task(self._idle_watch)
        if self.startup_error is not None:
            self.go("storage")
        elif not self.device.users():
            self.go("setup")
        else:
            self.go("lock")

    def go(self, screen: str, **kw: Any) -> None:
        self.screen = screen
        module = importlib.import_module(f"fieldapp.ui.{screen}")
        module.show(self, **kw)

    def render(self, title: str, body: list[ft.Control], *, actions: list[ft.Control] | None = None,
               back: Callable | None = None, footer: list[ft.Control] | None = None,
               footer_top: ft.Control | None = None) -> None:
        """One screen: a header (title, optional back, actions), scrolling body, fixed footer."""
        lead = [self.icon_button(ft.Icons.ARROW_BACK, self.t("back"), back)] if back else []
        header = ft.Container(
            ft.Row([*lead, ft.Semantics(content=ft.Text(title, size=20, weight=ft.FontWeight.BOLD, color="white",
                                                        max_lines=2),
                                        header=True, heading_level=1, expand=True),
                    *(actions or [])], spacing=4),
            bgcolor=BLUE, padding=ft.Padding.symmetric(horizontal=8, vertical=6))
        if self.notice:
            body = [self.banner(self.notice, kind=self.notice_kind), *body]
            self.notice, self.notice_kind = None, "info"
        content = ft.Column(body, spacing=12, scroll=ft.ScrollMode.AUTO, expand=True,
                            horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self.content = content
        parts: list[ft.Control] = [header, ft.Container(content, padding=12, expand=True)]
        if footer:
            for c in footer:
                c.expand = True
            row: ft.Control = ft.Row(footer, spacing=8)
            if footer_top is not None:      # e.g. "Periksa & kirim": always reachable, never scrolled to
                row = ft.Column([footer_top, row], spacing=8, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
            parts.append(ft.Container(row, padding=ft.Padding.symmetric(horizontal=12, vertical=8),
                                      border=ft.Border.only(top=ft.BorderSide(1, "#DDDDDD"))))
        column = ft.Column(parts, spacing=0, expand=True)
        # On a wide screen the app keeps a phone-like column instead of 1,400 px lines.
        wide = (self.page.width or 0) > MAX_WIDTH + 40
        box = ft.Container(column, width=MAX_WIDTH, border=ft.Border.symmetric(
            horizontal=ft.BorderSide(1, "#DDDDDD"))) if wide else ft.Container(column, expand=True)
        self.page.controls.clear()
        self.page.controls.append(
            ft.SafeArea(ft.Row([box], expand=True, alignment=ft.MainAxisAlignment.CENTER,
                               vertical_alignment=ft.CrossAxisAlignment.STRETCH), expand=True))
        self.page.update()

    def spawn(self, fn: Callable, *args: Any) -> None:
        """page.run_task that does nothing once the browser session is gone (a closed tab)."""
        try:
            self.page.run_task(fn, *args)
        except (AttributeError, RuntimeError):      # no connection / loop any more
            log.info("session closed; background task %s not started", getattr(fn, "__name__", fn))

    # ── activity, locking ──────────────────────────────────────────────────
    def touch(self) -> None:
        self.last_activity = time.monotonic()

    def handler(self, fn: Callable) -> Callable:
        """Wrap an event handler: counts as activity; errors become a message, not a crash."""
        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def run_async(*a):
                self.touch()
                try:
                    return await fn(*a[:_arity(fn)])
                except Exception as exc:   # noqa: BLE001 — last line of defence for the UI
                    self._crash(exc)
            return run_async

        @functools.wraps(fn)
        def run(*a):
            with self._events:
                self.touch()
                try:
                    return fn(*a[:_arity(fn)])
                except Exception as exc:   # noqa: BLE001
                    self._crash(exc)
        return run

    def _crash(self, exc: Exception) -> None:
        if _tab_gone(exc):
            # The tab closed while the handler was drawing: nothing failed and nobody is
            # left to tell (a message would only raise again on the closed connection).
            log.info("session closed during a handler: %s", exc)
            return
        if isinstance(exc, StorageFull):     # not a bug: say what happened and what to do, and stay
            log.warning("storage full: %s", exc)
            self.storage_full()
            return
        log.exception("UI handler failed")
        self.toast(self.t("error", why=i18n.error_text(exc, self.lang)), error=True)

    def storage_full(self) -> None:
        """The phone filled up while the app was open: a dialog that stays until she closes it
        (a toast fades while she is still wondering why the tap did nothing)."""
        from fieldapp.ui import storage
        storage.full_dialog(self)

    def lock(self, auto: bool = False) -> None:
        if self.session is None:
            return
        if auto and self.screen in ("form", "confirm") and self.resume_point:
            self.resume = {"user_id": self.session.user_id, **self.resume_point}
        self.session.lock()
        self.session = None
        _close_dialog(self.page)
        if auto:
            self.notice = self.t("auto_locked")
        self.go("lock")

    def _on_lifecycle(self, e) -> None:
        if e.state in (ft.AppLifecycleState.HIDE, ft.AppLifecycleState.PAUSE, ft.AppLifecycleState.DETACH):
            self.lock(auto=True)

    async def _idle_watch(self) -> None:
        while True:
            await asyncio.sleep(min(5.0, IDLE_SECONDS / 2))
            if self.session is not None and time.monotonic() - self.last_activity > IDLE_SECONDS:
                try:
                    self.lock(auto=True)
                except Exception:   # noqa: BLE001 — the session may have gone away with its tab
                    log.exception("auto-lock failed")
                    return

    # ── small building blocks shared by the screens ────────────────────────
    def button(self, text: str, on_click: Callable | None, *, kind: str = "filled", icon=None,
               color: str | None = None, expand: bool = False, height: int = TAP,
               tooltip: str | None = None, disabled: bool = False, url: str | None = None) -> ft.Control:
        cls = {"filled": ft.FilledButton, "outlined": ft.OutlinedButton, "text": ft.TextButton}[kind]
        kw: dict[str, Any] = {}
        if color and kind == "filled":
            kw["bgcolor"] = color
            kw["color"] = "white"
        if url:
            kw["url"] = url     # e.g. tel:110 — the phone's dialler opens with the number
        return cls(content=ft.Text(text, size=16, text_align=ft.TextAlign.CENTER), icon=icon,
                   on_click=self.handler(on_click) if on_click else None, expand=expand,
                   height=height, tooltip=tooltip, disabled=disabled,
                   style=ft.ButtonStyle(shape=ft.RoundedRectangleBorder(radius=10)), **kw)

    def icon_button(self, icon, label: str, on_click: Callable | None, color: str = "white") -> ft.Control:
        """A compact button with an icon AND a visible word: Flet 1.0.5 gives an icon-only
        button no accessible name (a tooltip does not become one; wrapping it in
        Semantics with a tooltip breaks rendering), and words help first-time users too."""
        return ft.TextButton(content=ft.Text(label, color=color, size=14), icon=icon, icon_color=color,
                             on_click=self.handler(on_click) if on_click else None, height=48,
                             style=ft.ButtonStyle(padding=ft.Padding.symmetric(horizontal=8)))

    def banner(self, text: str, kind: str = "info") -> ft.Control:
        colors = {"info": ("#E3F0FB", BLUE), "error": ("#FBE4E2", RED), "ok": ("#E2F4E8", GREEN),
                  "warn": ("#FFF4D6", "#7A5200")}
        bg, fg = colors[kind]
        return ft.Container(ft.Text(text, color=fg, size=15), bgcolor=bg, padding=12, border_radius=8)

    def heading(self, text: str, level: int = 2) -> ft.Control:
        """A section heading a screen reader can jump to (an <h2> in web mode)."""
        return ft.Semantics(content=ft.Text(text, size=18, weight=ft.FontWeight.BOLD), header=True,
                            heading_level=level)

    def toast(self, text: str, error: bool = False) -> None:
        self.page.show_dialog(ft.SnackBar(ft.Text(text, color="white"), bgcolor=RED if error else "#333333",
                                          duration=ft.Duration(seconds=5)))

    async def confirm(self, question: str, yes: str, danger: bool = False) -> bool:
        answer: asyncio.Future = asyncio.get_running_loop().create_future()

        def done(value: bool):
            def _h(_):
                if not answer.done():
                    answer.set_result(value)
                self.page.pop_dialog()
            return _h
        self.page.show_dialog(ft.AlertDialog(
            modal=True, title=ft.Text(question, size=17),
            actions=[ft.TextButton(content=ft.Text(self.t("cancel")), on_click=done(False), height=48),
                     ft.FilledButton(content=ft.Text(yes), on_click=done(True), height=48,
                                     bgcolor=RED if danger else None, color="white" if danger else None)]))
        return await answer


def _arity(fn: Callable) -> int:
    try:
        # parameters with defaults are closure values (lambda v=x: ...), never the event
        return len([p for p in inspect.signature(fn).parameters.values()
                    if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty])
    except (TypeError, ValueError):
        return 1


def _close_dialog(page: ft.Page) -> None:
    try:
        page.pop_dialog()
    except Exception:   # noqa: BLE001 — nothing open
        pass


def _tab_gone(exc: Exception) -> bool:
    """Whether `exc` is Flet's web connection refusing to send because the browser went away
    (its send queue is dropped on disconnect, so sending raises AttributeError/RuntimeError
    from inside flet_web) — as spawn() treats a closed session."""
    if not isinstance(exc, (AttributeError, RuntimeError)):
        return False
    return any("flet_web" in frame.filename and frame.name == "send_message"
               for frame in traceback.extract_tb(exc.__traceback__))

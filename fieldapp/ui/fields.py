"""One input widget per form field type, driven by the form definition.

Each widget reads its answer from and writes it to the shared `answers` dict and calls
`changed()` after every edit (the form screen autosaves and re-applies conditions).
Text the user types is kept as typed when it does not parse (e.g. "12a" in a number
field), so the engine's message explains it and nothing typed is lost.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import sys
import uuid
from pathlib import Path
from typing import Any, Callable

import flet as ft
import flet_audio as fta
import flet_audio_recorder as ftr
import flet_geolocator as ftg

from fieldapp import i18n, photos_web, voice
from core.errors import JagaError
from fieldapp.photos import MAX_INPUT, PhotoError
from fieldapp.ui.shell import RED
from forms.validation import normalize_temporal, parse_integer

ERROR_COLOR = RED
LONG_LABEL = 34         # characters: longer floating labels wrap on a 360 px screen


class Widget:
    def __init__(self, app, field, answers: dict, changed: Callable[[str], None]) -> None:
        self.app, self.field, self.answers, self.changed = app, field, answers, changed
        # Always in the tree, empty when fine: toggling `visible` makes Flutter re-match the
        # column's children and the text field being typed in loses its focus.
        self.error = ft.Text("", color=ERROR_COLOR, size=14)
        label = field.label(app.lang) + (f" {app.t('required_mark')}" if field.required else "")
        self.title = ft.Text(label, size=16, weight=ft.FontWeight.BOLD)
        hint = field.hint(app.lang)
        self.hint = ft.Text(hint, size=14, color="#555555", visible=bool(hint))
        self.body = self.build()
        # No height while empty (a blank line under every field pushed "Lanjut"-bound fields
        # below the fold); resizing keeps the tree, so the focus stays where it is.
        self.error_box = ft.Container(self.error, height=0)
        self.control = ft.Container(ft.Column([self.title, self.hint, self.body, self.error_box], spacing=6,
                                              horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
                                    key=ft.ScrollKey(f"field-{field.name}"),
                                    padding=ft.Padding.only(bottom=8))

    def build(self) -> ft.Control:
        raise NotImplementedError

    def set(self, value: Any) -> None:
        if value is None or value == "" or value == []:
            self.answers.pop(self.field.name, None)
        else:
            self.answers[self.field.name] = value
        self.changed(self.field.name)

    def show_error(self, message: str | None) -> None:
        self.error.value = message or ""
        self.error_box.height = None if message else 0

    def show_errors(self, errors: dict[str, str]) -> None:
        """Take this widget's messages out of the form's {name: message}."""
        self.show_error(errors.get(self.field.name))

    def apply_visibility(self, form, answers: dict) -> None:
        """Only a repeat group has fields whose visibility it decides itself."""


class Note(Widget):
    def build(self):
        self.title.visible = False
        return ft.Container(ft.Text(self.field.label(self.app.lang), size=15), bgcolor="#FFF4D6",
                            padding=12, border_radius=8)


class TextInput(Widget):
    # Messages go in the Text under the field, never in the TextField's own `error`: Flet
    # 1.0.5 rebuilds the field when that changes and the focus jumps away mid-word (found
    # by the browser tests: the next space then pressed "Lanjut").
    def build(self):
        f = self.field
        multiline = f.type == "text" and int(f.constraint.get("max_length", 0) or 0) > 200
        kb = {"integer": ft.KeyboardType.NUMBER, "decimal": ft.KeyboardType.NUMBER}.get(f.type, ft.KeyboardType.TEXT)
        v = self.answers.get(f.name)
        self.input = ft.TextField(label=f.label(self.app.lang), value="" if v is None else str(v),
                                  multiline=multiline, min_lines=3 if multiline else 1, max_lines=8 if multiline else 1,
                                  keyboard_type=kb,
                                  on_change=self.app.handler(self._on_change))
        self.title.visible = False     # the text field carries its own label
        if f.required:
            self.input.label = f"{f.label(self.app.lang)} {self.app.t('required_mark')}"
        if len(self.input.label) > LONG_LABEL:
            # A floating label that wraps climbs over the hint above it at 360 px: show the whole
            # question as the title instead and keep the field's own label to one line (its
            # accessible name stays the full question).
            self.title.visible = True
            self.input.label = ft.Text(self.input.label, max_lines=1, overflow=ft.TextOverflow.ELLIPSIS)
        return self.input

    def _on_change(self, e):
        raw = self.input.value or ""
        if self.field.type == "integer":
            self.set(_to_int(raw))
        elif self.field.type == "decimal":
            self.set(_to_float(raw))
        else:
            self.set(raw if raw.strip() else None)



def _to_int(raw: str):
    return parse_integer(raw)      # "2.5" stays "2.5" (refused with a message), never 25


def _to_float(raw: str):
    s = raw.strip().replace(",", ".")
    if not s:
        return None
    try:
        return float(s)
    except ValueError:
        return raw


class Option:
    """A large tappable option whose label wraps (Flet's Radio/Checkbox labels do not wrap and
    overflow a 360 px screen). Selection is restyled in place, so quick successive taps never
    hit a control being replaced.

    What a screen reader gets: a pick-one option is one radio (a Flutter Radio in the group's
    RadioGroup, merged with its text into one semantics node: role radio, named by the text,
    aria-checked), a pick-many option one checkbox the same way — never a checkbox wrapping a
    button (axe nested-interactive; and "checkbox" said "several may be chosen")."""

    def __init__(self, app, label: str, selected: bool, multi: bool, on_tap, value: str = "") -> None:
        self.multi, self.value = multi, value
        self.text = ft.Text(label, size=16, expand=True)
        tap = app.handler(on_tap)
        if multi:
            self.mark = ft.Checkbox(value=bool(selected), on_change=tap)
        else:
            self.mark = ft.Radio(value=value)
        self.box = ft.Container(ft.Row([self.mark, self.text], spacing=6),
                                padding=ft.Padding.only(left=4, right=12, top=8, bottom=8),   # >= 48 px tall
                                border_radius=10, on_click=tap, ink=True)
        self.control = ft.MergeSemantics(content=self.box)
        self.select(selected)

    def select(self, on: bool) -> None:
        if self.multi:
            self.mark.value = on
        elif on and getattr(self, "group", None) is not None:
            self.group.value = self.value
        color = "#0B4F8A" if on else "#333333"
        self.text.color = color
        self.text.weight = ft.FontWeight.BOLD if on else ft.FontWeight.NORMAL
        self.box.bgcolor = "#E3F0FB" if on else None
        self.box.border = ft.Border.all(2 if on else 1, color)


def options(app, items: list[tuple[str, str]], selected, multi: bool, on_tap) -> tuple[ft.Control, dict]:
    """A column of Options for (value, label) items; returns it and value -> Option. Pick-one
    options sit in one RadioGroup, which the Options keep in step through `select`."""
    opts = {v: Option(app, label, (v in selected) if multi else v == selected, multi,
                      (lambda v=v: on_tap(v)), value=v) for v, label in items}
    column = ft.Column([o.control for o in opts.values()], spacing=6,
                       horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
    if multi:
        return column, opts
    group = ft.RadioGroup(content=column, value=selected if selected in opts else None,
                          on_change=app.handler(lambda e: on_tap(e.control.value)))
    for o in opts.values():
        o.group = group
    return group, opts


class SelectOne(Widget):
    def build(self):
        box, self.opts = options(self.app, [(c.value, c.label(self.app.lang)) for c in self.field.choices],
                                 self.answers.get(self.field.name), False, self._pick)
        return box

    def _pick(self, value):
        for v, o in self.opts.items():
            o.select(v == value)
        self.set(value)


class SelectMany(Widget):
    def build(self):
        box, self.opts = options(self.app, [(c.value, c.label(self.app.lang)) for c in self.field.choices],
                                 set(self.answers.get(self.field.name) or []), True, self._toggle)
        return box

    def _toggle(self, value):
        cur = list(self.answers.get(self.field.name) or [])
        cur = [v for v in cur if v != value] if value in cur else cur + [value]
        for v, o in self.opts.items():
            o.select(v in cur)
        order = [c.value for c in self.field.choices]
        self.set(sorted(cur, key=order.index) or None)


class DateTimeInput(Widget):
    """Typed text (YYYY-MM-DD[ hh:mm]) plus pickers and a one-tap 'now'/'today'."""
    def build(self):
        f = self.field
        self.is_dt = f.type == "datetime"
        v = self.answers.get(f.name) or ""
        self.input = ft.TextField(label=f.label(self.app.lang) + (f" {self.app.t('required_mark')}" if f.required else ""),
                                  value=v.replace("T", " "), hint_text="2025-01-31 19:30" if self.is_dt else "2025-01-31",
                                  keyboard_type=ft.KeyboardType.DATETIME,
                                  on_change=self.app.handler(self._typed))
        # the format under the field as wrapping text: a TextField helper is one line, cut at 360 px
        self.format_hint = ft.Text(self.app.t("datetime_format" if self.is_dt else "date_format")
                                   + (f" ({self.app.t('clock_zone', zone=self.app.zone())})" if self.is_dt else ""),
                                   size=13, color="#555555")
        self.title.visible = False
        buttons = [self.app.button(self.app.t("now" if self.is_dt else "today"), self._now, kind="outlined",
                                   icon=ft.Icons.SCHEDULE, height=48, expand=True),
                   self.app.button(self.app.t("pick_date"), self._pick_date, kind="outlined",
                                   icon=ft.Icons.CALENDAR_MONTH, height=48, expand=True)]
        if self.is_dt:
            buttons.append(self.app.button(self.app.t("pick_time"), self._pick_time, kind="outlined",
                                           icon=ft.Icons.ACCESS_TIME, height=48))
        return ft.Column([self.input, self.format_hint, ft.Row(buttons[:2], spacing=8), *(buttons[2:])], spacing=6,
                         horizontal_alignment=ft.CrossAxisAlignment.STRETCH)

    def _store(self, text: str):
        self.input.value = text
        t = normalize_temporal(self.field.type, text)     # also accepts 26-11-2026 [19:30]
        self.set(t or None)

    def _typed(self, e):
        self._store(self.input.value or "")

    def _now(self):
        now = self.app.wall_clock()
        self._store(now.strftime("%Y-%m-%d %H:%M") if self.is_dt else now.strftime("%Y-%m-%d"))
        self.app.page.update()

    def _current(self) -> dt.datetime:
        try:
            return dt.datetime.fromisoformat((self.input.value or "").strip().replace(" ", "T"))
        except ValueError:
            return self.app.wall_clock().replace(second=0)

    def _pick_date(self):
        cur = self._current()

        def picked(e):
            d = e.control.value
            if d is None:
                return
            d = d.date() if isinstance(d, dt.datetime) else d
            text = d.isoformat() + (cur.strftime(" %H:%M") if self.is_dt else "")
            self._store(text)
            self.app.page.update()
        self.app.page.show_dialog(ft.DatePicker(value=cur, first_date=dt.datetime(2000, 1, 1),
                                                last_date=self.app.wall_clock() + dt.timedelta(days=366),
                                                on_change=self.app.handler(picked),
                                                confirm_text="OK", cancel_text=self.app.t("cancel"),
                                                help_text=self.app.t("pick_date")))

    def _pick_time(self):
        cur = self._current()

        def picked(e):
            tm = e.control.value
            if tm is None:
                return
            self._store(f"{cur.date().isoformat()} {tm.hour:02d}:{tm.minute:02d}")
            self.app.page.update()
        self.app.page.show_dialog(ft.TimePicker(value=cur.time(), on_change=self.app.handler(picked),
                                                confirm_text="OK", cancel_text=self.app.t("cancel"),
                                                help_text=self.app.t("pick_time"),
                                                hour_label_text=self.app.t("pick_time")))


class GeoPoint(Widget):
    """GPS via the browser/phone (flet-geolocator), accuracy shown. No typed latitude and
    longitude: nobody in a village knows them, and a wrong pair put the report in the sea —
    the place's name is asked in words on the same step."""
    def build(self):
        self.status = ft.Text("", size=15)
        self._describe()
        return ft.Column([
            self.status,
            self.app.button(self.app.t("gps_get"), self._gps, icon=ft.Icons.MY_LOCATION, height=48),
            self.app.button(self.app.t("gps_clear"), self._clear, kind="text", height=48),
        ], spacing=6, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)

    def _describe(self):
        v = self.answers.get(self.field.name)
        if not isinstance(v, dict) or "lat" not in v:
            self.status.value = self.app.t("gps_none")
        elif v.get("accuracy") is not None:
            self.status.value = self.app.t("gps_got", lat=f"{v['lat']:.5f}", lon=f"{v['lon']:.5f}",
                                           acc=f"{v['accuracy']:.0f}")
        else:
            self.status.value = self.app.t("gps_manual", lat=f"{v['lat']:.5f}", lon=f"{v['lon']:.5f}")

    async def _gps(self):
        self.status.value = self.app.t("gps_wait")
        self.app.page.update()
        geo = _service(self.app.page, ftg.Geolocator)
        try:
            pos = await asyncio.wait_for(geo.get_current_position(), timeout=20)
        except Exception as exc:   # noqa: BLE001 — permission denied, no fix, timeout: said, and the place in words stays
            self.status.value = self.app.t("gps_failed", why=str(exc)[:80] or type(exc).__name__)
            self.app.page.update()
            return
        value = {"lat": round(pos.latitude, 6), "lon": round(pos.longitude, 6)}
        if pos.accuracy is not None:
            value["accuracy"] = round(float(pos.accuracy), 1)
        self.set(value)
        self._describe()
        self.app.page.update()

    def _clear(self):
        self.set(None)
        self._describe()
        self.app.page.update()


class Photos(Widget):
    """Pick → upload to upload_dir → at once re-encode + encrypt into the store, delete the file.
    In the offline app there is no server to upload to: the picked bytes come with the pick
    and the browser's canvas re-encodes them first (photos_web)."""
    def build(self):
        self.list = ft.Column(spacing=4)
        self.progress = ft.Text("", size=14, visible=False)
        self.note = ft.Text("", size=14)
        self._refresh()
        return ft.Column([self.list, self.progress, self.note,
                          self.app.button(self.app.t("photo_add"), self._pick, icon=ft.Icons.ADD_A_PHOTO,
                                          kind="outlined", height=48)], spacing=6,
                         horizontal_alignment=ft.CrossAxisAlignment.STRETCH)

    def _ids(self) -> list[str]:
        v = self.answers.get(self.field.name)
        return list(v) if isinstance(v, list) else []

    def _refresh(self):
        self.list.controls.clear()
        sizes = _photo_sizes(self.app, self._ids())
        for i, att in enumerate(self._ids(), 1):
            self.list.controls.append(ft.Row([
                ft.Icon(ft.Icons.IMAGE), ft.Text(self.app.t("photo_item", i=i, size=i18n.size_text(sizes.get(att, 0), self.app.lang)),
                                                 size=15, expand=True),
                self.app.icon_button(ft.Icons.DELETE_OUTLINE, self.app.t("photo_remove", i=i),
                                     lambda a=att: self._remove(a), color="#555555")]))

    def _remove(self, att):
        self.set([a for a in self._ids() if a != att] or None)
        self._refresh()
        self.app.page.update()

    async def _pick(self):
        limit = int(self.field.constraint.get("max_choices") or 5)
        if len(self._ids()) >= limit:
            self.show_error(self.app.t("photo_too_many", n=limit))
            self.app.page.update()
            return
        fp = _service(self.app.page, ft.FilePicker)
        in_browser = sys.platform == "emscripten"
        files = await fp.pick_files(file_type=ft.FilePickerFileType.IMAGE, allow_multiple=False,
                                    with_data=in_browser)
        if not files:
            return
        f = files[0]
        if in_browser:
            await self._attach(f.bytes or b"", in_browser=True)
            return
        # Our own random name in upload_dir: never the phone's file name (collisions between
        # sessions, path tricks, and a name can itself say something about the reporter).
        self.pending = self.app.upload_dir / f"{uuid.uuid4().hex}.upload"
        fp.on_upload = self.app.handler(self._on_upload)
        self.progress.value, self.progress.visible = self.app.t("photo_uploading", pct=0), True
        self.show_error(None)
        self.app.page.update()
        await fp.upload([ft.FilePickerUploadFile(name=f.name, id=f.id,
                                                 upload_url=self.app.page.get_upload_url(self.pending.name, 120))])

    async def _on_upload(self, e):
        if e.error:
            self.progress.visible = False
            self.show_error(self.app.t("photo_refused", why=e.error))
            _discard(self.pending)
            self.app.page.update()
            return
        if e.progress is None or e.progress < 1.0:
            self.progress.value = self.app.t("photo_uploading", pct=int((e.progress or 0) * 100))
            self.app.page.update()
            return
        raw = await _take_upload(self.pending)
        if raw is None:
            return
        await self._attach(raw)

    async def _attach(self, raw: bytes, in_browser: bool = False):
        self.progress.visible = False
        try:     # the offline app has no Pillow: the browser's canvas re-encodes it first
            clean = await photos_web.reencode(raw) if in_browser else raw
            att, size = await asyncio.to_thread(self.app.device.add_photo, self.app.session,
                                                self.app.ensure_draft(), clean)
        except PhotoError as exc:
            why = (self.app.t("photo_too_big", mb=MAX_INPUT // 1024 // 1024) if "too large" in exc.message
                   else self.app.t("photo_not_image"))
            self.show_error(self.app.t("photo_refused", why=why))
            self.app.page.update()
            return
        _PHOTO_SIZES[att] = size
        self.set(self._ids() + [att])
        self.note.value = self.app.t("photo_shrunk", before=i18n.size_text(len(raw), self.app.lang), after=i18n.size_text(size, self.app.lang))
        self._refresh()
        self.app.page.update()


class VoiceNote(Widget):
    """Record → the recorder streams raw PCM to upload_dir (the photos' upload URL; on the web
    the browser's own encoded blob cannot reach Python) → at once encoded to a bare Ogg Opus
    (fieldapp/voice.py), encrypted into the store as an attachment, the PCM deleted. One note
    per field (max_choices 1); "Putar" plays the stored note, "Hapus rekaman" drops it."""

    def build(self):
        self.status = ft.Text("", size=15)
        self.note = ft.Text("", size=14, color="#555555")
        self.record = self.app.button(self.app.t("voice_record"), self._start, icon=ft.Icons.MIC,
                                      kind="outlined", height=48)
        self.stop = self.app.button(self.app.t("voice_stop"), self._stop, icon=ft.Icons.STOP, color=RED, height=48)
        self.play = self.app.button(self.app.t("voice_play"), self._play, icon=ft.Icons.PLAY_ARROW,
                                    kind="outlined", height=48)
        self.delete = self.app.button(self.app.t("voice_delete"), self._delete, icon=ft.Icons.DELETE_OUTLINE,
                                      kind="outlined", height=48)
        self.pending: Path | None = None
        self.started = self.seconds = 0.0
        self._refresh()
        # One full-width button a line: side by side, "Hapus rekaman" is cut off at 360 px.
        return ft.Column([self.status, self.play, self.delete, self.record, self.stop, self.note], spacing=6,
                         horizontal_alignment=ft.CrossAxisAlignment.STRETCH)

    def _ids(self) -> list[str]:
        v = self.answers.get(self.field.name)
        return list(v) if isinstance(v, list) else []

    def _refresh(self, recording: bool = False, busy: bool = False) -> None:
        have = bool(self._ids())
        self.record.visible = not have and not recording and not busy
        self.stop.visible = recording
        self.play.visible = self.delete.visible = have and not recording
        if have:
            att = self._ids()[0]
            secs, size = _voice_info(self.app, att)
            self.status.value = self.app.t("voice_item", t=_mmss(secs), size=i18n.size_text(size, self.app.lang))
        elif busy:
            self.status.value = self.app.t("voice_processing")
        elif not recording:
            self.status.value = ""

    async def _start(self):
        rec = _service(self.app.page, ftr.AudioRecorder)
        if not await rec.has_permission():
            self.show_error(self.app.t("voice_no_mic"))
            self.app.page.update()
            return
        # Our own random name in upload_dir, as for photos; the link outlives the longest note.
        self.pending = self.app.upload_dir / f"{uuid.uuid4().hex}.upload"
        rec.on_upload = self.app.handler(self._on_upload)
        ok = await rec.start_recording(
            configuration=ftr.AudioRecorderConfiguration(encoder=ftr.AudioEncoder.PCM16BITS, sample_rate=voice.RATE,
                                                         channels=voice.CHANNELS, auto_gain=True,
                                                         suppress_noise=True),
            upload=ftr.AudioRecorderUploadSettings(
                upload_url=self.app.page.get_upload_url(self.pending.name, voice.MAX_SECONDS + 300), method="PUT"))
        if not ok:
            self.show_error(self.app.t("voice_no_mic"))
            self.app.page.update()
            return
        self.show_error(None)
        self.note.value = ""
        self.started = asyncio.get_running_loop().time()
        self._refresh(recording=True)
        self._show_elapsed()
        self.ticker = self.app.page.run_task(self._tick)

    def _show_elapsed(self) -> float:
        elapsed = asyncio.get_running_loop().time() - self.started
        self.status.value = self.app.t("voice_recording", t=_mmss(elapsed), max=_mmss(voice.MAX_SECONDS))
        self.app.page.update()
        return elapsed

    async def _tick(self):
        """The clock she sees, the stop at MAX_SECONDS, and "still here" for the idle lock
        (talking for two minutes is not being away from the phone)."""
        while self.stop.visible:
            elapsed = asyncio.get_running_loop().time() - self.started
            await asyncio.sleep(1.02 - elapsed % 1)     # just past the next whole second: none skipped
            if not self.stop.visible:
                return
            self.app.touch()
            if self._show_elapsed() >= voice.MAX_SECONDS:
                await self._stop()
                return

    async def _stop(self):
        if not self.stop.visible:
            return
        self._refresh(busy=True)
        self.app.page.update()
        # The upload finishes after the stop: _on_upload takes the file when it reports 1.0.
        self.seconds = asyncio.get_running_loop().time() - self.started
        await _service(self.app.page, ftr.AudioRecorder).stop_recording()

    async def _on_upload(self, e):
        if e.error:
            _discard(self.pending)
            self._refresh()
            self.show_error(self.app.t("voice_refused", why=e.error))
            self.app.page.update()
            return
        if e.progress is None or e.progress < 1.0 or self.pending is None:
            return
        path, self.pending = self.pending, None
        pcm = await _take_upload(path)
        if pcm is None:
            return
        try:
            att, size = await asyncio.to_thread(self.app.device.add_voice, self.app.session, self.app.ensure_draft(),
                                                pcm, voice.guess_rate(len(pcm), self.seconds))
        except voice.VoiceError as exc:
            self._refresh()
            self.show_error(self.app.t("voice_refused", why=exc.message))
            self.app.page.update()
            return
        _VOICE_INFO[att] = (voice.seconds(await asyncio.to_thread(self.app.device.attachment_bytes,
                                                                  self.app.session, att)), size)
        self.set([att])
        self.note.value = self.app.t("voice_saved")
        self._refresh()
        self.app.page.update()

    async def _play(self):
        ids = self._ids()
        if not ids:
            return
        data = await asyncio.to_thread(self.app.device.attachment_bytes, self.app.session, ids[0])
        player = _service(self.app.page, fta.Audio)
        player.src = data
        player.update()
        await player.play()

    def _delete(self):
        self.set(None)
        self.note.value = ""
        self._refresh()
        self.app.page.update()


_VOICE_INFO: dict[str, tuple[float, int]] = {}


def _voice_info(app, att: str) -> tuple[float, int]:
    if att not in _VOICE_INFO:    # a draft reopened: its length is read from the stored note
        try:
            data = app.device.attachment_bytes(app.session, att)
            _VOICE_INFO[att] = (voice.seconds(data), len(data))
        except JagaError:
            return 0.0, 0
    return _VOICE_INFO[att]


def _mmss(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 60}:{s % 60:02d}"


_PHOTO_SIZES: dict[str, int] = {}


def _photo_sizes(app, ids: list[str]) -> dict[str, int]:
    missing = [a for a in ids if a not in _PHOTO_SIZES]
    if missing:   # sizes are plaintext metadata in the store (no content)
        _PHOTO_SIZES.update(app.device.photo_sizes(missing))
    return {a: _PHOTO_SIZES.get(a, 0) for a in ids}


async def _take_upload(path: Path) -> bytes | None:
    """An upload's bytes, the file deleted at once (plaintext never outlives the handler);
    None for a duplicate "done" event after the file was already taken."""
    try:
        return await asyncio.to_thread(path.read_bytes)
    except OSError:
        return None
    finally:
        _discard(path)


def _discard(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def _service(page: ft.Page, cls):
    for s in page.services:
        if isinstance(s, cls):
            return s
    svc = cls()
    page.services.append(svc)
    page.update()
    return svc


class Repeat(Widget):
    """A repeat group: one card per entry with the group's own widgets, a labelled
    "remove entry n" button on each card and an "add" button under them. Entries live
    in answers[group] as a list of dicts; a blank entry is ignored by the engine, so an
    accidental "add" never blocks the report. Messages arrive keyed `group[i].field`."""

    def build(self):
        self.title.visible = True
        self.entries: list[dict] = self.answers.get(self.field.name)
        if not isinstance(self.entries, list):
            self.entries = []
        self.cards = ft.Column(spacing=10, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self.add = self.app.button(self.app.t("add_entry", what=self.field.label(self.app.lang)),
                                   self._add, kind="outlined", icon=ft.Icons.ADD)
        self._rebuild()
        return ft.Column([self.cards, self.add], spacing=8,
                         horizontal_alignment=ft.CrossAxisAlignment.STRETCH)

    def _rebuild(self) -> None:
        self.inner: list[dict[str, Widget]] = []
        cards = []
        for i, entry in enumerate(self.entries):
            ws = {}
            for sub in self.field.fields:
                w = make(self.app, sub, entry, self._entry_changed)
                w.control.key = ft.ScrollKey(f"field-{self.field.name}-{i}-{sub.name}")
                ws[sub.name] = w
            self.inner.append(ws)
            head = ft.Row([ft.Text(self.app.t("entry_title", i=i + 1), size=16, weight=ft.FontWeight.BOLD,
                                   expand=True),
                           self.app.button(self.app.t("remove_entry", i=i + 1), lambda i=i: self._remove(i),
                                           kind="text", icon=ft.Icons.DELETE_OUTLINE)])
            cards.append(ft.Container(ft.Column([head] + [w.control for w in ws.values()], spacing=6,
                                                horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
                                      border=ft.Border.all(1, "#BBBBBB"), border_radius=10, padding=10))
        self.cards.controls = cards
        self.add.disabled = len(self.entries) >= self.field.constraint.get("max_count", 10**6)

    def _store(self) -> None:
        self.set(self.entries if self.entries else None)

    def _entry_changed(self, name: str) -> None:
        self._store()

    def _add(self) -> None:
        self.entries.append({})
        self.answers[self.field.name] = self.entries
        self._rebuild()
        self._store()

    def _remove(self, i: int) -> None:
        del self.entries[i]
        self._rebuild()
        self._store()

    def show_errors(self, errors: dict[str, str]) -> None:
        self.show_error(errors.get(self.field.name))
        for i, ws in enumerate(self.inner):
            for name, w in ws.items():
                w.show_error(errors.get(f"{self.field.name}[{i}].{name}"))

    def apply_visibility(self, form, answers: dict) -> None:
        for entry, ws in zip(self.entries, self.inner):
            for name, w in ws.items():
                w.control.visible = form.is_visible(name, answers, entry)


WIDGETS = {"note": Note, "text": TextInput, "integer": TextInput, "decimal": TextInput,
           "select_one": SelectOne, "select_multiple": SelectMany, "date": DateTimeInput,
           "datetime": DateTimeInput, "geopoint": GeoPoint, "photo": Photos, "audio": VoiceNote,
           "repeat": Repeat}


def make(app, field, answers, changed) -> Widget:
    return WIDGETS[field.type](app, field, answers, changed)

"""The courier card on the home screen: when the signal does not come for days, the waiting
reports leave in one file someone carries to town, and the office's receipts come back the
same way (fieldapp/courier.py does the work; this only asks and tells).

"Kirim lewat kurir" hands the file to the phone: a download in the web app, the system's
save dialog on Android (Flet's FilePicker.save_file; not tried on a phone: docs/ANDROID.md).
Receipts, and another phone's courier file to carry, come in through the same file picker
and upload as photos do: the
upload lands in the data folder's upload_dir and is deleted as soon as it is read (it holds
nothing readable anyway: sealed envelopes or signed receipts).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Awaitable, Callable

import flet as ft

from core.errors import JagaError
from fieldapp import courier, i18n
from fieldapp.ui import syncing
from fieldapp.ui.fields import _service
from fieldapp.ui.shell import RED

MAX_UPLOAD_SECONDS = 600


def card(app, redraw: Callable[[], None]) -> ft.Control:
    """The card; `redraw` shows home again after something changed."""
    dev = app.device
    waiting, carried = dev.pending_count(), dev.status()["carried"]
    away = courier.left_by_courier(dev)
    note = ft.Text("", size=14, visible=False)

    def done(text: str) -> None:
        app.notice = text
        redraw()

    def failed(exc: Exception) -> None:
        note.value, note.color = (i18n.error_text(exc, app.lang) if isinstance(exc, JagaError)
                                  else str(exc)[:120]), RED
        note.visible = True
        app.page.update()

    async def send():
        try:
            data, n = await asyncio.to_thread(courier.export, dev)
        except JagaError as exc:
            failed(exc)
            return
        name = f"jaga-desa-kurir-{dt.date.today().isoformat()}.jdk"
        await _service(app.page, ft.FilePicker).save_file(file_name=name, src_bytes=data)
        done(app.t("courier_saved", n=n, name=name))

    async def give_back():
        data, n = await asyncio.to_thread(courier.receipts_file, dev)
        name = f"jaga-desa-tanda-terima-{dt.date.today().isoformat()}.json"
        await _service(app.page, ft.FilePicker).save_file(file_name=name, src_bytes=data)
        done(app.t("courier_given_back", n=n, name=name))

    async def receipts(data: bytes):
        got = await asyncio.to_thread(courier.take_receipts, dev, data)
        n = got.purged + got.refused
        done(app.t("courier_receipts_done", n=n) if n else app.t("courier_receipts_none"))

    async def carry(data: bytes):
        got = await asyncio.to_thread(courier.carry, dev, data)
        syncing.trigger()               # leave with this phone's own reports if there is signal
        done(app.t("courier_carried", n=got.taken))

    async def pick_receipts():
        await _pick(app, note, receipts, failed)

    async def pick_carry():
        await _pick(app, note, carry, failed)

    rows: list[ft.Control] = [app.heading(app.t("courier_title")), ft.Text(app.t("courier_hint"), size=14)]
    if away:
        rows.append(ft.Text(app.t("courier_waiting", n=len(away)), size=15, color="#7A5200"))
    rows += [note,
             app.button(app.t("courier_send"), send, kind="outlined", icon=ft.Icons.SEND_TO_MOBILE, height=48,
                        disabled=not (waiting or carried)),
             app.button(app.t("courier_receipts"), pick_receipts, kind="text",
                        icon=ft.Icons.FACT_CHECK, height=48),
             app.button(app.t("courier_carry"), pick_carry, kind="text",
                        icon=ft.Icons.LUGGAGE, height=48)]
    answered = courier.answered_count(dev)
    if answered:        # this phone carried reports for others: their receipts go back with it
        rows += [ft.Text(app.t("courier_answered", n=answered), size=14),
                 app.button(app.t("courier_give_back"), give_back, kind="outlined", icon=ft.Icons.SAVE_ALT,
                            height=48)]
    return ft.Container(ft.Column(rows, spacing=6, horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
                        padding=10, border_radius=8, border=ft.Border.all(1, "#DDDDDD"))


async def _pick(app, note: ft.Text, use: Callable[[bytes], Awaitable[None]], failed: Callable) -> None:
    """Pick one file, upload it into upload_dir under our own random name, read it, delete it,
    then hand its bytes to `use`."""
    fp = _service(app.page, ft.FilePicker)
    files = await fp.pick_files(allow_multiple=False)
    if not files:
        return
    path = app.upload_dir / f"{uuid.uuid4().hex}.upload"

    async def on_upload(e):
        if e.error:
            path.unlink(missing_ok=True)
            failed(JagaError(str(e.error)))
            return
        if e.progress is None or e.progress < 1.0:
            return
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError:
            return              # a duplicate "done" event after the file was handled
        finally:
            path.unlink(missing_ok=True)
        try:
            await use(data)
        except JagaError as exc:
            failed(exc)

    fp.on_upload = app.handler(on_upload)
    note.value, note.color, note.visible = app.t("courier_reading"), None, True
    app.page.update()
    await fp.upload([ft.FilePickerUploadFile(name=files[0].name, id=files[0].id,
                                             upload_url=app.page.get_upload_url(path.name, MAX_UPLOAD_SECONDS))])

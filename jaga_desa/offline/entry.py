"""The offline app's entry: what Flet's Python worker runs (as `main`) inside Pyodide.

The same App as `jaga-desa app` and the APK, with the browser's platform seams:
- data in IndexedDB (storage.py), loaded before the first screen, each commit copied there;
  the room left is the browser's quota for the origin;
- no threads: the screens hand their blocking calls to `asyncio.to_thread`; here that runs
  the call in the worker and then waits until IndexedDB holds what it wrote, so "saved"
  on screen means saved in the browser's storage (a report sealed, a user created); a
  form's "Draf tersimpan" likewise waits for IndexedDB (store.when_durable);
- background sync as an asyncio task (background.py);
- the phone's pepper in the same browser storage as the data (JAGA_SECRET_DIR): a browser
  has no hardware key store, which the settings screen and THREAT_MODEL.md say.
"""
from __future__ import annotations

import asyncio
import logging
import os

from jaga_desa.offline import storage

log = logging.getLogger("jaga.offline")


async def _inline_then_flush(func, /, *args, **kwargs):
    """asyncio.to_thread for a worker without threads: run it here, then make it durable."""
    result = func(*args, **kwargs)
    await storage.flush()
    return result


def mark(phase: str) -> None:
    """A launch phase done: "jaga-boot PHASE EPOCH_MS" on the console, as worker.js logs its
    own (bench/offline_bench.py reads them)."""
    import js  # type: ignore[import-not-found]
    js.console.log(f"jaga-boot {phase} {js.Date.now()}")


def preload() -> None:
    """Import what the lock screen needs. The worker (worker.js) calls this while Flutter is
    still loading, so `run` finds these modules already imported."""
    import flet  # noqa: F401
    import flet.app  # noqa: F401
    import flet.messaging.pyodide_connection  # noqa: F401  (ft.run imports it in the browser)

    from fieldapp.ui import lock, shell, syncing  # noqa: F401  (App.go imports screens by name)
    from jaga_desa.offline import background  # noqa: F401
    for name in LOCK_SCREEN_CONTROLS:               # flet imports a control's module on first use
        getattr(flet, name)


# The controls the shell and the lock screen draw (the theme pulls in the rest): imported
# here they cost nothing once the page asks for the app — about a second, measured.
LOCK_SCREEN_CONTROLS = ("Theme", "Column", "Row", "SafeArea", "Semantics", "Text", "TextField", "FilledButton",
                        "OutlinedButton", "TextButton", "Container", "ListTile", "RadioGroup", "Radio",
                        "SnackBar", "AutofillGroup", "Icons")


def _http_without_stack_switching() -> None:
    """urllib3 sends through fetch() with JSPI stack switching whenever the caller could be
    suspended (a coroutine: the sync task, a handler); the wasm stack then waits on a promise
    while the worker's event loop runs other Python (UI events, IndexedDB copies) in between.
    Measured here: a sync round that pushed a report with a photo never sent the chunk that
    followed its POST, and the worker spun until the browser was closed. A synchronous
    XMLHttpRequest (urllib3's other browser transport) blocks the worker for the request
    instead, which is what the app's sync expects (as on CPython: one blocking call)."""
    from urllib3.contrib.emscripten import fetch
    fetch.has_jspi = lambda: False


def run() -> None:
    import flet as ft

    from fieldapp.app import UPLOADS
    from fieldapp.ui import syncing
    from fieldapp.ui.shell import App
    from jaga_desa.offline.background import AsyncioDriver

    from fieldapp import store

    os.environ.setdefault("JAGA_SECRET_DIR", str(storage.SECRETS))
    _http_without_stack_switching()
    asyncio.to_thread = _inline_then_flush            # the platform seam the screens go through
    store.after_commit(storage.persist_soon)          # every commit on its way to IndexedDB
    store.measure_space_with(storage.space_now)       # the browser's room for the origin, not a disk's
    store.durable_with(storage.then_flushed)          # "saved" on screen once IndexedDB holds it
    started: dict = {}

    async def main(page: ft.Page) -> None:
        data = await storage.open_storage()
        mark("storage")
        if "sync" not in started:
            from fieldapp.device import Device
            Device.init(data).close()                 # create + calibrate once, as `jaga-desa app`
            await storage.flush()
            mark("device")
            started["sync"] = syncing.start_background(
                data, runner=lambda loop: AsyncioDriver(loop, lambda: Device(data), storage.flush).start())
        upload_dir = data / UPLOADS
        upload_dir.mkdir(exist_ok=True)
        App(page, data, upload_dir).start()
        mark("screen")

    ft.run(main)

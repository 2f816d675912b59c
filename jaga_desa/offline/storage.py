"""Where the offline app keeps its data: the browser's IndexedDB, through Emscripten's IDBFS.

The device store (SQLite, its -wal) lives at /jaga/device and the phone's secret at
/jaga/secrets, both inside one IDBFS mount. `open_storage()` loads what IndexedDB holds
before the app touches a file. Every committed transaction queues a copy to IndexedDB at
once (`persist_soon`, through fieldapp.store.after_commit), and `flush()` waits until
IndexedDB has taken everything written so far: the UI's blocking calls (a report sealed, a
user created, an unlock that rewrapped a key) return only after it (entry.py). What is not
covered: a keystroke's autosave is in IndexedDB a moment (one IndexedDB transaction) after
its commit, not before the keystroke returns — a tab killed inside that moment loses it, and
the form says "Draf tersimpan" only once it is there (`then_flushed`). `persist` (asked for by the page, see build.py) keeps
the browser from evicting the origin's storage when space runs low.

The room left is the browser's, not a disk's: what `navigator.storage.estimate()` says the
origin may still use, and whether `persisted()` holds. It is read again after every flush
(`space_now` answers at once from that; fieldapp.store.measure_space_with), so the home
screen warns before a save would fail, as in web mode.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

from core.errors import StorageFull

MOUNT = Path("/jaga")
DATA = MOUNT / "device"
SECRETS = MOUNT / "secrets"


def _fs():
    import pyodide_js  # type: ignore[import-not-found]
    return pyodide_js.FS


def _syncfs(populate: bool) -> asyncio.Future:
    from pyodide.ffi import create_once_callable  # type: ignore[import-not-found]
    fut = asyncio.get_event_loop().create_future()

    def done(err=None) -> None:
        if fut.done():
            return
        if err and "quota" in str(err).lower():     # the browser's room for the app is used up:
            fut.set_exception(StorageFull(            # the web mode's "phone full", not a crash
                "the browser's storage for the app is full; the last change may not be kept — free some space"))
        elif err:
            fut.set_exception(OSError(f"IndexedDB: {err}"))
        else:
            fut.set_result(None)
    _fs().syncfs(populate, create_once_callable(done))
    return fut


async def open_storage() -> Path:
    """Mount IndexedDB at MOUNT (once per worker) and load what it holds."""
    import js  # type: ignore[import-not-found]
    from pyodide.ffi import to_js  # type: ignore[import-not-found]
    fs = _fs()
    if not MOUNT.is_dir():
        fs.mkdirTree(str(MOUNT))
    if not getattr(open_storage, "_mounted", False):
        fs.mount(fs.filesystems.IDBFS, to_js({"autoPersist": True}, dict_converter=js.Object.fromEntries),
                 str(MOUNT))
        await _syncfs(True)
        open_storage._mounted = True  # type: ignore[attr-defined]
    DATA.mkdir(parents=True, exist_ok=True)
    SECRETS.mkdir(parents=True, exist_ok=True)
    await measure_space()
    return DATA


async def flush() -> None:
    """Return once IndexedDB holds every byte written so far."""
    await _syncfs(False)
    await measure_space()


_waiting: list = []
_draining: list = []


def then_flushed(callback) -> None:
    """fieldapp.store.when_durable here: `callback()` once IndexedDB holds what was committed.
    Keystrokes come faster than IndexedDB copies the store: the callbacks that arrive while
    one copy is on its way wait together for the next one (one copy, not one per key)."""
    _waiting.append(callback)
    if not _draining or _draining[0].done():
        _draining[:] = [asyncio.ensure_future(_drain())]


async def _drain() -> None:
    while _waiting:
        batch = _waiting[:]
        del _waiting[:]
        await flush()                 # covers every commit made before the callbacks were queued
        for callback in batch:
            callback()


_SPACE = {"free": 1 << 62, "persisted": None}     # until the browser first says


async def estimate() -> tuple[int, int] | None:
    """(bytes used, bytes the browser allows this origin), or None where it will not say."""
    import js  # type: ignore[import-not-found]
    storage = getattr(js.navigator, "storage", None)
    if storage is None:
        return None
    est = await storage.estimate()
    return int(est.usage or 0), int(est.quota or 0)


async def measure_space() -> None:
    """Ask the browser how much room the origin has left and whether it keeps the data."""
    import js  # type: ignore[import-not-found]
    est = await estimate()
    if est is not None:
        _SPACE["free"] = max(0, est[1] - est[0])
    storage = getattr(js.navigator, "storage", None)
    if storage is not None and hasattr(storage, "persisted"):
        _SPACE["persisted"] = bool(await storage.persisted())


def space_now() -> dict:
    """The last measure (fieldapp.store.space): {"free": bytes, "persisted": bool | None}."""
    return dict(_SPACE)


def persist_soon() -> None:
    """After a commit: have IDBFS copy the changed files to IndexedDB on the next tick.
    IDBFS's own autoPersist copies a file only when it is closed, and SQLite keeps its
    database open; this is the same queue (one copy in flight, another after it if needed)."""
    fs = _fs()
    fs.filesystems.IDBFS.queuePersist(fs.lookupPath(str(MOUNT)).node.mount)

"""Where the offline app keeps its data: the browser's IndexedDB, through Emscripten's IDBFS.

The device store (SQLite, its -wal) lives at /jaga/device and the phone's secret at
/jaga/secrets, both inside one IDBFS mount. `open_storage()` loads what IndexedDB holds
before the app touches a file. Every committed transaction queues a copy to IndexedDB at
once (`persist_soon`, through fieldapp.store.after_commit), and `flush()` waits until
IndexedDB has taken everything written so far: the UI's blocking calls (a report sealed, a
user created, an unlock that rewrapped a key) return only after it (entry.py). What is not
covered: a keystroke's autosave is in IndexedDB a moment (one IndexedDB transaction) after
its commit, not before the keystroke returns — a tab killed inside that moment loses it. `persist` (asked for by the page, see build.py) keeps
the browser from evicting the origin's storage when space runs low.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

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
        if err:
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
    return DATA


async def flush() -> None:
    """Return once IndexedDB holds every byte written so far."""
    await _syncfs(False)


async def estimate() -> tuple[int, int] | None:
    """(bytes used, bytes the browser allows this origin), or None where it will not say."""
    import js  # type: ignore[import-not-found]
    storage = getattr(js.navigator, "storage", None)
    if storage is None:
        return None
    est = await storage.estimate()
    return int(est.usage or 0), int(est.quota or 0)


def persist_soon() -> None:
    """After a commit: have IDBFS copy the changed files to IndexedDB on the next tick.
    IDBFS's own autoPersist copies a file only when it is closed, and SQLite keeps its
    database open; this is the same queue (one copy in flight, another after it if needed)."""
    fs = _fs()
    fs.filesystems.IDBFS.queuePersist(fs.lookupPath(str(MOUNT)).node.mount)

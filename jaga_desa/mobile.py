"""The phone build's entry point. `flet build apk` packs the repo root and runs `main.py`,
which comes here when Flet's embedded runtime says it is on a phone (FLET_PLATFORM).

The same App as `jaga-desa app`, but as a native Flet view, with the device's data in the
app's private storage (FLET_APP_STORAGE_DATA) instead of a --data folder. Not run on
these machines (no Flutter SDK): see docs/ANDROID.md for what is and is not verified."""
from __future__ import annotations

import os
from pathlib import Path

MOBILE_PLATFORMS = ("android", "ios")


def on_phone() -> bool:
    """True inside a `flet build` app on Android or iOS (Flet sets FLET_PLATFORM there)."""
    return os.environ.get("FLET_PLATFORM", "") in MOBILE_PLATFORMS


def data_dir() -> Path:
    """The app's private storage; a plain folder when run by hand for a look."""
    return Path(os.environ.get("FLET_APP_STORAGE_DATA") or Path.home() / ".jaga-desa") / "device"


def main() -> int:
    import flet as ft

    from fieldapp.app import ASSETS, UPLOADS
    from fieldapp.device import Device
    from fieldapp.ui import syncing
    from fieldapp.ui.shell import App

    from core.errors import CorruptStore, StorageFull
    data = data_dir()
    try:
        Device.init(data).close()
    except (StorageFull, CorruptStore):
        pass                       # the app starts anyway and says what happened (fieldapp/ui/storage)
    upload_dir = data / UPLOADS
    try:
        upload_dir.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass
    syncing.start_background(data)
    ft.run(lambda page: App(page, data, upload_dir).start(), assets_dir=str(ASSETS))
    return 0

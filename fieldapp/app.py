"""`python main.py app --data DIR [--host H] [--port P]` — the field app, Flet in web mode.

Offline by design: no_cdn=True makes Flutter load CanvasKit and fonts from the local
flet-web package. Photo uploads land in DIR/uploads (inside the data dir, so a wipe
and every plaintext scan cover them) and are encrypted into the store and deleted
in the upload-complete handler.
"""
from __future__ import annotations

import argparse
import logging
import os
import secrets
from pathlib import Path

UPLOADS = "uploads"
# Icons and images ship inside the package, so an installed wheel finds them too.
ASSETS = Path(__file__).resolve().parent / "assets"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jaga-desa app", description="Jaga Desa field app (web mode)")
    p.add_argument("--data", required=True, type=Path, help="the device's data folder")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8550)
    return p


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    import flet as ft

    from core import cli
    from core.errors import CorruptStore, JagaError, StorageFull
    from fieldapp.device import Device
    from fieldapp.ui import syncing
    from fieldapp.ui.shell import App

    data = args.data.resolve()
    os.umask(0o077)                        # everything the app writes (db, -wal/-shm, uploads) is private
    try:
        Device.init(data).close()          # create + calibrate once, before any browser connects
    except (StorageFull, CorruptStore) as exc:
        cli.fail(exc)                      # logged; the app still starts and says it on screen (ui/storage)
    except JagaError as exc:
        return cli.fail(exc)
    upload_dir = data / UPLOADS
    try:
        upload_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        upload_dir.chmod(0o700)
        for stale in upload_dir.iterdir():     # a crash between upload and encryption: never keep plaintext
            stale.unlink(missing_ok=True) if stale.is_file() else None
    except OSError as exc:                 # a full phone: the start screen says so
        logging.warning("uploads folder: %s", exc)
    # Signed upload URLs need a secret; a per-process random one is enough for a phone.
    os.environ.setdefault("FLET_SECRET_KEY", secrets.token_urlsafe(32))
    logging.basicConfig(level=os.environ.get("JAGA_LOG", "WARNING"))
    syncing.start_background(data)

    def session_main(page: ft.Page) -> None:
        App(page, data, upload_dir).start()

    from sync import appserver           # serving over HTTP crosses the network: it lives in sync/
    asgi = ft.run(session_main, export_asgi_app=True, no_cdn=True, upload_dir=str(upload_dir),
                  assets_dir=str(ASSETS))
    appserver.serve(asgi, args.host, args.port)    # compressed, cacheable client files
    return 0

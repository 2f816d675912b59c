"""The UI's only door to the network: every sync.client call lives here.

fieldapp never speaks HTTP itself. Each call opens its own Device on the data dir
(its own SQLite connection), so a sync in a background thread never shares a
connection with the screen that started it.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, urlparse

from core.errors import JagaError, SyncError
from fieldapp.device import Device

log = logging.getLogger("jaga.sync")
AUTO_SECONDS = float(os.environ.get("JAGA_SYNC_SECONDS", "60"))
_lock = threading.Lock()            # one sync at a time per process


def available() -> bool:
    try:
        import sync.client  # noqa: F401
        import sync.runner  # noqa: F401
    except ImportError:
        return False
    return True


def parse_enroll_link(text: str) -> tuple[str, str] | None:
    """The QR content -> (office_url, code). Accepts `jagadesa://enroll?office=URL&code=CODE`
    and the office's own `jagadesa:enroll?office=URL&code=CODE` (office-admin enroll-code --qr)."""
    u = urlparse((text or "").strip())
    if u.scheme != "jagadesa" or (u.netloc or u.path.strip("/")) != "enroll":
        return None
    q = parse_qs(u.query)
    office, code = (q.get("office") or [""])[0], (q.get("code") or [""])[0]
    return (office, code) if office and code else None


def enroll(office_url: str, request: dict, tls_sha256: str | None = None) -> dict:
    """Redeem a one-time code; `request` is Device.enrollment_request(...): OfficeClient.enroll's kwargs."""
    try:
        from sync.client import OfficeClient
    except ImportError as exc:
        raise SyncError("the sync module is not installed yet") from exc
    client = OfficeClient(office_url, tls_sha256=tls_sha256)
    try:
        return client.enroll(**request)
    finally:
        client.close()


def now_text() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class SyncStopped(JagaError):
    """A sync round ended early; `code` says why (no_connection, unauthorized, revoked...)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code or "sync_failed"


def sync_now(data_dir: Path, progress: Callable[[int, int, str], None] | None = None) -> object:
    """One push/pull round. Raises SyncStopped/SyncError; reports stay in the outbox with their reason."""
    try:
        from sync.client import OfficeClient
        from sync.runner import sync_once
    except ImportError as exc:
        raise SyncError("the sync module is not installed yet") from exc
    with _lock:
        dev = Device(data_dir)
        try:
            if not dev.sync_token:
                raise SyncStopped("not_enrolled")
            if not dev.office_url:
                raise SyncStopped("not_enrolled")
            client = OfficeClient(dev.office_url, token=dev.sync_token, **dev.client_options())
            try:
                result = sync_once(dev, client, progress=progress)
            finally:
                client.close()
            if not getattr(result, "ok", True):
                code = getattr(result, "error", None) or "sync_failed"
                dev.set_setting("last_sync_error", code)    # the outbox shows why it waits
                raise SyncStopped(code)
            dev.set_setting("last_sync_error", "")
            dev.mark_synced(now_text())
            return result
        finally:
            dev.close()


_wake = threading.Event()


def trigger() -> None:
    """Sync soon (a report was just sealed)."""
    _wake.set()


def start_background(data_dir: Path) -> None:
    """Push the outbox every AUTO_SECONDS (and right after a report is sealed) while the
    'sync' setting is on (default on). Failures only wait for the next round."""
    if not available() or AUTO_SECONDS <= 0:
        return

    def loop() -> None:
        while True:
            _wake.wait(AUTO_SECONDS)
            _wake.clear()
            try:
                dev = Device(data_dir)
                try:
                    enabled = dev.setting("sync", "on") == "on" and bool(dev.sync_token)
                finally:
                    dev.close()
                if enabled:
                    sync_now(data_dir)
            except JagaError as exc:
                log.info("background sync: %s", exc.code)
            except Exception:   # noqa: BLE001 — never let the loop die
                log.exception("background sync failed")

    threading.Thread(target=loop, name="jaga-sync", daemon=True).start()

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


def _client_for(dev: Device, *, background: bool = False):
    """An OfficeClient for this phone, or None when a background round should not run
    (not enrolled, or the user switched sync off)."""
    from sync.client import OfficeClient
    if not dev.sync_token or not dev.office_url:
        return None
    if background and dev.setting("sync", "on") != "on":
        return None
    return OfficeClient(dev.office_url, token=dev.sync_token, **dev.client_options())


def sync_now(data_dir: Path, progress: Callable[[int, int, str], None] | None = None) -> object:
    """One push/pull round (the same `sync.runner.sync_round` as the CLI and the background
    loop). Raises SyncStopped/SyncError; reports stay in the outbox with their reason, and
    "last synced" moves only when the round completed."""
    try:
        from sync.runner import sync_round
    except ImportError as exc:
        raise SyncError("the sync module is not installed yet") from exc
    with _lock:
        dev = Device(data_dir)
        try:
            client = _client_for(dev)
            if client is None:
                raise SyncStopped("not_enrolled")
            try:
                result = sync_round(dev, client, progress=progress)
            finally:
                client.close()
            if not result.ok:
                raise SyncStopped(result.error or "sync_failed")
            return result
        finally:
            dev.close()


# A failed round waits at most 5 minutes (with jitter, never more) — 30 minutes times jitter was
# ~45 minutes in the field — and meanwhile the office's /health is asked every 15 s, so a
# report leaves the moment the network is back.
MAX_BACKOFF = 5 * 60.0
PROBE_SECONDS = 15.0
_loop = None     # the process's one background SyncLoop (sync.runner), started by the app


def trigger() -> None:
    """Sync soon (a report was just sealed)."""
    if _loop is not None:
        _loop.trigger()


def start_background(data_dir: Path, *, interval: float | None = None,
                     runner: Callable[[object], object] | None = None):
    """Background sync through sync.runner.SyncLoop (its exponential back-off after a failed
    round, reset after a success): every AUTO_SECONDS, and right after a report is sealed,
    while the 'sync' setting is on (default on) and the phone is enrolled. `runner` starts
    the loop where threads cannot (the offline app: jaga_desa/offline/background.py)."""
    global _loop
    if not available() or (interval or AUTO_SECONDS) <= 0:
        return None
    from sync.runner import SyncLoop
    if _loop is not None:
        return _loop
    _loop = SyncLoop(lambda: Device(data_dir), lambda dev: _client_for(dev, background=True),
                     interval=interval or AUTO_SECONDS, min_backoff=min(30.0, interval or AUTO_SECONDS),
                     max_backoff=MAX_BACKOFF, lock=_lock, probe_every=PROBE_SECONDS)
    (runner or SyncLoop.start)(_loop)
    return _loop


def next_try() -> float | None:
    """When the background sync tries again after a failed round (epoch seconds), else None."""
    if _loop is None or _loop.last is None or _loop.last.ok:
        return None
    return _loop.next_at

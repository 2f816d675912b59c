"""Issue 10, attack 6, as it was seen: the real app (`main.py app`) open in a browser and the
CLI run against the same data folder again and again. Each "Sinkron sekarang" makes the app
process open and close its own store connection — before the fix that step dropped the app's
SQLite locks, the next CLI command deleted -wal/-shm and every later screen showed
"disk I/O error"."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from tests.e2e.helpers import option, PHONE, PIN, ROOT, button, fill, no_crash, open_app, seed_device, tap, tap_until, wait_text

pytestmark = pytest.mark.e2e


def cli(data, *args):
    env = {**os.environ, "JAGA_KDF_SECONDS": "0.02"}
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "device", "--data", str(data), *args],
                          env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120,
                          cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_app_and_cli_on_one_folder(browser, start_app, tmp_path):
    data = tmp_path / "phone"
    seed_device(data)                      # enrolled with an office that is not there: sync fails fast
    srv = start_app(data)
    ctx, page, _ = open_app(browser, srv.url, PHONE)
    try:
        fill(page, "PIN", PIN)
        tap(button(page, "Masuk"))
        wait_text(page, "Halo, Siti")
        for k in range(5):
            assert json.loads(cli(data, "--json", "status"))["users"] == 1
            cli(data, "outbox")
            tap(button(page, "Sinkron sekarang"))          # the app opens and closes its own connection
            wait_text(page, "Sinkron gagal")
            cli(data, "status")
            # a draft: the app's own connection writes (the home may still be redrawing as the
            # failed sync ends; a lost tap is tapped again, as a person would)
            tap_until(button(page, "Laporan kecurigaan", exact=True), option(page, "Lainnya"))
            tap(option(page, "Lainnya"))                   # the first answer creates the draft
            tap(button(page, "Simpan & keluar"))
            wait_text(page, "Halo, Siti")
            body = page.locator("body").aria_snapshot()
            assert "disk I/O" not in body and "Error running app" not in body, body
        no_crash(page)
    finally:
        ctx.close()
    assert "disk I/O" not in srv.log_text()
    with sqlite3.connect(data / "jaga.db") as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT COUNT(*) FROM reports WHERE status='draft'").fetchone()[0] == 5

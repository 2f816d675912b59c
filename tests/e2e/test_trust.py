"""The app tells the user when someone rewrote the phone's office data while it was locked."""
from __future__ import annotations

import sqlite3

import pytest

from tests.e2e.helpers import PHONE, PIN, button, fill, no_crash, open_app, seed_device, snap, tap, wait_text

pytestmark = pytest.mark.e2e


def test_rewritten_office_address_is_shown_at_unlock(browser, start_app, tmp_path):
    data = tmp_path / "phone"
    seed_device(data)
    # the attacker, with the folder and no PIN, points the phone at their own server
    with sqlite3.connect(data / "jaga.db") as db:
        db.execute("UPDATE meta SET value='http://203.0.113.9:8765' WHERE key='office_url'")
    srv = start_app(data)
    ctx, page, _ = open_app(browser, srv.url, PHONE)
    try:
        fill(page, "PIN", PIN)
        tap(button(page, "Masuk"))
        wait_text(page, "Peringatan: data kantor di ponsel ini diubah orang lain")
        snap(page, "70-trust-tampered")
        no_crash(page)
    finally:
        ctx.close()
    with sqlite3.connect(data / "jaga.db") as db:        # restored from the user's sealed bundle
        assert db.execute("SELECT value FROM meta WHERE key='office_url'").fetchone() == ("http://127.0.0.1:9",)

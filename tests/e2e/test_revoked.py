"""The revoked phone tells its user what happened: the whole phone on the lock screen (no
PIN needed), her own account on the home screen with the office's signed time in the
phone's zone. The notice is a real signed inbox item (FakeOffice's real key) and the
phone's revocation is recorded by Device.record_round, as a refused sync round does."""
from __future__ import annotations

import pytest

from tests.e2e.helpers import PHONE, PIN, FakeOffice, button, fill, no_crash, open_app, seed_device, snap, wait_text

pytestmark = pytest.mark.e2e
REVOKED_AT = "2026-11-26T07:14:50.608Z"          # 15:14 WITA


def _revoke(data, office: FakeOffice) -> None:
    from fieldapp.device import Device
    from fieldapp import inbox
    from sync import statement
    from sync.ports import InboxItem
    dev = Device(data)
    try:
        dev.set_setting("tz", "WITA")
        pid = dev.db.conn.execute("SELECT person_id FROM users WHERE label='Siti'").fetchone()[0]
        raw = statement.sign_item({"item_id": "7", "kind": "revoked", "person_id": pid, "issued_at": REVOKED_AT,
                                   "body": {"person_id": pid, "revoked_at": REVOKED_AT}}, office.e)
        inbox.store(dev.db, [InboxItem("7", "revoked", pid, raw["body"], raw=raw)], "7", office.e.public_key())
        dev.record_round(False, "revoked", "2026-11-26T08:00:00+00:00")     # the next round was refused
    finally:
        dev.close()


def test_revoked_phone_and_account_are_told(browser, start_app, tmp_path):
    data = tmp_path / "phone"
    seed_device(data, enroll=False)
    office = FakeOffice()
    office.enroll(data, "Siti")
    _revoke(data, office)
    srv = start_app(data)
    ctx, page, _ = open_app(browser, srv.url, PHONE)
    try:
        wait_text(page, "Ponsel ini dicabut oleh kantor (diketahui saat sinkron 26 November 2026 16:00 WITA)")
        snap(page, "revoked-lock-360")
        fill(page, "PIN", PIN)
        button(page, "Masuk").dispatch_event("click")
        wait_text(page, "Akun Anda dicabut oleh kantor pada 26 November 2026 15:14 WITA")
        snap(page, "revoked-home-360")
        assert "bukan pencabutan" not in page.locator("body").aria_snapshot()    # not a PIN lockout
        no_crash(page)
    finally:
        ctx.close()

"""The outbox and the office's feedback update on screen by themselves: the phone's
background sync (a thread in the app process) talks to a real office, and the home
screen redraws when the store changes — nobody taps "Sinkron sekarang"."""
from __future__ import annotations

import os

import pytest

from tests.dashboard.conftest import Dash
from tests.e2e.helpers import PHONE, PIN, Journey, button, open_app, seed_device, snap, wait_text

pytestmark = pytest.mark.e2e
STAFF_PASSWORD = "kata-sandi-uji-1"


def _enroll_device(data, office, vid: str, office_url: str | None = None) -> None:
    """The app's own enrollment path (Device + fieldapp.ui.syncing), run from the test;
    `office_url` puts something in between (test_voice.py: the cutting proxy)."""
    from fieldapp.device import Device
    from fieldapp.ui import syncing
    text = office.admin_json(["enroll-code", "--village", vid, "--role", "volunteer", "--name", "Siti",
                              "--office-url", office_url or office.url])["enroll"]
    dev = Device(data)
    try:
        s = dev.unlock("Siti", PIN)
        ticket = dev.ticket(text)                   # the QR's content, office fingerprint included
        resp = syncing.enroll(ticket.office_url, dev.enrollment_request(s, ticket))
        dev.apply_enrollment(s, ticket, resp)
    finally:
        dev.close()

def phone_with_a_darurat_sent(browser, start_app, office_server, tmp_path):
    """A staffed office (admin 'intel'), Siti enrolled through the app's own path, the app
    syncing every 3 s, and a Darurat report filed from the lock screen. Returns (data dir,
    browser context, page, journey so far); the caller closes the context."""
    village = office_server.admin_json(["add-village", "--name", "Sebatik", "--region", "Nunukan"])
    vid = str(village.get("id") or village.get("village_id"))
    os.environ["JAGA_PASSWORD"] = STAFF_PASSWORD
    office_server.admin(["add-staff", "--username", "intel", "--role", "admin"])
    data = tmp_path / "phone"
    seed_device(data, enroll=False)
    _enroll_device(data, office_server, vid)
    srv = start_app(data, env={"JAGA_SYNC_SECONDS": "3"})
    ctx, page, _ = open_app(browser, srv.url, PHONE)
    j = Journey(page)
    j.type("PIN", PIN)
    j.tap(button(page, "Masuk"))
    j.tap(button(page, "Darurat — Ada orang dalam bahaya sekarang"))
    j.type("Apa yang sedang terjadi?", "Kapal menjemput orang di muara")
    j.tap(button(page, "Kirim sekarang"))
    j.tap(button(page, "Ke beranda"))
    return data, ctx, page, j


def test_outbox_and_feedback_update_without_a_tap(browser, start_app, office_server, tmp_path):
    data, ctx, page, j = phone_with_a_darurat_sent(browser, start_app, office_server, tmp_path)
    try:
        # The office gets it from the background sync; the phone shows it without a tap.
        wait_text(page, "Diterima kantor", timeout=30000)
        snap(page, "live-received-360")
        taps = len(j.steps)
        # The office answers; the phone's home screen shows it by itself.
        dash = Dash(office_server)
        s = dash.login("intel", STAFF_PASSWORD)
        eid = office_rows(office_server, "SELECT id FROM envelopes")[0][0]
        r = s.post(office_server.url + f"/dashboard/reports/{eid}/feedback",
                   data={"csrf": s.csrf, "message": "Sudah kami teruskan ke polisi", "kind": "forwarded"})
        assert r.status_code == 200, r.text[:300]
        wait_text(page, "Sudah kami teruskan ke polisi", timeout=30000)
        wait_text(page, "Diteruskan ke instansi lain")       # the state reads as what happened
        snap(page, "live-feedback-360")
        assert len(j.steps) == taps           # nothing tapped since "Ke beranda"
    finally:
        ctx.close()


def office_rows(office, sql):
    import sqlite3
    with sqlite3.connect(office.data_dir / "office.db") as conn:
        return conn.execute(sql).fetchall()

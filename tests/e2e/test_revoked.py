"""The revoked phone tells its user what happened: the whole phone on the lock screen (no
PIN needed), her own account on the home screen with the office's signed time in the
phone's zone — and the home screen then offers no button that starts a report the office
would refuse, but keeps 110 / 112, her sent list, settings and lock.

The first test's notice is a real signed inbox item (FakeOffice's real key) and the
phone's revocation is recorded by Device.record_round, as a refused sync round does. The
others revoke at a real office (uvicorn subprocess, its admin CLI) and the phone learns it
by syncing: the button on home, or another process syncing the same store."""
from __future__ import annotations

import datetime

import pytest

import forms
from core import localtime
from tests.e2e.helpers import (option, PHONE, PIN, FakeOffice, Journey, button, fill, no_crash, open_app, reach, seed_device, snap,
                               tap, until, wait_text)
from tests.e2e.test_live import _enroll_device, office_rows

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
        wait_text(page, "Kantor Imigrasi mencabut akun Anda pada 26 November 2026 15:14 WITA.")
        snap(page, "revoked-home-360")
        assert "bukan pencabutan" not in page.locator("body").aria_snapshot()    # not a PIN lockout
        no_crash(page)
    finally:
        ctx.close()


DARURAT = "Darurat — Ada orang dalam bahaya sekarang"
REPORT_BUTTONS = (DARURAT, "Laporan kecurigaan", "Keberangkatan PMI")


def _enrolled_phone(office, tmp_path):
    """Siti enrolled at the real office (the app's own path), the phone on WITA, one report
    sealed and waiting, one draft. Returns (data dir, her person id)."""
    from fieldapp.device import Device
    village = office.admin_json(["add-village", "--name", "Sebatik", "--region", "Nunukan"])
    data = tmp_path / "phone"
    seed_device(data, enroll=False)
    _enroll_device(data, office, str(village.get("id") or village.get("village_id")))
    dev = Device(data)
    try:
        dev.set_setting("tz", "WITA")
        s = dev.unlock("Siti", PIN)
        form = forms.load("laporan_kecurigaan")
        dev.file(s, form.id, form.example())
        dev.new_draft(s, form.id, {"uraian": "Ada perekrut datang lagi"})
        return data, s.person_id
    finally:
        dev.close()


def _revoke_at_office(office, person_id: str) -> str:
    """Revoke at the office as an admin does; the office's own time, as the phone shows it."""
    office.admin(["revoke", "--person", person_id])
    [(at,)] = office_rows(office, f"SELECT revoked_at FROM persons WHERE id='{person_id}'")
    return localtime.format(at, "WITA", "id")


def _on_first_screen(page, locator, height: int = PHONE["height"]) -> bool:
    box = locator.bounding_box()
    return bool(box) and box["y"] >= 0 and box["y"] + box["height"] <= height


def _assert_revoked_home(page, when: str) -> None:
    wait_text(page, f"Kantor Imigrasi mencabut akun Anda pada {when}.", timeout=30000)
    for name in REPORT_BUTTONS:
        assert button(page, name, exact=True).count() == 0, name
    # The explanation and the emergency numbers are on the first screen, not below the fold.
    assert _on_first_screen(page, page.get_by_text("Akun Anda dicabut", exact=True))
    assert _on_first_screen(page, page.get_by_text("Keadaan darurat? Telepon 110 (Polisi) atau 112"))
    for number in ("Telepon 110", "Telepon 112"):
        assert _on_first_screen(page, button(page, number)), number
    for still in ("Pengaturan", "Kunci", "Sinkron sekarang"):      # what she may still do
        assert button(page, still).count() == 1, still


def test_revoked_home_has_no_report_buttons_and_says_what_happens(browser, start_app, office_server, tmp_path):
    data, person = _enrolled_phone(office_server, tmp_path)
    srv = start_app(data)
    ctx, page, _ = open_app(browser, srv.url, PHONE)
    try:
        fill(page, "PIN", PIN)
        button(page, "Masuk").dispatch_event("click")
        button(page, DARURAT, exact=True).wait_for(timeout=15000)      # offered while she is not revoked
        when = _revoke_at_office(office_server, person)
        tap(button(page, "Sinkron sekarang"))
        _assert_revoked_home(page, when)
        snap(page, "revoked-home-office-360")
        # the report that was waiting went to the office and was refused, as the card said it would be
        j = Journey(page)
        j._bring(page.get_by_text("Ditolak kantor — tidak akan dikirim ulang"))
        # the draft is listed, cannot be opened into a form, and can be deleted
        j._bring(button(page, "Hapus draf"))
        today = localtime.date_text(datetime.date.today(), "id")
        wait_text(page, f"Laporan Kecurigaan (TPPO/TPPM) · {today} — tidak bisa dikirim")
        assert button(page, "Lanjutkan").count() == 0
        snap(page, "revoked-home-lists-360")
        tap(button(page, "Hapus draf"))
        tap(button(page, "Hapus", exact=True))
        wait_text(page, "Tidak ada draf")
        # the language switch stays reachable; the explanation follows it
        tap(button(page, "Pengaturan"))
        tap(option(page, "English"))
        wait_text(page, "Quick wipe")
        tap(button(page, "Back"))
        wait_text(page, "Your account was revoked")
        assert button(page, "Emergency — Someone is in danger now").count() == 0
        assert _on_first_screen(page, button(page, "Call 112"))
        snap(page, "revoked-home-en-360")
        no_crash(page)
    finally:
        ctx.close()


def test_a_draft_resumed_after_the_auto_lock_is_not_reopened(browser, start_app, office_server, tmp_path):
    """The route around the home screen: she was in a draft when the auto-lock struck; the
    phone learned of the revocation meanwhile (another process synced the store); unlocking
    does not bring the form back, it says why and shows the revoked home."""
    from fieldapp.device import Device
    from sync.runner import sync_round
    from tests.sync.test_sync_device import client_for
    data, person = _enrolled_phone(office_server, tmp_path)
    srv = start_app(data, env={"JAGA_IDLE_SECONDS": "6"})
    ctx, page, _ = open_app(browser, srv.url, PHONE)
    try:
        fill(page, "PIN", PIN)
        button(page, "Masuk").dispatch_event("click")
        tap(button(page, "Lanjutkan Laporan Kecurigaan"))
        wait_text(page, "Langkah 1 dari")
        when = _revoke_at_office(office_server, person)
        dev = Device(data)
        try:
            assert sync_round(dev, client_for(dev)).ok
        finally:
            dev.close()
        wait_text(page, "Terkunci otomatis", timeout=30000)
        fill(page, "PIN", PIN)
        button(page, "Masuk").dispatch_event("click")
        wait_text(page, "Akun atau ponsel ini dicabut oleh kantor: laporan tidak bisa dibuat atau dikirim lagi.")
        _assert_revoked_home(page, when)
        until(page, lambda: "Langkah 1 dari" not in page.locator("body").aria_snapshot(), "no form on screen")
        snap(page, "revoked-resume-360")
        no_crash(page)
    finally:
        ctx.close()

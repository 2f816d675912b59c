"""Issue 24 in the browser at 360x640: the incident time on the chosen zone's clock while the
app process runs in UTC (item 1); defaults shown as defaults, no typed coordinates, the format
hint readable (item 11); and, against a real office, a Darurat whose "sent" turns into
"received" by itself, then a failed sync said as a warning with the next automatic try."""
from __future__ import annotations

import datetime as dt
import os

import pytest

from core import localtime
from tests.e2e.helpers import (option, PHONE, PIN, Journey, button, fill, no_crash, open_app, seed_device, snap, tap,
                               textbox, until, value_of, wait_text)
from tests.e2e.test_live import STAFF_PASSWORD, _enroll_device

pytestmark = pytest.mark.e2e


def _set_zone(data, zone: str) -> None:
    from fieldapp.device import Device
    dev = Device(data)
    try:
        dev.set_setting("tz", zone)
    finally:
        dev.close()


@pytest.mark.parametrize("chosen", ["WIT"])
def test_sekarang_is_the_chosen_zones_clock_and_defaults_are_defaults(browser, start_app, tmp_path, chosen):
    data = tmp_path / "phone"
    seed_device(data)
    _set_zone(data, chosen)
    srv = start_app(data, env={"TZ": "UTC0"})                  # the phone process itself runs in UTC
    ctx, page, _ = open_app(browser, srv.url, PHONE)
    try:
        fill(page, "PIN", PIN)
        tap(button(page, "Masuk"))
        tap(button(page, "Laporan kecurigaan", exact=True))
        tap(option(page, "Dokumen palsu (KTP, paspor, surat)"))
        fill(page, "Apa yang Anda lihat atau dengar? (wajib)", "KTP palsu dibuat di warung")
        tap(button(page, "Lanjut"))
        wait_text(page, f"Format: TTTT-BB-HH jj:mm atau HH-BB-TTTT jj:mm (jam {chosen})")   # whole, as text
        assert textbox(page, "Lintang").count() == 0 and textbox(page, "Bujur").count() == 0
        tap(button(page, "Sekarang"))
        expected = localtime.wall_clock(chosen)
        name = "Kapan kejadiannya? (wajib)"
        until(page, lambda: value_of(page, name)[:10] == expected.strftime("%Y-%m-%d"), "the date filled in")
        typed = dt.datetime.strptime(value_of(page, name), "%Y-%m-%d %H:%M")
        assert abs((typed - expected).total_seconds()) < 120, (typed, expected)     # not 9 hours early
        snap(page, "24-1-sekarang-wit-in-utc")
        fill(page, "Di mana? (nama tempat, dusun, dermaga, jalan) (wajib)", "Warung dekat dermaga")
        tap(button(page, "Periksa & kirim (sisanya tidak wajib)"))
        wait_text(page, "Diisi otomatis (belum Anda ubah)")
        tree = page.locator("body").aria_snapshot()
        assert tree.index("Diisi otomatis") < tree.index("Seberapa mendesak?")       # urgency: a default
        assert tree.index("Kapan kejadiannya?") < tree.index("Diisi otomatis")      # the time: her answer
        assert f"{expected.day} Desember" in tree or f" {chosen}" in tree
        snap(page, "24-11-confirm-defaults")
        no_crash(page)
    finally:
        ctx.close()


def test_darurat_sent_turns_received_then_a_failed_sync_is_a_warning(browser, start_app, office_server, tmp_path):
    village = office_server.admin_json(["add-village", "--name", "Sebatik", "--region", "Nunukan"])
    os.environ["JAGA_PASSWORD"] = STAFF_PASSWORD
    data = tmp_path / "phone"
    seed_device(data, enroll=False)
    _enroll_device(data, office_server, str(village.get("id") or village.get("village_id")))
    srv = start_app(data, env={"JAGA_SYNC_SECONDS": "3", "JAGA_LIVE_SECONDS": "1"})
    ctx, page, _ = open_app(browser, srv.url, PHONE)
    try:
        j = Journey(page)
        j.type("PIN", PIN)
        j.tap(button(page, "Masuk"))
        j.tap(button(page, "Darurat — Ada orang dalam bahaya sekarang"))
        j.type("Apa yang sedang terjadi?", "Kapal menjemput orang di muara")
        j.tap(button(page, "Kirim sekarang"))
        wait_text(page, "Laporan darurat disegel")
        wait_text(page, "Laporan darurat sudah DITERIMA kantor", timeout=30000)     # the same screen, no tap
        snap(page, "24-11-darurat-received")
        tap(button(page, "Ke beranda"))
        office_server.stop()
        tap(button(page, "Sinkron sekarang"))
        wait_text(page, "Sinkron gagal", timeout=30000)
        wait_text(page, "Dicoba lagi otomatis")
        snap(page, "24-11-sync-failed-warning")
        no_crash(page)
    finally:
        ctx.close()

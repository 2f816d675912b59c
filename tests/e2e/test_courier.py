"""Courier mode in the real app (issue 26): "Kirim lewat kurir" downloads one courier file of
the waiting reports; a real office imports it with its own CLI; the receipts file picked in
the app ("Masukkan tanda terima dari kantor") purges them. The outbox says which reports
left by courier and when, and the upload folder keeps nothing."""
from __future__ import annotations

import json

import pytest

import forms
from sync import courier as wire
from tests.e2e.helpers import PHONE, PIN, button, fill, no_crash, open_app, snap, tap, wait_text
from tests.support import enroll_on_device, village

pytestmark = pytest.mark.e2e
TALL = {"width": 360, "height": 1900}


def test_send_by_courier_downloads_the_file_and_receipts_come_back(browser, start_app, office_server, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setenv("JAGA_KDF_SECONDS", "0.02")
    from fieldapp.device import Device
    data = tmp_path / "phone"
    dev = Device.init(data)
    try:
        s = enroll_on_device(dev, office_server, village(office_server), "Siti", "volunteer", PIN)
        for rahasia in (False, True):            # filed with no signal: never synced
            dev.file(s, "laporan_kecurigaan", forms.load("laporan_kecurigaan").example(), rahasia=rahasia)
        sealed = {bytes(e) for (e,) in dev.db.conn.execute("SELECT envelope FROM reports")}
    finally:
        dev.close()
    srv = start_app(data)
    ctx, page, _ = open_app(browser, srv.url, PHONE, accept_downloads=True)
    try:
        fill(page, "PIN", PIN)
        tap(button(page, "Masuk"))
        wait_text(page, "Tidak ada sinyal? Kirim lewat kurir")
        snap(page, "90-courier-card")
        with page.expect_download() as dl:
            tap(button(page, "Kirim lewat kurir"))
        path = tmp_path / dl.value.suggested_filename
        dl.value.save_as(path)
        raw = path.read_bytes()
        assert path.name.startswith("jaga-desa-kurir-") and path.suffix == ".jdk"
        assert set(wire.unpack(raw).envelopes) == sealed and len(raw) == wire.MIN_BUCKET
        wait_text(page, "2 laporan disimpan ke file")
        wait_text(page, "Dibawa kurir, menunggu tanda terima")
        wait_text(page, "Lewat kurir sejak")
        snap(page, "91-courier-sent")
        wait_text(page, "2 laporan dibawa kurir, menunggu tanda terima")
        page.set_viewport_size(TALL)             # the whole home screen in one picture, to look at
        wait_text(page, "Lewat kurir sejak")
        snap(page, "91-courier-home-tall")
        page.set_viewport_size(PHONE)
        # in town: the office imports the file and writes the receipts file
        receipts = tmp_path / "tanda-terima.json"
        out = json.loads(office_server.admin(["courier", "import", str(path), "--receipts-out", str(receipts),
                                              "--json"]))
        assert out["accepted"] == 2
        with page.expect_file_chooser() as fc:
            tap(button(page, "Masukkan tanda terima dari kantor"))
        fc.value.set_files(str(receipts))
        wait_text(page, "2 laporan sudah diterima kantor.", timeout=30000)
        snap(page, "92-courier-receipts")
        page.set_viewport_size(TALL)
        wait_text(page, "Diterima kantor")
        snap(page, "92-courier-home-tall")
        assert not any((data / "uploads").iterdir()), "an upload was left behind"
        no_crash(page)
    finally:
        ctx.close()
    dev = Device(data)
    try:
        assert {r["state"] for r in dev.outbox()} == {"received"} and dev.pending() == []
    finally:
        dev.close()


def test_a_second_phone_carries_the_file_in_the_app(browser, start_app, office_server, tmp_path, monkeypatch):
    """The village head's phone takes the courier file ("Bawa file kurir dari ponsel lain"),
    syncs in town, and saves the receipts to take back ("Simpan tanda terima ...")."""
    monkeypatch.setenv("JAGA_KDF_SECONDS", "0.02")
    from fieldapp.device import Device
    from fieldapp import courier
    vil = village(office_server)
    author = Device.init(tmp_path / "author")
    try:
        s = enroll_on_device(author, office_server, vil, "Siti", "volunteer", PIN)
        author.file(s, "laporan_kecurigaan", forms.load("laporan_kecurigaan").example())
        raw, _ = courier.export(author)
    finally:
        author.close()
    (tmp_path / "kurir.jdk").write_bytes(raw)
    data = tmp_path / "carrier"
    carrier = Device.init(data)
    try:
        enroll_on_device(carrier, office_server, vil, "Pak Kades", "head", PIN)
    finally:
        carrier.close()
    srv = start_app(data)
    ctx, page, _ = open_app(browser, srv.url, TALL, accept_downloads=True)
    try:
        fill(page, "PIN", PIN)
        tap(button(page, "Masuk"))
        with page.expect_file_chooser() as fc:
            tap(button(page, "Bawa file kurir dari ponsel lain"))
        fc.value.set_files(str(tmp_path / "kurir.jdk"))
        wait_text(page, "1 laporan dari ponsel lain ikut dikirim saat ada sinyal.", timeout=30000)
        tap(button(page, "Sinkron sekarang"))
        wait_text(page, "Kantor sudah menjawab 1 laporan yang Anda bawa untuk ponsel lain.", timeout=60000)
        snap(page, "93-courier-carrier")
        with page.expect_download() as dl:
            tap(button(page, "Simpan tanda terima untuk dibawa kembali"))
        back = tmp_path / dl.value.suggested_filename
        dl.value.save_as(back)
        assert not any((data / "uploads").iterdir()), "an upload was left behind"
        no_crash(page)
    finally:
        ctx.close()
    author = Device(tmp_path / "author")
    try:
        assert courier.take_receipts(author, back.read_bytes()).purged == 1
        assert {r["state"] for r in author.outbox()} == {"received"}
    finally:
        author.close()

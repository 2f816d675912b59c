"""Nothing lost: a draft survives closing the tab mid-form; a photo goes through the
FilePicker upload, is encrypted into the store and its plaintext upload deleted at
once; GPS comes from the browser's geolocation; a bad file is refused with a reason."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.e2e.helpers import (option, BIG_PHONE, PHONE, PIN, button, fill, no_crash, open_app, seed_device, snap, tap,
                               textbox, until, value_of, wait_stored, wait_text)

pytestmark = pytest.mark.e2e


def _unlock(page):
    fill(page, "PIN", PIN)
    tap(button(page, "Masuk"))


def test_draft_survives_closing_the_tab(browser, start_app, tmp_path):
    data = tmp_path / "phone"
    seed_device(data)
    srv = start_app(data)
    ctx, page, _ = open_app(browser, srv.url, PHONE)
    _unlock(page)
    tap(button(page, "Laporan kecurigaan"))
    tap(option(page, "Tempat penampungan orang"))
    fill(page, "Apa yang Anda lihat atau dengar? (wajib)", "Rumah kosong dipakai menampung orang")
    _wait_autosaved(data, "Rumah kosong dipakai menampung orang")   # saved with no "save" pressed
    ctx.close()                           # tab closed mid-form

    ctx, page, _ = open_app(browser, srv.url, PHONE)
    try:
        _unlock(page)
        wait_text(page, "Draf")
        draft = page.get_by_role("button", name="Lanjutkan Laporan Kecurigaan (TPPO/TPPM)")
        draft.wait_for()
        snap(page, "50-home-draft-after-reopen")
        tap(draft)
        textbox(page, "Apa yang Anda lihat atau dengar? (wajib)").wait_for()
        assert value_of(page, "Apa yang Anda lihat atau dengar? (wajib)") == "Rumah kosong dipakai menampung orang"
        snap(page, "51-draft-resumed")
        no_crash(page)
    finally:
        ctx.close()


def _wait_autosaved(data, text, timeout=10.0):
    """The keystrokes reached the encrypted store (each change is one transaction)."""
    def saved(dev) -> bool:
        s = dev.unlock("Siti", PIN)
        return any(dev.load_answers(s, d["id"]).get("apa_dilihat") == text for d in dev.drafts(s))
    wait_stored(data, saved, "the draft autosaved", timeout)


def _jpeg_with_exif(path, size=(2400, 1800)):
    img = Image.new("RGB", size, (120, 160, 90))
    for x in range(0, size[0], 40):            # some detail so JPEG has work to do
        for y in range(0, size[1], 40):
            img.putpixel((x, y), (x % 255, y % 255, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"                # Make
    exif[0x013B] = "Nama Pemilik"              # Artist: would expose the reporter
    img.save(path, "JPEG", quality=95, exif=exif)


def test_photo_and_gps(browser, start_app, tmp_path):
    data = tmp_path / "phone"
    seed_device(data)
    srv = start_app(data)
    photo = tmp_path / "bukti.jpg"
    _jpeg_with_exif(photo)
    bad = tmp_path / "bukan-foto.jpg"
    bad.write_bytes(b"this is not an image at all" * 100)
    ctx, page, _ = open_app(browser, srv.url, BIG_PHONE,
                            geolocation={"latitude": 4.137, "longitude": 117.665, "accuracy": 12},
                            permissions=["geolocation"])
    try:
        _unlock(page)
        tap(button(page, "Laporan kecurigaan"))
        tap(option(page, "Ajakan kerja mencurigakan (termasuk lewat media sosial)"))
        option(page, "WhatsApp").wait_for()                  # select_multiple, shown by the condition
        tap(option(page, "WhatsApp"))
        tap(option(page, "Facebook"))
        fill(page, "Apa yang Anda lihat atau dengar? (wajib)", "Lowongan kerja palsu di grup WhatsApp desa")
        tap(button(page, "Lanjut"))

        tap(button(page, "Ambil lokasi GPS"))
        wait_text(page, "Lokasi: 4.13700, 117.66500 (akurasi ±12 m)")
        snap(page, "52-gps")
        tap(button(page, "Sekarang"))
        fill(page, "Di mana? (nama tempat, dusun, dermaga, jalan) (wajib)", "Balai desa")
        tap(button(page, "Lanjut"))
        tap(option(page, "Tidak", exact=True))
        tap(button(page, "Lanjut"))
        button(page, "Tambah data: Orang atau kendaraan yang terlibat (calo / tekong / sponsor)").wait_for()
        tap(button(page, "Lanjut"))          # v2: the "suspected people" section, left empty

        with page.expect_file_chooser() as fc:
            tap(button(page, "Tambah foto"))
        fc.value.set_files(str(photo))
        wait_text(page, "Foto 1:", timeout=20000)
        wait_text(page, "data lokasi di foto dihapus")
        snap(page, "53-photo-attached")
        assert not any((data / "uploads").iterdir()), "plaintext upload left behind"

        with page.expect_file_chooser() as fc:
            tap(button(page, "Tambah foto"))
        fc.value.set_files(str(bad))
        wait_text(page, "Foto ditolak", timeout=20000)
        snap(page, "54-photo-refused")
        assert not any((data / "uploads").iterdir())

        tap(option(page, "Mendesak (perlu ditangani dalam 1-2 hari)"))
        tap(option(page, "Ya", exact=True))                     # rahasia
        tap(button(page, "Lanjut"))
        wait_text(page, "RAHASIA: hanya petugas Imigrasi yang bisa membaca laporan ini.")
        wait_text(page, "1 foto")
        wait_text(page, "Facebook, WhatsApp")               # both taps of the multi-choice kept
        snap(page, "55-confirm-rahasia-photo")
        tap(button(page, "Segel & kirim"))
        wait_text(page, "Menunggu sinyal")
        no_crash(page)
    finally:
        ctx.close()
    # the sealed attachment is in the store; the photo's metadata never reached it in the clear
    raw = (data / "jaga.db").read_bytes()
    assert b"Nama Pemilik" not in raw and b"PhoneMaker" not in raw


def test_stored_photo_has_no_exif(tmp_path):
    """The re-encoding the app relies on (device.add_photo) drops EXIF — checked directly."""
    from fieldapp.photos import reencode
    p = tmp_path / "x.jpg"
    _jpeg_with_exif(p, (400, 300))
    out = Image.open(io.BytesIO(reencode(p.read_bytes())))
    assert not out.getexif()


def test_date_and_time_pickers(browser, start_app, tmp_path):
    """The pickers open in the user's language and fill the field; typed text works too."""
    data = tmp_path / "phone"
    seed_device(data)
    srv = start_app(data)
    ctx, page, _ = open_app(browser, srv.url, PHONE)
    try:
        _unlock(page)
        tap(button(page, "Keberangkatan PMI"))
        tap(option(page, "Sudah berangkat"))   # v2: the date is asked once it has happened
        tap(button(page, "Pilih tanggal"))
        ok = page.get_by_role("button", name="OK", exact=True)   # exact: never "Ambil l-ok-asi GPS"
        ok.wait_for(timeout=15000)                    # the picker is open (no fixed sleep: CI is slow)
        snap(page, "56-date-picker")
        shown = page.locator("body").aria_snapshot()
        assert "Cancel" not in shown and "Select date" not in shown, shown
        tap(ok)
        ok.wait_for(state="detached", timeout=15000)
        # the field fills a frame or two after the dialog closes
        value = until(page, lambda: value_of(page, "Tanggal berangkat (atau terlihat) (wajib)"),
                      "the picked date in the field")
        assert value[:2] == "20", value
        fill(page, "Tanggal berangkat (atau terlihat) (wajib)", "1999-12-31")
        tap(button(page, "Lanjut"))
        wait_text(page, "Tidak boleh sebelum")                # typed date checked by the form's constraint
        snap(page, "57-date-error")
        no_crash(page)
    finally:
        ctx.close()

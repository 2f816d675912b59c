"""Issue 24 item 3 in the browser, on a real tmpfs that fills up (jaga_desa/testing/small_disk):
the app opened on a full phone says in Indonesian what happened, that nothing is lost and
what to delete — never "start with a new data folder" — and comes back once space is freed;
a phone filling up while open warns first, and a tap that can no longer be saved says so."""
from __future__ import annotations

import pytest

import forms
from jaga_desa.testing.small_disk import fill, small_disk
from tests.e2e.helpers import option, PHONE, PIN, button, fill as type_in, no_crash, open_app, seed_device, snap, tap, wait_text

pytestmark = pytest.mark.e2e


def _one_sealed(data) -> None:
    from fieldapp.device import Device
    dev = Device(data)
    try:
        dev.file(dev.unlock("Siti", PIN), "laporan_kecurigaan", forms.load("laporan_kecurigaan").example())
    finally:
        dev.close()


def test_a_full_phone_says_what_to_do_and_loses_nothing(browser, start_app, tmp_path):
    with small_disk(tmp_path / "phone", megabytes=8) as disk:
        data = disk                 # the app's log lands beside it, off the full disk
        seed_device(data)
        _one_sealed(data)
        filler = fill(disk)
        srv = start_app(data)
        ctx, page, _ = open_app(browser, srv.url, PHONE)
        try:
            wait_text(page, "Memori ponsel penuh")
            wait_text(page, "Tidak ada yang hilang")
            wait_text(page, "1 laporan tersegel menunggu dikirim")
            wait_text(page, "Hapus foto atau video lama")
            tree = page.locator("body").aria_snapshot()
            assert "folder" not in tree.lower() and "damaged" not in tree
            snap(page, "24-3-full-at-start")
            tap(button(page, "Coba lagi"))
            wait_text(page, "Masih penuh")                  # a tap that cannot work still answers
            filler.unlink()                                  # she deletes an old video
            tap(button(page, "Coba lagi"))
            type_in(page, "PIN", PIN)
            tap(button(page, "Masuk"))
            wait_text(page, "Memori ponsel hampir penuh")   # 8 MB: warned before it is full
            snap(page, "24-3-space-low")
            tap(button(page, "Laporan kecurigaan", exact=True))
            button(page, "Lanjut").wait_for()
            filler = fill(disk)
            tap(option(page, "Lainnya"))                    # an answer that can no longer be saved
            wait_text(page, "Perubahan terakhir belum tersimpan")
            snap(page, "24-3-full-while-open")
            no_crash(page)
        finally:
            ctx.close()
            srv.stop()

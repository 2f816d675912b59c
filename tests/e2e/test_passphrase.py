"""First run offers a longer passphrase (letters allowed) and says plainly what protects a
copied data folder in web mode (not hardware); the lock screen then takes the passphrase
with a full keyboard, submitted with Enter."""
from __future__ import annotations

import pytest

from tests.e2e.helpers import PHONE, button, fill, no_crash, open_app, snap, tap, textbox, wait_text

pytestmark = pytest.mark.e2e
PHRASE = "kopi pahit di balai"


def test_head_chooses_a_passphrase_and_unlocks_with_enter(browser, start_app, tmp_path):
    data = tmp_path / "phone"
    srv = start_app(data)
    ctx, page, _ = open_app(browser, srv.url, PHONE)
    try:
        wait_text(page, "Pilih bahasa / Choose language")
        tap(button(page, "Bahasa Indonesia"))
        textbox(page, "Nama pengguna").wait_for()
        wait_text(page, "BUKAN perangkat keras yang aman")          # web mode says it is not hardware
        fill(page, "Nama pengguna", "Pak Budi")
        tap(page.get_by_role("radio", name="Kepala desa"))
        tap(page.get_by_role("checkbox", name="Pakai frasa sandi (boleh huruf)"))
        fill(page, "Frasa sandi baru (8-64 karakter)", "pendek")
        fill(page, "Ulangi frasa sandi", "pendek")
        tap(button(page, "Buat pengguna"))
        wait_text(page, "Harus 8-64 karakter, tanpa spasi di ujung")
        fill(page, "Frasa sandi baru (8-64 karakter)", PHRASE)
        fill(page, "Ulangi frasa sandi", PHRASE)
        snap(page, "60-first-user-passphrase")
        tap(button(page, "Buat pengguna"))
        textbox(page, "Kode pendaftaran").wait_for()
        tap(button(page, "Nanti saja"))
        tap(button(page, "Kunci"))
        textbox(page, "Frasa sandi").wait_for()                     # the lock screen knows: letters
        fill(page, "Frasa sandi", PHRASE)
        textbox(page, "Frasa sandi").press("Enter")
        wait_text(page, "Halo, Pak Budi")
        snap(page, "61-unlocked-with-passphrase")
        no_crash(page)
    finally:
        ctx.close()

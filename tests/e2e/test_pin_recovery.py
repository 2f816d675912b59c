"""Issue 24 items 5 and 10 in the browser: a lock screen that tells nobody what the phone is
for, "Ganti PIN", "Lupa PIN?", and a phone whose only user was locked out by wrong PINs —
her sealed report still waits to go out, and the screen offers a new user, not a dead "Masuk"."""
from __future__ import annotations

import pytest

import forms
from core.errors import LockedOut, PinError
from fieldapp.users import MAX_TRIES
from tests.e2e.helpers import (option, PHONE, PIN, button, fill, no_crash, open_app, seed_device, snap, tap, wait_stored,
                               wait_text)

pytestmark = pytest.mark.e2e
NEW_PIN = "975310"


def _locked_out_with_one_sealed(data) -> None:
    from fieldapp.device import Device
    dev = Device(data)
    try:
        s = dev.unlock("Siti", PIN)
        dev.file(s, "laporan_kecurigaan", forms.load("laporan_kecurigaan").example())
        for i in range(MAX_TRIES):          # someone else held the phone; the waits were honoured
            with pytest.raises((PinError, LockedOut)):
                dev.unlock("Siti", f"{i:06d}", now=1e9 + 10_000 * i)
    finally:
        dev.close()


def test_a_locked_out_phone_offers_a_new_user_and_explains_the_forgotten_pin(browser, start_app, tmp_path):
    data = tmp_path / "phone"
    seed_device(data)
    _locked_out_with_one_sealed(data)
    srv = start_app(data)
    ctx, page, _ = open_app(browser, srv.url, PHONE)
    try:
        wait_text(page, "Siti terkunci di ponsel ini")
        wait_text(page, "1 laporan tersegel miliknya tetap dikirim ke kantor.")
        wait_text(page, "Tidak ada pengguna yang bisa dibuka")
        assert button(page, "Masuk").count() == 0            # nobody left to unlock
        assert page.get_by_role("radio").count() == 0
        snap(page, "24-5-nobody-left")
        tap(button(page, "Lupa PIN?"))
        wait_text(page, "PIN tidak bisa dipulihkan")
        wait_text(page, "Laporan yang sudah dikirim (tersegel) tetap sampai ke kantor", timeout=5000)
        snap(page, "24-5-forgot-pin")
        tap(button(page, "Kembali").first)
        tap(button(page, "Tambah pengguna"))
        fill(page, "Nama pengguna", "Ani")
        fill(page, "PIN baru (4-12 angka)", NEW_PIN)
        fill(page, "Ulangi PIN", NEW_PIN)
        tap(button(page, "Buat pengguna"))
        wait_stored(data, lambda dev: any(u["label"] == "Ani" for u in dev.users()), "the new user")
        no_crash(page)
    finally:
        ctx.close()


def test_a_neutral_lock_screen_and_ganti_pin(browser, start_app, tmp_path):
    data = tmp_path / "phone"
    seed_device(data, users=(("Siti", "volunteer"), ("Pak Budi", "head")))
    srv = start_app(data)
    ctx, page, _ = open_app(browser, srv.url, PHONE)
    try:
        page.get_by_role("radio", name="Siti", exact=True).wait_for()
        tree = page.locator("body").aria_snapshot()
        for telling in ("Relawan", "Kepala desa", "Imigrasi"):      # nothing says who informs whom
            assert telling not in tree, (telling, tree)
        snap(page, "24-10-lock-neutral")
        tap(page.get_by_role("radio", name="Siti", exact=True))
        fill(page, "PIN", PIN)
        tap(button(page, "Masuk"))
        tap(button(page, "Pengaturan"))
        tap(option(page, "Catatan"))                                  # a neutral app name
        wait_stored(data, lambda dev: dev.setting("app_label") == "Catatan", "the neutral name")
        tap(button(page, "Ganti PIN"))
        fill(page, "PIN sekarang", PIN)
        fill(page, "PIN baru (4-12 angka)", NEW_PIN)
        fill(page, "Ulangi PIN", NEW_PIN)
        snap(page, "24-5-change-pin")
        tap(button(page, "Ganti PIN").last)
        wait_text(page, "PIN sudah diganti.")
        wait_stored(data, lambda dev: dev.unlock("Siti", NEW_PIN) is not None, "the new PIN opens her data")
        no_crash(page)
    finally:
        ctx.close()

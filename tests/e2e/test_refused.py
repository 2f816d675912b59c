"""A report the office refused for good is shown as refused, with the reason, in the outbox
(the office's refusal itself is exercised against a real office in tests/sync/test_sync_device.py;
here the Device records it through the same `mark_failed` call sync makes)."""
from __future__ import annotations

import pytest

import forms
from tests.e2e.helpers import PHONE, PIN, button, fill, no_crash, open_app, seed_device, snap, tap, wait_text

pytestmark = pytest.mark.e2e


def _phone_with_one_refused(tmp_path, reports: list[tuple[str, dict]]):
    """Siti's phone with `reports` (form id, answers) sealed, the first refused as a revoked
    author's; returns the data dir."""
    data = tmp_path / "phone"
    seed_device(data)
    from fieldapp.device import Device
    dev = Device(data)
    try:
        s = dev.unlock("Siti", PIN)
        for form_id, answers in reports:
            dev.file(s, form_id, answers, rahasia=form_id == "laporan_darurat")
        dev.mark_failed(dev.pending()[0].envelope_id, "revoked", "the author has been revoked")
    finally:
        dev.close()
    return data


def _unlocked(browser, start_app, data):
    srv = start_app(data)
    ctx, page, _ = open_app(browser, srv.url, PHONE)
    fill(page, "PIN", PIN)
    tap(button(page, "Masuk"))
    return ctx, page


def test_refused_report_shows_its_reason(browser, start_app, tmp_path):
    example = forms.load("laporan_kecurigaan").example()
    data = _phone_with_one_refused(tmp_path, [("laporan_kecurigaan", example)] * 2)
    ctx, page = _unlocked(browser, start_app, data)
    try:
        wait_text(page, "Ditolak kantor — tidak akan dikirim ulang")
        wait_text(page, "Alasan: pengguna atau ponsel dicabut oleh kantor")
        wait_text(page, "Menunggu sinyal")
        snap(page, "62-outbox-refused")
        no_crash(page)
    finally:
        ctx.close()


def test_a_refused_darurat_says_call_110_112_first(browser, start_app, tmp_path):
    """Issue 24 item 4: her Darurat refused because her account was revoked meanwhile — the
    office keeps it for its admins (tests/adversarial/test_quarantine.py), but nobody acts on
    it now: the first thing her home screen says is to call, with both numbers one tap away."""
    data = _phone_with_one_refused(tmp_path, [("laporan_darurat", {"apa_terjadi": "Anak dibawa ke perahu",
                                                                   "urgensi": "darurat", "rahasia": "ya"})])
    ctx, page = _unlocked(browser, start_app, data)
    try:
        wait_text(page, "Laporan darurat Anda (1) DITOLAK kantor: jangan menunggu kantor")
        for number in ("110", "112"):
            link = button(page, f"Telepon {number}").first
            link.wait_for()
        snap(page, "24-4-darurat-refused")
        no_crash(page)
    finally:
        ctx.close()

"""A report the office refused for good is shown as refused, with the reason, in the outbox
(the office's refusal itself is exercised against a real office in tests/sync/test_sync_device.py;
here the Device records it through the same `mark_failed` call sync makes)."""
from __future__ import annotations

import pytest

import forms
from tests.e2e.helpers import PHONE, PIN, button, fill, no_crash, open_app, seed_device, snap, tap, wait_text

pytestmark = pytest.mark.e2e


def test_refused_report_shows_its_reason(browser, start_app, tmp_path):
    data = tmp_path / "phone"
    seed_device(data)
    from fieldapp.device import Device
    dev = Device(data)
    try:
        s = dev.unlock("Siti", PIN)
        for _ in range(2):
            dev.file(s, "laporan_kecurigaan", forms.load("laporan_kecurigaan").example())
        refused = dev.pending()[0].envelope_id
        dev.mark_failed(refused, "revoked", "the author has been revoked")
        assert sorted(r["state"] for r in dev.outbox()) == ["refused", "waiting"]
    finally:
        dev.close()
    srv = start_app(data)
    ctx, page, _ = open_app(browser, srv.url, PHONE)
    try:
        fill(page, "PIN", PIN)
        tap(button(page, "Masuk"))
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
    data = tmp_path / "phone"
    seed_device(data)
    from fieldapp.device import Device
    dev = Device(data)
    try:
        s = dev.unlock("Siti", PIN)
        dev.file(s, "laporan_darurat", {"apa_terjadi": "Anak dibawa ke perahu", "urgensi": "darurat",
                                        "rahasia": "ya"}, rahasia=True)
        dev.mark_failed(dev.pending()[0].envelope_id, "revoked", "the author has been revoked")
    finally:
        dev.close()
    srv = start_app(data)
    ctx, page, _ = open_app(browser, srv.url, PHONE)
    try:
        fill(page, "PIN", PIN)
        tap(button(page, "Masuk"))
        wait_text(page, "Laporan darurat Anda (1) DITOLAK kantor: jangan menunggu kantor")
        for number in ("110", "112"):
            link = button(page, f"Telepon {number}").first
            link.wait_for()
        snap(page, "24-4-darurat-refused")
        no_crash(page)
    finally:
        ctx.close()

"""Issue 24 item 5: wrong PINs and forgotten PINs on a shared phone.

"Ganti PIN" re-wraps the same data key (her drafts and keys open under the new PIN, never the
old one) and its current-PIN check is a counted try. Ten wrong PINs destroy a person's key,
but not what she already sealed: those reports are ciphertext for the office and keep going
out — here to a real office over loopback, whose signed receipt the phone still verifies.
"""
from __future__ import annotations

import pytest

import forms
from core.errors import LockedOut, PinError
from fieldapp.device import Device
from fieldapp.users import MAX_TRIES, BadPin
from tests.fieldapp.conftest import PIN
from office.schema import envelopes
from tests.support import enroll_on_device, office_count, sync_device, village

NEW_PIN = "975310"


def test_ganti_pin_keeps_her_data_and_retires_the_old_pin(device, volunteer):
    draft = device.new_draft(volunteer, "laporan_kecurigaan", {"apa_terjadi": "kapal malam"})
    device.change_pin("Siti", PIN, NEW_PIN)
    with pytest.raises(PinError):
        device.unlock("Siti", PIN)
    s = device.unlock("Siti", NEW_PIN)
    assert device.load_answers(s, draft)["apa_terjadi"] == "kapal malam"
    assert device.trust_bundle(s)["person_id"] == volunteer.person_id       # her enrollment survives


def test_ganti_pin_needs_the_current_pin_and_counts_a_wrong_one(device, volunteer):
    with pytest.raises(PinError) as err:
        device.change_pin("Siti", "000000", NEW_PIN)
    assert err.value.remaining == MAX_TRIES - 1
    with pytest.raises(BadPin):
        device.change_pin("Siti", PIN, "12")
    device.unlock("Siti", PIN)          # neither attempt changed anything


def test_ten_wrong_pins_do_not_lose_her_sealed_reports(office_server, tmp_path, monkeypatch):
    monkeypatch.setenv("JAGA_KDF_SECONDS", "0.02")
    village(office_server)
    dev = Device.init(tmp_path / "phone")
    try:
        s = enroll_on_device(dev, office_server, "Entikong", "Siti", "volunteer", PIN)
        dev.file(s, "laporan_kecurigaan", forms.load("laporan_kecurigaan").example())
        for i in range(MAX_TRIES):          # someone holding the shared phone, waits honoured
            with pytest.raises((PinError, LockedOut)):
                dev.unlock("Siti", f"{i:06d}", now=1e9 + 10_000 * i)
        assert dev.locked_out_outbox() == {"Siti": 1}
        with pytest.raises(LockedOut):
            dev.unlock("Siti", PIN, now=2e9)
        result = sync_device(dev)
        assert result.ok and result.received == 1
        assert office_count(office_server, envelopes) == 1
        assert dev.locked_out_outbox() == {"Siti": 0}
        assert [r["state"] for r in dev.outbox()] == ["received"]
    finally:
        dev.close()

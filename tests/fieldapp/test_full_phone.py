"""Issue 24 item 3: a full phone is not a broken phone. On a real tmpfs that really fills up
(jaga_desa/testing/small_disk): the store refuses to open as StorageFull — never "damaged,
start with a new data folder" — the sealed report waiting in it is counted without writing,
and once space is freed everything is there and goes on."""
from __future__ import annotations

import pytest

import forms
from core.errors import CorruptStore, StorageFull
from fieldapp import store
from fieldapp.device import Device
from jaga_desa.testing.small_disk import fill, small_disk
from tests.fieldapp.conftest import PIN


@pytest.fixture
def disk(tmp_path):
    with small_disk(tmp_path / "sd", megabytes=8) as mount:
        yield mount


def _phone_with_one_sealed(data) -> None:
    dev = Device.init(data)
    try:
        dev.add_user("Siti", "volunteer", PIN)
        s = dev.unlock("Siti", PIN)
        from tests.fieldapp.conftest import Office
        office = Office()
        dev.apply_enrollment(s, office.ticket(), office.response(s))
        dev.file(s, "laporan_kecurigaan", forms.load("laporan_kecurigaan").example())
    finally:
        dev.close()


def test_a_full_phone_opens_as_full_not_damaged_and_nothing_is_lost(disk):
    data = disk / "phone"
    _phone_with_one_sealed(data)
    filler = fill(disk)
    try:
        dev = Device(data)          # some SQLite versions open read-mostly stores without a write
    except StorageFull as exc:
        assert "new data folder" not in str(exc)
    except CorruptStore as exc:     # what today's main says: "damaged? ... start with a new data folder"
        pytest.fail(f"a full disk was reported as a damaged store: {exc}")
    else:
        with pytest.raises(StorageFull):
            dev.unlock("Siti", PIN)             # the try counter is a write
        dev.close()
    assert store.sealed_waiting(data) == 1      # read without writing a byte
    filler.unlink()                              # she deletes an old video
    dev = Device(data)
    try:
        assert [r["state"] for r in dev.outbox()] == ["waiting"]
        assert dev.unlock("Siti", PIN).label == "Siti"
        assert dev.space()["low"]                # 8 MB is far below the warning line
    finally:
        dev.close()


def test_the_disk_filling_while_open_keeps_the_last_saved_draft(disk):
    data = disk / "phone"
    _phone_with_one_sealed(data)
    dev = Device(data)
    try:
        s = dev.unlock("Siti", PIN)
        rid = dev.new_draft(s, "laporan_kecurigaan", {"tempat": "dermaga"})
        filler = fill(disk)
        with pytest.raises(StorageFull):
            for _ in range(200):
                dev.save_draft(s, rid, {"tempat": "dermaga", "apa_dilihat": "x" * 20000})
        kept = dev.load_answers(s, rid)
        assert kept["tempat"] == "dermaga"
        filler.unlink()
        dev.save_draft(s, rid, {**kept, "apa_dilihat": "kapal"})
        assert dev.load_answers(s, rid)["apa_dilihat"] == "kapal"
    finally:
        dev.close()

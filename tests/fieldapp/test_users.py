import sqlite3

import pytest

from core.errors import DecryptError, LockedOut, PinError
from fieldapp import keys
from fieldapp.device import Device
from fieldapp.users import MAX_TRIES, BadPin

from .conftest import HEAD_PIN, PIN


def test_unlock_roundtrip_and_wrong_pin_counts_persistently(device, tmp_path):
    device.add_user("Siti", "volunteer", PIN)
    with pytest.raises(PinError) as err:
        device.unlock("Siti", "000000")
    assert err.value.remaining == MAX_TRIES - 1 and "9 tries left" in err.value.message
    device.close()
    again = Device(tmp_path / "dev")             # count survives a restart
    with pytest.raises(PinError) as err:
        again.unlock("Siti", "111111")
    assert err.value.remaining == MAX_TRIES - 2
    assert again.unlock("Siti", PIN).label == "Siti"
    assert again.users()[0]["failed_attempts"] == 0   # reset by the right PIN
    again.close()


def test_ten_wrong_pins_destroy_the_key(device, volunteer):
    rid = device.new_draft(volunteer, "laporan_kecurigaan", {"apa_dilihat": "rahasia sekali"})
    for i in range(MAX_TRIES - 1):
        with pytest.raises(PinError) as err:
            device.unlock("Siti", "999999")
        assert not isinstance(err.value, LockedOut)
    with pytest.raises(LockedOut):
        device.unlock("Siti", "999999")
    with pytest.raises(LockedOut):                # even the right PIN is useless now
        device.unlock("Siti", PIN)
    row = device.db.conn.execute("SELECT wrapped_key, private_keys, locked FROM users").fetchone()
    assert row == (None, None, 1)
    blob = device.db.conn.execute("SELECT answers FROM reports WHERE id=?", (rid,)).fetchone()[0]
    assert blob and b"rahasia sekali" not in blob


def test_second_user_cannot_decrypt_first_users_drafts(tmp_path, device, volunteer):
    rid = device.new_draft(volunteer, "laporan_kecurigaan", {"apa_dilihat": "perekrut di pelabuhan"})
    device.add_user("Pak Kades", "head", HEAD_PIN)
    device.close()
    # the head gets the whole data dir and their own valid PIN
    other = Device(tmp_path / "dev")
    head = other.unlock("Pak Kades", HEAD_PIN)
    blob = other.db.conn.execute("SELECT answers FROM reports WHERE id=?", (rid,)).fetchone()[0]
    with pytest.raises(DecryptError):
        head.cipher.decrypt("reports", rid, "answers", blob)
    with pytest.raises(Exception):
        other.load_answers(head, rid)             # not even addressable by the head
    other.close()


def test_pin_format_and_duplicate_names(device):
    with pytest.raises(BadPin):
        device.add_user("A", "volunteer", "12")
    device.add_user("A", "volunteer", "1234")
    with pytest.raises(Exception, match="already exists"):
        device.add_user("A", "head", "5678")


def test_kdf_params_stored_and_calibration_scales():
    small, large = keys.calibrate(0.005), keys.calibrate(0.2)
    assert small.log2_n <= large.log2_n
    assert keys.MIN_LOG2_N <= small.log2_n <= keys.MAX_LOG2_N
    p = keys.KdfParams.from_json(large.to_json())
    assert p == large
    wrapped = keys.wrap_key(b"k" * 32, "1234", keys.KdfParams(12))
    assert keys.unwrap_key(wrapped, "1234", keys.KdfParams(12)) == b"k" * 32
    assert keys.unwrap_key(wrapped, "4321", keys.KdfParams(12)) is None


def test_user_kdf_params_recorded_per_user(device):
    device.add_user("Siti", "volunteer", PIN)
    kdf = device.db.conn.execute("SELECT kdf FROM users").fetchone()[0]
    assert '"alg": "scrypt"' in kdf and '"log2_n"' in kdf

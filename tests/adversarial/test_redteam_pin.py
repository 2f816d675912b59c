"""Red team: the PIN try limit, attacked by someone who can write the phone's data folder.

THREAT_MODEL.md (adversary 1) says whoever holds the phone cannot "brute-force a PIN on the
phone beyond 10 tries". The try counter and the wait live in the plaintext `users` row, so
the attacker here does what the issue says such a person can do: rewrite the file (sqlite3,
no PIN) or put back an older copy of the folder. The pepper stays where it is (on Android:
in the Keystore, which the attacker cannot copy but the app on that phone still uses), so
each guess goes through the real `Device.unlock` — an online attack the limit must stop.
"""
from __future__ import annotations

import shutil
import sqlite3

import pytest

from core.errors import LockedOut, PinError
from fieldapp.device import Device

PIN = "246810"


@pytest.fixture(autouse=True)
def fast(monkeypatch):
    monkeypatch.setenv("JAGA_KDF_SECONDS", "0.02")      # real scrypt, cheaper calibration


def _guesses(n: int):
    """Wrong PINs an attacker would try (never the right one)."""
    return [f"{i:06d}" for i in range(n) if f"{i:06d}" != PIN]


def test_rewriting_the_try_counter_buys_no_extra_guesses(tmp_path):
    dev = Device.init(tmp_path / "phone")
    dev.add_user("Siti", "volunteer", PIN)
    dev.close()
    db = tmp_path / "phone" / "jaga.db"
    clock = 0.0
    for guess in _guesses(30):                     # three times the limit
        clock += 3600.0                            # the attacker waits out every delay (injected clock)
        dev = Device(tmp_path / "phone")
        try:
            with pytest.raises((PinError, LockedOut)):
                dev.unlock("Siti", guess, now=clock)
        finally:
            dev.close()
        with sqlite3.connect(db) as conn:          # the attacker's edit after every try
            conn.execute("UPDATE users SET failed_attempts=0, retry_after=0")
    dev = Device(tmp_path / "phone")
    try:
        # After 30 wrong PINs the user must be gone for good: the right PIN opens nothing.
        with pytest.raises(LockedOut):
            dev.unlock("Siti", PIN, now=clock + 3600.0)
    finally:
        dev.close()


def test_restoring_an_older_copy_of_the_folder_does_not_bring_back_a_destroyed_user(tmp_path):
    dev = Device.init(tmp_path / "phone")
    dev.add_user("Siti", "volunteer", PIN)
    dev.close()
    shutil.copytree(tmp_path / "phone", tmp_path / "backup")      # e.g. an adb backup
    dev = Device(tmp_path / "phone")
    try:
        # ten wrong PINs; the waits between them are honoured by moving the injected clock
        for step, guess in enumerate(_guesses(10)):
            with pytest.raises((PinError, LockedOut)) as err:
                dev.unlock("Siti", guess, now=10_000.0 * (step + 1))
            assert err.value.code != "pin_wait"
        assert dev.users()[0]["locked"]
    finally:
        dev.close()
    shutil.rmtree(tmp_path / "phone")
    shutil.copytree(tmp_path / "backup", tmp_path / "phone")      # put the old copy back
    dev = Device(tmp_path / "phone")
    try:
        with pytest.raises(LockedOut):
            dev.unlock("Siti", PIN, now=1e6)
        assert dev.users()[0]["locked"]
    finally:
        dev.close()


def test_deleting_the_pepper_rows_never_makes_a_new_pepper_that_burns_the_right_pin(tmp_path):
    """THREAT_MODEL.md: the pepper is "never silently re-created". The file-writer deletes
    the rows that name it (`pepper_name`, `device_uuid`); the user then types the RIGHT PIN.
    A fresh pepper would turn it into a wrong one — ten such tries destroy the user."""
    from fieldapp.secret_store import SecretMissing
    dev = Device.init(tmp_path / "phone")
    dev.add_user("Siti", "volunteer", PIN)
    dev.close()
    with sqlite3.connect(tmp_path / "phone" / "jaga.db") as conn:
        conn.execute("DELETE FROM meta WHERE key IN ('pepper_name', 'device_uuid')")
    dev = Device(tmp_path / "phone")
    try:
        with pytest.raises(SecretMissing):
            dev.unlock("Siti", PIN)
        assert dev.users()[0]["failed_attempts"] == 0       # no try was billed
    finally:
        dev.close()

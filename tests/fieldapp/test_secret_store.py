"""A copied data folder must not be guessable offline: the key that wraps each user's data key
mixes in a pepper held outside the folder (fieldapp.secret_store). Written as the attacker:
copy the folder, try elsewhere; edit the file; and the hardware store faked — the only fake,
standing in for Android Keystore, which cannot exist on this machine."""
from __future__ import annotations

import dataclasses
import shutil

import pytest

from core.errors import PinError
from fieldapp import keys, users
from fieldapp.device import Device
from fieldapp.secret_store import FileSecretStore, KeystoreSecretStore, SecretMissing

from .conftest import PIN


def _user_row(device, name="Siti"):
    return device.db.conn.execute("SELECT kdf, wrapped_key, failed_attempts FROM users WHERE label=?",
                                  (name,)).fetchone()


def test_copied_folder_does_not_unlock_elsewhere_even_with_the_right_pin(tmp_path):
    home = FileSecretStore(tmp_path / "home-secrets")
    dev = Device.init(tmp_path / "dev", secrets=home)
    dev.add_user("Siti", "volunteer", PIN)
    rid = dev.new_draft(dev.unlock("Siti", PIN), "laporan_kecurigaan", {"tempat": "Nunukan"})
    dev.close()
    assert list((tmp_path / "home-secrets").iterdir())           # the pepper lives outside the folder
    assert not any("secret" in p.name for p in (tmp_path / "dev").iterdir())
    shutil.copytree(tmp_path / "dev", tmp_path / "stolen")
    thief = Device(tmp_path / "stolen", secrets=FileSecretStore(tmp_path / "thief-secrets"))
    with pytest.raises(SecretMissing):
        thief.unlock("Siti", PIN)
    assert _user_row(thief)[2] == 0                              # not billed as a wrong PIN
    # offline, with the file's own salt and scrypt parameters: the right PIN does not open it
    kdf, wrapped, _ = _user_row(thief)
    params = keys.KdfParams.from_json(kdf)
    assert params.peppered
    assert keys.unwrap_key(wrapped, PIN, params, b"\0" * 32) is None
    assert keys.unwrap_key(wrapped, PIN, dataclasses.replace(params, peppered=False)) is None
    # editing the file to drop the pepper flag only burns a try
    thief.db.conn.execute("UPDATE users SET kdf=? WHERE label='Siti'",
                          (dataclasses.replace(params, peppered=False).to_json(),))
    with pytest.raises(PinError):
        thief.unlock("Siti", PIN)
    thief.close()
    # the real phone still opens it
    again = Device(tmp_path / "dev", secrets=home)
    assert again.load_answers(again.unlock("Siti", PIN), rid)["tempat"] == "Nunukan"
    again.close()


def test_missing_pepper_is_never_silently_recreated(tmp_path):
    store = FileSecretStore(tmp_path / "s")
    dev = Device.init(tmp_path / "dev", secrets=store)
    dev.add_user("Siti", "volunteer", PIN)
    for p in (tmp_path / "s").iterdir():
        p.unlink()                                              # the store was reset
    for _ in range(3):
        with pytest.raises(SecretMissing):
            dev.unlock("Siti", PIN)
    assert not list((tmp_path / "s").iterdir()) and _user_row(dev)[2] == 0
    dev.close()


def test_user_from_before_the_pepper_still_unlocks_and_is_rewrapped(tmp_path):
    """Existing users keep their PIN: the first unlock re-wraps their key with the pepper."""
    store = FileSecretStore(tmp_path / "s")
    dev = Device(tmp_path / "dev", create=True, secrets=store)
    users.add_user(dev.db, "Lama", "volunteer", PIN)            # as the previous version wrote it
    assert not keys.KdfParams.from_json(_user_row(dev, "Lama")[0]).peppered
    session = dev.unlock("Lama", PIN)
    assert session.label == "Lama" and keys.KdfParams.from_json(_user_row(dev, "Lama")[0]).peppered
    assert dev.unlock("Lama", PIN).user_id == session.user_id
    dev.close()
    shutil.copytree(tmp_path / "dev", tmp_path / "copy")
    with pytest.raises(SecretMissing):
        Device(tmp_path / "copy", secrets=FileSecretStore(tmp_path / "other")).unlock("Lama", PIN)


class FakeKeystore:
    """Stands in for flet-secure-storage over Android Keystore (hardware this machine lacks):
    a dict the app can read back but a copy of the data folder never contains."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def set(self, key: str, value: str) -> None:
        self.values[key] = value


def test_keystore_store_holds_the_pepper_on_the_phone(tmp_path):
    hw = FakeKeystore()
    store = KeystoreSecretStore(hw.get, hw.set)
    dev = Device.init(tmp_path / "dev", secrets=store)
    dev.add_user("Siti", "volunteer", PIN)
    assert dev.unlock("Siti", PIN).label == "Siti" and store.hardware_backed
    [(key, value)] = [(k, v) for k, v in hw.values.items() if v]      # (a cleared try ledger is "")
    assert key.startswith("jaga-desa.") and value.encode() not in b"".join(
        p.read_bytes() for p in (tmp_path / "dev").iterdir() if p.is_file())
    hw.values.clear()                                          # Keystore reset / another phone
    with pytest.raises(SecretMissing):
        dev.unlock("Siti", PIN)
    dev.close()


def test_web_mode_store_says_it_is_not_hardware_backed(tmp_path):
    dev = Device.init(tmp_path / "dev", secrets=FileSecretStore(tmp_path / "s"))
    assert dev.secrets.hardware_backed is False
    assert "BUKAN perangkat keras" in dev.secret_store_text("id")
    assert "NOT secure hardware" in dev.secret_store_text("en")
    secret_file = next((tmp_path / "s").iterdir())
    assert oct(secret_file.stat().st_mode & 0o777) == "0o600"
    dev.close()


def test_quick_wipe_also_forgets_the_pepper(tmp_path):
    """A copy taken before the wipe (with the PIN known) can no longer be opened afterwards."""
    store = FileSecretStore(tmp_path / "s")
    dev = Device.init(tmp_path / "dev", secrets=store)
    dev.add_user("Siti", "volunteer", PIN)
    shutil.copytree(tmp_path / "dev", tmp_path / "earlier-copy")
    dev.wipe()
    assert not list((tmp_path / "s").iterdir())
    with pytest.raises(SecretMissing):
        Device(tmp_path / "earlier-copy", secrets=store).unlock("Siti", PIN)


def test_browser_store_says_the_pepper_sits_with_the_data_and_never_replaces_it(tmp_path):
    """The offline app's store (fieldapp/secret_store_web.py; run here on CPython, in the
    browser by tests/e2e/test_offline_app.py): honest on screen, and a second `create` — a
    second tab, a re-run of device init — keeps the first secret."""
    from fieldapp.secret_store_web import BrowserSecretStore
    from fieldapp.store import get_meta
    dev = Device.init(tmp_path / "dev", secrets=BrowserSecretStore(tmp_path / "s"))
    assert dev.secrets.hardware_backed is False
    assert "penyimpanan peramban" in dev.secret_store_text("id") and "BUKAN" in dev.secret_store_text("id")
    assert "browser's storage" in dev.secret_store_text("en") and "NOT secure hardware" in dev.secret_store_text("en")
    store = BrowserSecretStore(tmp_path / "s")
    name = get_meta(dev.db, "pepper_name")
    assert store.create(name) == store.get(name) == dev.pepper()
    dev.close()

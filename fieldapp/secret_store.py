"""Where the phone's pepper lives: a random secret kept OUTSIDE the data folder and mixed
into every user's PIN key derivation (keys.wrap_key), so a copy of the folder alone cannot
be guessed offline — not even all 10^6 six-digit PINs.

One small interface, `SecretStore`, and three homes for the secret:

- `KeystoreSecretStore` — the phone: a wrapper over flet-secure-storage (Android Keystore /
  StrongBox). The hardware never hands out its own key, so a copied folder or an adb backup
  carries no pepper. Not testable on this machine; its test fakes only the hardware.
- `FileSecretStore` — web/desktop mode: a 0600 file in a folder outside the data folder
  (`JAGA_SECRET_DIR`, default `~/.config/jaga-desa/secrets`). NOT hardware-backed: it stops
  a copy of the data folder alone, not a copy of the whole disk or account. The settings
  screen and THREAT_MODEL.md say so (`describe()`).

A store only creates a secret when asked to (`create`, at device set-up); unlocking only
`get`s it. If the secret is gone (the folder was copied to another phone, the key store was
reset) unlocking fails with `SecretMissing` — never with a silently new pepper that would
turn every correct PIN into a "wrong" one and destroy the user after ten tries.
"""
from __future__ import annotations

import base64
import os
import re
import tempfile
from pathlib import Path
from typing import Callable, Protocol

from core.errors import StoreError

PEPPER_BYTES = 32


class SecretMissing(StoreError):
    """This phone's secret is missing: data copied from another phone, or its key store was reset."""
    code = "secret_missing"


class SecretStore(Protocol):
    hardware_backed: bool

    def get(self, name: str) -> bytes | None: ...
    def create(self, name: str) -> bytes: ...
    def delete(self, name: str) -> None: ...          # quick wipe: an old copy of the folder stays locked
    def read_value(self, name: str) -> bytes | None: ...   # small records: the PIN try ledger
    def write_value(self, name: str, value: bytes) -> None: ...
    def describe(self) -> tuple[str, str]: ...        # (Bahasa Indonesia, English) for the screen


def _check_name(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,100}", name):
        raise ValueError(f"bad secret name {name!r}")
    return name


class FileSecretStore:
    """Web/desktop mode: one 0600 file per secret in a 0700 folder outside the data folder."""

    hardware_backed = False

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def _path(self, name: str) -> Path:
        return self.folder / _check_name(name)

    def get(self, name: str) -> bytes | None:
        try:
            raw = base64.b64decode(self._path(name).read_text().strip(), validate=True)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise SecretMissing(f"the secret file for this phone cannot be read: {exc}") from exc
        if len(raw) != PEPPER_BYTES:
            raise SecretMissing("the secret file for this phone is damaged")
        return raw

    def create(self, name: str) -> bytes:
        """A fresh random secret; an existing one is kept (never replaced)."""
        if (old := self.get(name)) is not None:
            return old
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        secret = os.urandom(PEPPER_BYTES)
        # Written whole to a private temp file, then linked into place: another process that
        # races us either sees no file or a complete one, and the first link wins.
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".new-")
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(base64.b64encode(secret).decode())
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, self._path(name))
            except FileExistsError:
                return self.get(name)       # type: ignore[return-value]
        finally:
            os.unlink(tmp)
        return secret

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def read_value(self, name: str) -> bytes | None:
        """A small record kept beside the secrets (the PIN try ledger), None when absent."""
        try:
            return base64.b64decode(self._path(name).read_text().strip(), validate=True)
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return None

    def write_value(self, name: str, value: bytes) -> None:
        """Replace a record whole (temp file + rename: a reader sees the old or the new)."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".new-")
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(base64.b64encode(value).decode())
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self._path(name))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def describe(self) -> tuple[str, str]:
        return (f"Kunci tambahan disimpan di berkas {self.folder}, di luar folder data — BUKAN perangkat "
                "keras yang aman. Salinan folder data saja tidak bisa ditebak; salinan seluruh disk bisa.",
                f"The extra key is kept in a file in {self.folder}, outside the data folder — NOT secure "
                "hardware. A copy of the data folder alone cannot be guessed; a copy of the whole disk can.")


class KeystoreSecretStore:
    """The phone: secrets behind Android Keystore through flet-secure-storage.

    `get_value(key) -> str | None` and `set_value(key, value)` are the storage's calls made
    synchronous (on the phone: `asyncio.run_coroutine_threadsafe(storage.get(key), loop)
    .result()` around `flet_secure_storage.SecureStorage`). Build that storage with
    `AndroidOptions(reset_on_error=False)`: with True the plugin silently wipes its values
    when the Keystore key becomes unusable, which we would see as "no secret"; with False
    it raises and the user is told. Keep the app out of Android backups
    (`android:allowBackup="false"`) so no backup carries the data folder next to anything.
    """

    hardware_backed = True

    def __init__(self, get_value: Callable[[str], str | None], set_value: Callable[[str, str], None]) -> None:
        self._get, self._set = get_value, set_value

    def get(self, name: str) -> bytes | None:
        value = self._get(f"jaga-desa.{_check_name(name)}")
        if not value:
            return None
        raw = base64.b64decode(value)
        if len(raw) != PEPPER_BYTES:
            raise SecretMissing("the phone's key store returned a damaged secret")
        return raw

    def create(self, name: str) -> bytes:
        if (old := self.get(name)) is not None:
            return old
        secret = os.urandom(PEPPER_BYTES)
        self._set(f"jaga-desa.{_check_name(name)}", base64.b64encode(secret).decode())
        if self.get(name) != secret:
            raise SecretMissing("the phone's key store did not keep the secret")
        return secret

    def delete(self, name: str) -> None:
        self._set(f"jaga-desa.{_check_name(name)}", "")

    def read_value(self, name: str) -> bytes | None:
        value = self._get(f"jaga-desa.{_check_name(name)}")
        return base64.b64decode(value) if value else None

    def write_value(self, name: str, value: bytes) -> None:
        self._set(f"jaga-desa.{_check_name(name)}", base64.b64encode(value).decode())

    def describe(self) -> tuple[str, str]:
        return ("Kunci tambahan disimpan di Android Keystore (perangkat keras ponsel).",
                "The extra key is kept in Android Keystore (the phone's hardware).")

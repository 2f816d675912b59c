"""The phone's pepper in the offline app (a browser): a file in the browser's own storage.

A browser gives a web app no hardware key store, so the pepper sits in the same IndexedDB
as the device store (jaga_desa/offline/storage.py keeps them in separate folders of one
mount). It still stops one thing — the device store file alone, copied out of the browser's
storage, cannot be checked against PIN guesses — but whoever copies the browser profile has
both, and then only the calibrated Scrypt cost and the PIN's length stand between them and
the reports (THREAT_MODEL.md, "The offline app in a browser", with the measured cost).
`describe()` says so on the settings screen.

Emscripten's file system has no hard links, so the create-once race that FileSecretStore
settles with os.link is settled here by the worker being the only writer (one Python per tab).
"""
from __future__ import annotations

import os

from fieldapp.secret_store import PEPPER_BYTES, FileSecretStore, SecretMissing


class BrowserSecretStore(FileSecretStore):
    hardware_backed = False

    def create(self, name: str) -> bytes:
        if (old := self.get(name)) is not None:
            return old
        secret = os.urandom(PEPPER_BYTES)
        self.write_value(name, secret)
        if self.get(name) != secret:
            raise SecretMissing("the browser's storage did not keep the secret")
        return secret

    def describe(self) -> tuple[str, str]:
        return ("Aplikasi ini berjalan di peramban: kunci tambahan disimpan di penyimpanan peramban, "
                "bersama data — BUKAN perangkat keras yang aman. Siapa pun yang menyalin profil peramban "
                "hanya dihalangi oleh PIN: pakai PIN yang tidak mudah ditebak.",
                "This app runs in a browser: the extra key is kept in the browser's storage, next to "
                "the data — NOT secure hardware. Whoever copies the browser profile is stopped only by "
                "the PIN: use one that is hard to guess.")

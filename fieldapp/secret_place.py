"""Where this platform keeps the PIN pepper: the one choice between the secret stores.

Kept apart from `secret_store` (the file and Android stores) and `secret_store_web` (the
browser's), which builds on it, so neither imports the other back.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from fieldapp.secret_store import FileSecretStore, SecretStore


def default_store() -> SecretStore:
    """Web/desktop mode: the file store; `JAGA_SECRET_DIR` overrides its folder. In the
    offline app (a browser) the browser's store: fieldapp/secret_store_web.py."""
    folder = os.environ.get("JAGA_SECRET_DIR") or Path(
        os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "jaga-desa" / "secrets"
    if sys.platform == "emscripten":
        from fieldapp.secret_store_web import BrowserSecretStore
        return BrowserSecretStore(folder)
    return FileSecretStore(folder)

"""Keys the dashboard derives from the office's private X25519 key (never stored).

Deriving instead of storing means the search index and the triage notes are as safe as
the office keys themselves: a copy of office.db without the passphrase-protected key file
cannot confirm a guessed word or read a note.
"""
from __future__ import annotations

import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sync.office.keys import OfficeKeys


@lru_cache(maxsize=8)
def _derive(keys: OfficeKeys, purpose: bytes) -> bytes:
    raw = keys.x25519.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                    serialization.NoEncryption())
    return HKDF(hashes.SHA256(), 32, salt=None, info=b"jaga-desa/v1/dashboard/" + purpose).derive(raw)


def term_hash(keys: OfficeKeys, word: str) -> str:
    return hmac.new(_derive(keys, b"search"), word.encode(), hashlib.sha256).hexdigest()[:32]


def seal_note(keys: OfficeKeys, envelope_id: str, text: str) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(_derive(keys, b"notes")).encrypt(nonce, text.encode(), envelope_id.encode())


def open_note(keys: OfficeKeys, envelope_id: str, blob: bytes | None) -> str | None:
    if not blob:
        return None
    try:
        return AESGCM(_derive(keys, b"notes")).decrypt(blob[:12], blob[12:], envelope_id.encode()).decode()
    except (InvalidTag, ValueError):
        return None

"""Link keys: HMAC-SHA256 under a key derived from the office's private key (never stored).

The same construction as the dashboard's search index: equal identifiers give equal keys,
so rules can join on them, while a copy of the database alone cannot reverse a key or
confirm a guessed phone number. Names additionally get a sealed copy (AES-GCM, bound to
the envelope id) so near-miss spellings can be compared with rapidfuzz in memory.
"""
from __future__ import annotations

import hashlib
import json
import hmac
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from office.keys import OfficeKeys, purpose_key


def _derive(keys: OfficeKeys, purpose: bytes) -> bytes:
    return purpose_key(keys, b"warning/" + purpose)


@lru_cache(maxsize=65536)
def link_key(keys: OfficeKeys, kind: str, value: str) -> str:
    """The kind is inside the MAC: a plate and a boat name that happen to be equal never link."""
    return hmac.new(_derive(keys, b"links"), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=32)
def _names_aead(keys: OfficeKeys) -> AESGCM:
    """One cipher object per office key: a batch opens thousands of stored names, and making
    the AESGCM object each time cost as much as the decryption (it keeps no per-message state)."""
    return AESGCM(_derive(keys, b"names"))


def seal_name(keys: OfficeKeys, envelope_id: str, normalised: str) -> bytes:
    nonce = os.urandom(12)
    return nonce + _names_aead(keys).encrypt(nonce, normalised.encode(), envelope_id.encode())


def open_name(keys: OfficeKeys, envelope_id: str, blob: bytes | None) -> str | None:
    if not blob:
        return None
    try:
        return _names_aead(keys).decrypt(blob[:12], blob[12:], envelope_id.encode()).decode()
    except (InvalidTag, ValueError):
        return None


def seal_values(keys: OfficeKeys, signal_key: str, values: list) -> bytes:
    """The values a signal matched on (staff may see them), sealed to the signal."""
    nonce = os.urandom(12)
    return nonce + AESGCM(_derive(keys, b"signal-values")).encrypt(
        nonce, json.dumps(values, sort_keys=True).encode(), signal_key.encode())


def open_values(keys: OfficeKeys, signal_key: str, blob: bytes | None) -> list:
    if not blob:
        return []
    try:
        return json.loads(AESGCM(_derive(keys, b"signal-values")).decrypt(blob[:12], blob[12:], signal_key.encode()))
    except (InvalidTag, ValueError):
        return []

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

from office.keys import OfficeKeys


@lru_cache(maxsize=8)
def _derive(keys: OfficeKeys, purpose: bytes) -> bytes:
    raw = keys.x25519.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                    serialization.NoEncryption())
    return HKDF(hashes.SHA256(), 32, salt=None, info=b"jaga-desa/v1/dashboard/" + purpose).derive(raw)


@lru_cache(maxsize=8)
def _search_mac(keys: OfficeKeys) -> hmac.HMAC:
    """The search HMAC, keyed once: each word `copy()`s it instead of re-deriving and
    re-keying (an ingest batch hashes tens of thousands of words). Never updated itself."""
    return hmac.new(_derive(keys, b"search"), digestmod=hashlib.sha256)


@lru_cache(maxsize=8)
def _aead(keys: OfficeKeys, purpose: bytes) -> AESGCM:
    return AESGCM(_derive(keys, purpose))


def term_hashes(keys: OfficeKeys, words) -> set[str]:
    """`term_hash` of many words with one key lookup (same bytes as one by one)."""
    base = _search_mac(keys)
    out = set()
    for w in words:
        m = base.copy()
        m.update(w.encode())
        out.add(m.hexdigest()[:32])
    return out


def term_hash(keys: OfficeKeys, word: str) -> str:
    m = _search_mac(keys).copy()
    m.update(word.encode())
    return m.hexdigest()[:32]


def seal_note(keys: OfficeKeys, envelope_id: str, text: str, purpose: bytes = b"notes") -> bytes:
    nonce = os.urandom(12)
    return nonce + _aead(keys, purpose).encrypt(nonce, text.encode(), envelope_id.encode())


def open_note(keys: OfficeKeys, envelope_id: str, blob: bytes | None, purpose: bytes = b"notes") -> str | None:
    if not blob:
        return None
    try:
        return _aead(keys, purpose).decrypt(blob[:12], blob[12:], envelope_id.encode()).decode()
    except (InvalidTag, ValueError):
        return None


def seal_geo(keys: OfficeKeys, envelope_id: str, lat: float | None, lon: float | None) -> bytes | None:
    """A report's GPS point, sealed: where a volunteer stood is as sensitive as what they wrote."""
    if lat is None or lon is None:
        return None
    return seal_note(keys, envelope_id, f"{lat!r},{lon!r}", b"geo")


def open_geo(keys: OfficeKeys | None, envelope_id: str, blob: bytes | None) -> tuple[float | None, float | None]:
    text = open_note(keys, envelope_id, blob, b"geo") if keys is not None else None
    if not text:
        return None, None
    lat, lon = text.split(",")
    return float(lat), float(lon)

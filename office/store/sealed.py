"""Notes and GPS points sealed under office-derived keys (AES-GCM, bound to the report id).

Where a volunteer stood is as sensitive as what they wrote, and a triage note may name
people: both are sealed, under keys derived from the office's private key (never stored),
so a copy of office.db alone opens neither. The push seals the GPS point into the filter
row; the dashboard seals notes and opens both.
"""
from __future__ import annotations

import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from office.keys import OfficeKeys, purpose_key


@lru_cache(maxsize=8)
def _aead(keys: OfficeKeys, purpose: bytes) -> AESGCM:
    return AESGCM(purpose_key(keys, b"dashboard/" + purpose))


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

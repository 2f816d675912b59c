"""Keys the dashboard derives from the office's private X25519 key (never stored).

Deriving instead of storing means the search index and the triage notes are as safe as
the office keys themselves: a copy of office.db without the passphrase-protected key file
cannot confirm a guessed word or read a note.
"""
from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from office.keys import OfficeKeys, purpose_key
from office.store.sealed import open_geo, open_note, seal_geo, seal_note  # noqa: F401  (the dashboard's names)


def _derive(keys: OfficeKeys, purpose: bytes) -> bytes:
    return purpose_key(keys, b"dashboard/" + purpose)


@lru_cache(maxsize=8)
def _search_mac(keys: OfficeKeys) -> hmac.HMAC:
    """The search HMAC, keyed once: each word `copy()`s it instead of re-deriving and
    re-keying (an ingest batch hashes tens of thousands of words). Never updated itself."""
    return hmac.new(_derive(keys, b"search"), digestmod=hashlib.sha256)



def term_hashes(keys: OfficeKeys, words) -> set[str]:
    """`term_hash` of many words (same bytes as one by one)."""
    return {term_hash(keys, w) for w in words}


@lru_cache(maxsize=100_000)
def term_hash(keys: OfficeKeys, word: str) -> str:
    """Cached per word: the derive worker hashes ~100 words a report, most of them the same
    few thousand ("sawit", "malaysia"); the cache lives in the office process, which holds
    the key itself anyway, and a new key (another OfficeKeys) misses it."""
    m = _search_mac(keys).copy()
    m.update(word.encode())
    return m.hexdigest()[:32]

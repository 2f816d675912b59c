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
    cache = _terms(keys)
    out = set()
    for w in words:
        h = cache.get(w)
        out.add(h if h is not None else term_hash(keys, w))
    return out


@lru_cache(maxsize=8)
def _terms(keys: OfficeKeys) -> dict[str, str]:
    """Word -> token under `keys`: the derive worker hashes ~100 words a report, most of them
    the same few thousand ("sawit", "malaysia"). A plain dict per key, looked up by the word
    alone (an lru_cache over (keys, word) hashed the keys for every word); it lives in the
    office process, which holds the key itself anyway, and another OfficeKeys gets its own."""
    return {}


def term_hash(keys: OfficeKeys, word: str) -> str:
    cache = _terms(keys)
    h = cache.get(word)
    if h is None:
        if len(cache) >= 100_000:
            cache.clear()
        m = _search_mac(keys).copy()
        m.update(word.encode())
        h = cache[word] = m.hexdigest()[:32]
    return h

"""Opening a stored envelope with the office key: the one place the office does it after
the push (the push itself opens with the header it already parsed, ingest/common.py).

A stored envelope can fail to open for reasons that are not a bug — its author's key row is
gone, it was stored by older code, the office key was rotated — so every reader gets None
and shows "cannot be opened" rather than an error page.
"""
from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from typing import Iterable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, select

from core.errors import EnvelopeError
from sync import envelope as env
from office.keys import OfficeKeys
from office.schema import persons


def open_stored(keys: OfficeKeys, data: bytes, author_public: bytes | Ed25519PublicKey | None) -> env.Opened | None:
    """The opened envelope, or None when it cannot be verified or decrypted."""
    if author_public is None:
        return None
    try:
        pub = author_public if isinstance(author_public, Ed25519PublicKey) else env.load_public_ed25519(author_public)
        return env.open(bytes(data), recipient_key=keys.x25519, author_public=pub)
    except (EnvelopeError, ValueError, TypeError):
        return None


def authors_public(conn: Connection, author_ids: Iterable[str]) -> dict[str, bytes]:
    """The Ed25519 public keys of these authors, in one query."""
    ids = set(author_ids)
    if not ids:
        return {}
    return {r.id: bytes(r.ed25519_public) for r in conn.execute(
        select(persons.c.id, persons.c.ed25519_public).where(persons.c.id.in_(ids)))}


RECENT_MAX = 4096       # payloads the push opened, kept for this process's derive worker
RECENT_BYTES = 4 * 1024 * 1024    # ... and their payloads' JSON bytes at most: the door caps only the
RECENT_ONE = 64 * 1024            # answers, and a ~2 KB envelope inflates to a 1 MB payload
                                  # (sync/envelope.MAX_PAYLOAD): 4096 of those were 4 GB (red team round 5)
_recent: OrderedDict[tuple[str, str, bytes], dict] = OrderedDict()
_sizes: dict[tuple[str, str, bytes], int] = {}
_held = [0]                       # sum of _sizes, kept as it changes (no sum over 4096 per push)
_recent_lock = threading.Lock()
_keeping = threading.Event()      # set while a derive worker runs in this process


def keep_for_derive(on: bool) -> None:
    """A derive worker thread starts (True) or stops (False) in this process. Only then does
    the push keep what it opened: with no worker here (`jaga-desa office derive` elsewhere,
    a bench of ingest alone) the payloads would only sit in memory for the garbage collector
    to walk on every full collection."""
    if on:
        _keeping.set()
    else:
        _keeping.clear()
        with _recent_lock:
            _recent.clear()
            _sizes.clear()
            _held[0] = 0


def _recent_key(keys: OfficeKeys, sha256: str, author_public: bytes) -> tuple[str, str, bytes]:
    return keys.key_id, sha256, bytes(author_public)


def remember(keys: OfficeKeys, sha256: str, author_public: bytes, payload: dict) -> None:
    """The push has just verified and opened `data` with this office key and this author
    key: the derive worker of this process (which runs seconds later) takes the payload
    from here instead of opening the same bytes again (office/derive/worker.py). Keyed by
    the bytes' SHA-256 (hex, as the push computed it) and both keys, so what it gets is exactly what opening them would give;
    bounded in count and in the payloads' JSON bytes (the oldest go first; a payload over
    RECENT_ONE is not kept: the worker opens it) and forgotten once taken. Measured as JSON,
    not as the envelope's bytes: those are compressed, so they say nothing of the payload's."""
    if not _keeping.is_set():
        return
    size = len(json.dumps(payload))
    if size > RECENT_ONE:
        return
    key = _recent_key(keys, sha256, author_public)
    with _recent_lock:
        _forget(key)
        _recent[key], _sizes[key] = payload, size
        _held[0] += size
        while len(_recent) > RECENT_MAX or _held[0] > RECENT_BYTES:
            _forget(next(iter(_recent)))


def _forget(key: tuple[str, str, bytes]) -> dict | None:
    """Drop `key` (under _recent_lock); its payload, or None when it was not kept."""
    _held[0] -= _sizes.pop(key, 0)
    return _recent.pop(key, None)


def take_remembered(keys: OfficeKeys, data: bytes, author_public: bytes) -> dict | None:
    """What the push remembered of exactly these bytes and keys (forgotten once taken), or None."""
    with _recent_lock:
        return _forget(_recent_key(keys, hashlib.sha256(data).hexdigest(), author_public))


def stored_payload(keys: OfficeKeys, data: bytes, author_public: bytes | None) -> dict | None:
    """`payload_of(open_stored(...))`, from what the push remembered when it can be."""
    if author_public is not None:
        payload = take_remembered(keys, data, author_public)
        if payload is not None:
            return payload
    return payload_of(open_stored(keys, data, author_public))


def payload_of(opened: env.Opened | None) -> dict | None:
    """The opened payload when it is a JSON object (what every reader expects), else None."""
    return opened.payload if opened is not None and isinstance(opened.payload, dict) else None

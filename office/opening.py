"""Opening a stored envelope with the office key: the one place the office does it after
the push (the push itself opens with the header it already parsed, ingest/common.py).

A stored envelope can fail to open for reasons that are not a bug — its author's key row is
gone, it was stored by older code, the office key was rotated — so every reader gets None
and shows "cannot be opened" rather than an error page.
"""
from __future__ import annotations

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


def payload_of(opened: env.Opened | None) -> dict | None:
    """The opened payload when it is a JSON object (what every reader expects), else None."""
    return opened.payload if opened is not None and isinstance(opened.payload, dict) else None

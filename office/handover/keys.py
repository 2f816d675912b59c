"""Per-recipient pseudonym keys, derived from the office's private key (never stored).

Tier B ids are HMAC(key_for(recipient), ...): the same report or identifier gets the same
id in every package for one agency (so they can follow a case across exports), and a
different id for another agency, so ids alone do not join two agencies' copies (their
values may: see tiers.py). Only the office, holding its private key, can link a
pseudonym back.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

from office.keys import OfficeKeys, purpose_key

from .errors import HandoverError

_SLUG = re.compile(r"[^a-z0-9]+")


def recipient_slug(name: str) -> str:
    """'Polda Kalimantan Utara' -> 'polda-kalimantan-utara': one key per agency name."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = _SLUG.sub("-", folded).strip("-")
    if not slug or len(slug) > 100:
        raise HandoverError("the recipient agency needs a name (letters or digits, at most 100)",
                            "instansi penerima perlu nama (huruf atau angka, paling banyak 100)")
    return slug


def key_for(keys: OfficeKeys, recipient: str) -> bytes:
    return purpose_key(keys, b"handover/pseudonym/" + recipient_slug(recipient).encode())


def referral_key(keys: OfficeKeys, package_id: str) -> bytes:
    """Tier C: a key for one referral package. An envelope id's last 48 bits are a per-author
    tag, so a referral never carries them: each report gets an id of this referral alone;
    the office maps it back from its audit entry (or by recomputing with its key)."""
    return purpose_key(keys, b"handover/referral/" + package_id.encode())


def pseudonym(key: bytes, kind: str, value: str) -> str:
    """A stable 80-bit pseudonymous id, prefixed by kind ('r' report, 'i' identifier)."""
    mac = hmac.new(key, kind.encode() + b"\x00" + value.encode(), hashlib.sha256).hexdigest()
    return f"{kind}-{mac[:20]}"

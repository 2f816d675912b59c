"""Office statements: everything the office tells a phone, signed with the office Ed25519 key.

The enrollment answer and every inbox item (head lists, review requests, feedback,
revocations, and any later kind such as early-warning alerts) travel as plain JSON plus
one detached signature over its canonical bytes, exactly like a receipt. The phone
checks the signature under the office key it pinned at enrollment — never under a key
that arrived in the same message — so a network in the middle, or anyone who rewrote
the phone's file, cannot add a recipient, invent a review request or silence a
revocation.

    wire  = {...fields..., "signature": base64(Ed25519_office(canonical(fields)))}
    canonical(fields) = json.dumps(fields, sort_keys=True, separators=(",", ":"))

`ctx` names what is signed ("jaga-desa/v1/enrollment", "jaga-desa/v1/inbox-item"), so a
signature made for one purpose never verifies as another.
"""
from __future__ import annotations

import base64
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from core.errors import TrustError

ENROLLMENT = "jaga-desa/v1/enrollment"
INBOX_ITEM = "jaga-desa/v1/inbox-item"
# The fields of an inbox item the office signs; the phone rebuilds exactly these.
ITEM_FIELDS = ("item_id", "kind", "person_id", "issued_at", "body")


def canonical(fields: dict) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature(fields: dict, key: Ed25519PrivateKey) -> str:
    """The detached signature over `fields` (which must include their `ctx`)."""
    return base64.b64encode(key.sign(canonical(fields))).decode()


def check(fields: dict, sig: object, office_public: Ed25519PublicKey, ctx: str) -> dict:
    """Return `fields` if `sig` is the office's signature over them for purpose `ctx`."""
    try:
        if fields.get("ctx") != ctx:
            raise ValueError("wrong context")
        office_public.verify(base64.b64decode(str(sig), validate=True), canonical(fields))
    except (TypeError, ValueError, RecursionError, AttributeError, InvalidSignature) as exc:
        raise TrustError("not signed by the pinned office key") from exc
    return fields


def sign_item(item: dict, key: Ed25519PrivateKey) -> dict:
    """An inbox item as served: its fields plus the office signature over them."""
    fields = {"ctx": INBOX_ITEM, **{k: item[k] for k in ITEM_FIELDS}}
    return {**{k: item[k] for k in ITEM_FIELDS}, "signature": signature(fields, key)}


def check_item(item: dict, office_public: Ed25519PublicKey) -> dict:
    """The verified item (without its signature), or TrustError."""
    if not isinstance(item, dict) or any(k not in item for k in ITEM_FIELDS):
        raise TrustError("inbox item is missing fields")
    fields = {"ctx": INBOX_ITEM, **{k: item[k] for k in ITEM_FIELDS}}
    check(fields, item.get("signature"), office_public, INBOX_ITEM)
    return {k: item[k] for k in ITEM_FIELDS}


def sign_answer(answer: dict, key: Ed25519PrivateKey) -> str:
    return signature({**answer, "ctx": ENROLLMENT}, key)


def check_answer(answer: dict, office_public: Ed25519PublicKey) -> dict:
    """The enrollment answer's fields (signature removed) if the office signed them."""
    fields = {k: v for k, v in answer.items() if k != "signature"}
    return check({**fields, "ctx": ENROLLMENT}, answer.get("signature"), office_public, ENROLLMENT)

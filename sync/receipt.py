"""Office-signed receipts: the phone's proof of what the office accepted.

A receipt names the envelope, the SHA-256 of the exact envelope bytes, every
attachment with its checksum, and the office's own receive time. The phone purges its
copy only after verifying the signature AND that every attachment it sealed is named
(other tools have lost attachments silently while reporting success).
Encoding: canonical JSON (sorted keys, no spaces) + detached Ed25519 signature, base64.
"""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from core.errors import EnvelopeError

_CONTEXT = "jaga-desa/v1/receipt"


@dataclass(frozen=True)
class Receipt:
    envelope_id: str
    envelope_sha256: str
    received_at: str                    # office clock, ISO 8601 UTC
    attachments: dict[str, str]         # att_id -> sha256 the office holds
    complete: bool                      # True only when every attachment is stored

    def body(self) -> dict:
        return {"ctx": _CONTEXT, "envelope_id": self.envelope_id,
                "envelope_sha256": self.envelope_sha256, "received_at": self.received_at,
                "attachments": dict(sorted(self.attachments.items())), "complete": self.complete}


def _canonical(body: dict) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def sign(receipt: Receipt, office_key: Ed25519PrivateKey) -> dict:
    """The wire form: the body plus a base64 signature over its canonical bytes."""
    body = receipt.body()
    return {**body, "signature": base64.b64encode(office_key.sign(_canonical(body))).decode()}


def verify(wire: dict, office_public: Ed25519PublicKey, envelope: bytes,
           attachments: dict[str, str] | None = None) -> Receipt:
    """Check a receipt against the envelope bytes we sent and the attachments we sealed."""
    try:
        body = {k: wire[k] for k in ("ctx", "envelope_id", "envelope_sha256",
                                     "received_at", "attachments", "complete")}
        office_public.verify(base64.b64decode(wire["signature"], validate=True), _canonical(body))
    except (KeyError, TypeError, ValueError, RecursionError, InvalidSignature) as exc:
        raise EnvelopeError("receipt signature does not verify") from exc
    if body["ctx"] != _CONTEXT or body["envelope_sha256"] != hashlib.sha256(envelope).hexdigest():
        raise EnvelopeError("receipt is for a different envelope")
    if attachments and any(body["attachments"].get(a) != s for a, s in attachments.items()):
        raise EnvelopeError("receipt does not name every attachment")
    return Receipt(body["envelope_id"], body["envelope_sha256"], body["received_at"],
                   dict(body["attachments"]), bool(body["complete"]))

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

`ctx` names what is signed ("jaga-desa/v1/enrollment", "jaga-desa/v1/inbox-item",
"jaga-desa/v1/refusal"), so a signature made for one purpose never verifies as another.

Refusals the phone treats as final (an item refused for good, this phone revoked) are
statements too: without a signature a network that can answer in the office's place (plain
HTTP, `--insecure`) could close a report, a verdict or a reply, or lock a whole phone, with
one forged HTTP answer. A refusal binds the calling device, the refusal code, the office's
time and, for an item, the SHA-256 of the exact bytes refused and their envelope id, so a
real refusal replayed onto another item or another phone does not verify.

It also binds the request it answers (v2, issue 22): the `purpose` — which door refused
("push": POST /envelopes, "review": POST /reviews, "device": the phone's token on any
door) — and the `nonce` the phone chose afresh for that one request (`X-Jaga-Nonce`). A
network that reads the phone's token on plain HTTP could otherwise send the phone's own
pending bytes to the *other* door, collect the office's genuine refusal for exactly those
bytes and that phone, and hand it back as the answer to the phone's push: a real signature
over the right bytes, for the wrong question. Now that refusal names another purpose and a
nonce the phone never chose. The office signs no refusal for a request without a nonce
(phones from before v2): such a phone sees every refusal as unsigned and keeps the item
waiting — nothing closes, nothing is lost.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets

from core.crypto import Ed25519PrivateKey, Ed25519PublicKey, InvalidSignature
from core.errors import TrustError

ENROLLMENT = "jaga-desa/v1/enrollment"
INBOX_ITEM = "jaga-desa/v1/inbox-item"
# The fields of an inbox item the office signs; the phone rebuilds exactly these.
ITEM_FIELDS = ("item_id", "kind", "person_id", "issued_at", "body")
REFUSAL = "jaga-desa/v2/refusal"
# The fields of a refusal the office signs (sync/ENVELOPE.md, "Refusals"); envelope_id and
# envelope_sha256 are null in a refusal of the whole device (its token revoked).
REFUSAL_FIELDS = ("code", "device_id", "envelope_id", "envelope_sha256", "refused_at", "purpose", "nonce")
PURPOSES = ("push", "review", "device", "courier")
COURIER = "courier"     # an offline door: the author's phone made no request, so no nonce
NONCE_HEADER = "X-Jaga-Nonce"
_NONCE = re.compile(r"[A-Za-z0-9_-]{22,86}")        # 128 to 512 bits, URL-safe base64


def new_nonce() -> str:
    """A fresh request nonce (256 bits) the phone sends in NONCE_HEADER."""
    return secrets.token_urlsafe(32)


def valid_nonce(value: object) -> str | None:
    """The request's nonce if it is one (the office signs refusals only for such requests)."""
    return value if isinstance(value, str) and _NONCE.fullmatch(value) else None


def _nonce_fits(purpose: str, nonce: object) -> bool:
    """A nonce for a request's door; none at all for the courier door (a file carried by hand
    answers no request of the author's phone: its refusal binds the door and the bytes)."""
    return nonce is None if purpose == COURIER else valid_nonce(nonce) is not None


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


def sign_refusal(key: Ed25519PrivateKey, *, code: str, device_id: str, refused_at: str, purpose: str,
                 nonce: str, envelope: bytes | None = None, envelope_id: str | None = None) -> dict:
    """The office's signed refusal, for the request that asked (`purpose`, the phone's `nonce`):
    of one item (`envelope` = the exact bytes refused) or, with no envelope, of the calling
    device as a whole."""
    if purpose not in PURPOSES or not _nonce_fits(purpose, nonce):
        raise ValueError("a refusal answers one request: a known purpose and the phone's nonce")
    fields = {"code": code, "device_id": device_id, "envelope_id": envelope_id if envelope is not None else None,
              "envelope_sha256": hashlib.sha256(envelope).hexdigest() if envelope is not None else None,
              "refused_at": refused_at, "purpose": purpose, "nonce": nonce}
    return {**fields, "signature": signature({"ctx": REFUSAL, **fields}, key)}


def check_refusal(wire: object, office_public: Ed25519PublicKey, *, code: str, device_id: str | None,
                  purpose: str, nonce: str | None, envelope: bytes | None = None,
                  envelope_id: str | None = None) -> dict:
    """The refusal's fields if the office signed exactly this: `code`, for this device, in
    answer to the request this phone sent for `purpose` with `nonce`, and for these envelope
    bytes (their id, or none when the office could not read one) — or, with no `envelope`, for
    the device as a whole. Anything else is TrustError: the caller keeps the item (or the
    phone's standing) as it was and tries again next round."""
    if not isinstance(wire, dict) or any(k not in wire for k in REFUSAL_FIELDS):
        raise TrustError("the refusal is not signed by the office")
    fields = {"ctx": REFUSAL, **{k: wire[k] for k in REFUSAL_FIELDS}}
    check(fields, wire.get("signature"), office_public, REFUSAL)
    if fields["code"] != code or not device_id or fields["device_id"] != device_id:
        raise TrustError("the signed refusal is for another answer or another device")
    if fields["purpose"] != purpose or not _nonce_fits(purpose, nonce) or fields["nonce"] != nonce:
        raise TrustError("the signed refusal answers another request, not the one this phone sent")
    if envelope is None:
        if fields["envelope_sha256"] is not None or fields["envelope_id"] is not None:
            raise TrustError("the signed refusal is for one item, not for this device")
    elif (fields["envelope_sha256"] != hashlib.sha256(envelope).hexdigest()
          or fields["envelope_id"] not in (envelope_id, None)):
        raise TrustError("the signed refusal is for another item")
    return {k: wire[k] for k in REFUSAL_FIELDS}

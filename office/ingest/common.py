"""What every ingest job shares: author checks, opening a signed envelope, receipts.

A refused item is a `Rejected` (code + reason); the batch goes on. The phone clock is
clamped to what the store can hold.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Connection, Table, select

from core.crypto import Ed25519PublicKey
from core.errors import BadRequest, Conflict, EnvelopeError, Forbidden, Revoked, TooLarge
from sync import envelope as env
from sync import receipt as rc
from sync import statement
from office import clock
from office.keys import OfficeKeys
from office.schema import persons

from sync.formids import FEEDBACK_FORM, REPLY_FORM, REVIEW_FORM  # noqa: F401  (ingest's names)
VERDICTS = ("verified", "disputed", "needs_more_info")
MAX_ATTACHMENT = 16 * 1024 * 1024
MAX_PHONE_MS = 253_402_300_799_999     # 9999-12-31T23:59:59.999Z


def _phone_ms(header: env.Header) -> int:
    """The phone clock is a u64 on the wire and may be absurd: clamp it to what a BIGINT and a
    date can hold (the signed original stays in the stored envelope bytes)."""
    return min(header.created_ms, MAX_PHONE_MS)


class Rejected(Exception):
    """One batch item refused; the batch goes on."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


def _author(conn: Connection, header: env.Header, device_id: str) -> dict:
    row = conn.execute(select(persons).where(persons.c.id == header.author_id)).mappings().first()
    return _checked_author(dict(row) if row else None, header, device_id)


def _checked_author(row: dict | None, header: env.Header, device_id: str) -> dict:
    if row is None:
        raise Rejected("unknown_person", "the author is not enrolled at this office")
    if row["revoked_at"]:
        raise Rejected("revoked", "the author has been revoked")
    if header.device_id != device_id or row["device_id"] != device_id:
        raise Rejected("wrong_device", "the envelope was not sealed on the calling device")
    return row


def _verify_and_open(data: bytes, header: env.Header, author: dict, keys: OfficeKeys) -> env.Opened:
    if keys.key_id not in header.recipients:
        raise Rejected("wrong_recipient", "the envelope is not addressed to this office's key")
    try:
        return env.open(data, recipient_key=keys.x25519, header=header, recipient_id=keys.key_id_raw,
                        author_public=_author_key(bytes(author["ed25519_public"])))
    except EnvelopeError as exc:
        raise Rejected("envelope_invalid", str(exc.message)) from None


@lru_cache(maxsize=1024)
def _author_key(raw: bytes) -> Ed25519PublicKey:
    """An enrolled author's Ed25519 key, loaded once for all her reports (a push carries up
    to hundreds from one author). Keyed by the exact key bytes, so a revoked or re-enrolled
    person's new key is a new entry; a malformed one raises every time (not cached)."""
    return env.load_public_ed25519(raw)


def make_receipt(keys: OfficeKeys, envelope_id: str, sha: str, received_at: str,
                 held: dict[str, str], complete: bool) -> str:
    wire = rc.sign(rc.Receipt(envelope_id, sha, received_at, held, complete), keys.ed25519)
    return json.dumps(wire, sort_keys=True)


def stored_receipt(stored: str, keys: OfficeKeys) -> dict:
    """A stored receipt as phones verify receipts now. One stored before batch receipts (a
    signature over its body, no proof) is re-signed as a batch of one with the same body —
    same received_at, attachments and completeness — so a replay after the upgrade settles."""
    wire = json.loads(stored)
    if "leaf_index" in wire:
        return wire
    return rc.sign(rc.Receipt(wire["envelope_id"], wire["envelope_sha256"], wire["received_at"],
                              wire["attachments"], wire["complete"]), keys.ed25519)


@dataclass
class Admitted:
    """A small signed item (a verdict, a reply) past the checks every such item shares.
    `duplicate` holds the stored receipt when these very bytes were taken before."""
    header: env.Header
    sha: str
    author: dict | None = None
    opened: env.Opened | None = None
    duplicate: dict | None = None


def admit_small(conn: Connection, data: bytes, *, form_id: str, noun: str, table: Table, max_bytes: int,
                device_id: str, keys: OfficeKeys) -> Admitted:
    """The shared front door of verdicts and replies: the right form, a size bound (so a
    padded payload cannot fill the store), an id minted for its author, replay = the same
    receipt, a conflicting reuse of an id refused, and the author's signature checked.
    Raises typed JagaErrors (the route maps them to 4xx), never stores anything."""
    try:
        header = env.peek(data)
    except EnvelopeError as exc:
        raise BadRequest(exc.message) from None
    if header.form_id != form_id:
        raise BadRequest(f"a {noun} is an envelope with form_id {form_id!r}")
    if len(data) > max_bytes:
        raise TooLarge(f"a {noun} envelope is at most {max_bytes} bytes")
    if not env.id_bound_to(header.envelope_id, header.author_id):
        raise BadRequest(f"the {noun} id was not minted for its author")
    sha = hashlib.sha256(data).hexdigest()
    old = conn.execute(select(table.c.sha256, table.c.receipt).where(table.c.id == header.envelope_id)).first()
    if old is not None:
        if old.sha256 != sha:
            raise Conflict(f"another {noun} with this id is already stored")
        return Admitted(header, sha, duplicate={"envelope_id": header.envelope_id, "status": "duplicate",
                                                "receipt": stored_receipt(old.receipt, keys)})
    try:
        author = _author(conn, header, device_id)
        opened = _verify_and_open(data, header, author, keys)
    except Rejected as exc:
        if exc.code == "revoked":
            raise Revoked(exc.reason) from None
        if exc.code in ("unknown_person", "wrong_device"):
            raise Forbidden(exc.reason) from None
        raise BadRequest(exc.reason) from None
    return Admitted(header, sha, author, opened)


def signed_refusal(keys: OfficeKeys, code: str, device_id: str, data: bytes | None = None,
                   envelope_id: str | None = None, refused_at: str | None = None, *,
                   purpose: str, nonce: str | None) -> dict | None:
    """The office's signed word that it refuses these exact bytes (or, with no `data`, this
    device) for good, in answer to the request that carried `nonce` to the `purpose` door: the
    phone closes an item, or marks itself revoked, only on this. None for a request without a
    valid nonce (a phone from before refusals v2): nothing it could be replayed as is signed."""
    if purpose != statement.COURIER and statement.valid_nonce(nonce) is None:
        return None
    return statement.sign_refusal(keys.ed25519, code=code, device_id=device_id, envelope=data,
                                  envelope_id=envelope_id, refused_at=refused_at or clock.iso(clock.now()),
                                  purpose=purpose, nonce=nonce if purpose != statement.COURIER else None)

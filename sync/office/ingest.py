"""Ingest of sealed envelopes, attachments and head reviews; signed receipts.

Each envelope is handled in its own transaction by the caller: it is either stored whole
(sealed bytes + filter columns + recipients + attachment slots + receipt) or not at all.
The office opens a report only to read the filter metadata the dashboard needs; the
answers stay sealed in the stored bytes and are never logged.
A replay of the same bytes returns the ORIGINAL receipt (same received_at): the phone
may have lost the first answer on a dropped connection.
"""
from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from core.errors import (BadRequest, ChecksumMismatch, Conflict, EnvelopeError, Forbidden,
                         NotFound, OffsetMismatch, Revoked, TooLarge)
from sync import envelope as env
from sync import receipt as rc
from sync.office import clock, inbox
from sync.office.keys import OfficeKeys, b64
from sync.office.schema import (attachment_chunks, attachments, envelope_recipients, envelopes,
                                persons, reviews)

log = logging.getLogger("jaga.office.ingest")
REVIEW_FORM = "_review"
FEEDBACK_FORM = "_feedback"
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
    if row is None:
        raise Rejected("unknown_person", "the author is not enrolled at this office")
    if row["revoked_at"]:
        raise Rejected("revoked", "the author has been revoked")
    if header.device_id != device_id or row["device_id"] != device_id:
        raise Rejected("wrong_device", "the envelope was not sealed on the calling device")
    return dict(row)


def _verify_and_open(data: bytes, header: env.Header, author: dict, keys: OfficeKeys) -> env.Opened:
    if keys.key_id not in header.recipients:
        raise Rejected("wrong_recipient", "the envelope is not addressed to this office's key")
    try:
        return env.open(data, recipient_key=keys.x25519,
                        author_public=env.load_public_ed25519(author["ed25519_public"]))
    except EnvelopeError as exc:
        raise Rejected("envelope_invalid", str(exc.message)) from None


def make_receipt(keys: OfficeKeys, envelope_id: str, sha: str, received_at: str,
                 held: dict[str, str], complete: bool) -> str:
    wire = rc.sign(rc.Receipt(envelope_id, sha, received_at, held, complete), keys.ed25519)
    return json.dumps(wire, sort_keys=True)


def _metadata(payload: dict) -> dict:
    """Filter columns from the report payload (fieldapp: answers, flags, rahasia, lang, ...)."""
    flags = payload.get("flags") if isinstance(payload.get("flags"), dict) else {}
    category = flags.get("category", payload.get("category"))
    urgent = flags.get("urgent", payload.get("urgent", False))
    return {"category": str(category)[:100] if category is not None else None,
            "urgent": bool(urgent), "rahasia": bool(payload.get("rahasia", False))}


def ingest_envelope(conn: Connection, data: bytes, *, device_id: str, keys: OfficeKeys,
                    now: datetime | None = None) -> dict:
    """One batch item -> {envelope_id, status, receipt | code+reason}. Raises nothing for bad input."""
    envelope_id = None
    try:
        header = env.peek(data)
        envelope_id = header.envelope_id
        if header.form_id.startswith("_"):
            raise Rejected("wrong_endpoint", "reviews and feedback do not go to /envelopes")
        sha = hashlib.sha256(data).hexdigest()
        old = conn.execute(select(envelopes.c.sha256, envelopes.c.device_id, envelopes.c.receipt)
                           .where(envelopes.c.id == envelope_id)).first()
        if old is not None:
            if old.sha256 != sha or old.device_id != device_id:
                raise Rejected("id_conflict", "another envelope with this id is already stored")
            return {"envelope_id": envelope_id, "status": "duplicate", "receipt": json.loads(old.receipt)}
        author = _author(conn, header, device_id)
        opened = _verify_and_open(data, header, author, keys)
        now = now or clock.now()
        received_at = clock.iso(now)
        meta = _metadata(opened.payload)
        rahasia = meta["rahasia"]          # the volunteer's choice, as sealed and signed
        complete = not header.attachments
        receipt = make_receipt(keys, envelope_id, sha, received_at, {}, complete)
        # Plain statements + parameter dicts: SQLAlchemy caches their compiled form (hot path).
        conn.execute(envelopes.insert(), dict(
            id=envelope_id, author_id=author["id"], device_id=device_id,
            village_id=author["village_id"], form_id=header.form_id,
            form_version=header.form_version, category=meta["category"], urgent=meta["urgent"],
            has_photo=bool(header.attachments), rahasia=rahasia, created_ms=_phone_ms(header),
            received_at=received_at, skew_ms=clock.ms(now) - _phone_ms(header), sha256=sha,
            size=len(data), data=data, complete=complete, receipt=receipt, triage="new"))
        conn.execute(envelope_recipients.insert(),
                     [{"envelope_id": envelope_id, "key_id": kid} for kid in sorted(set(header.recipients))])
        if header.attachments:
            conn.execute(attachments.insert(), [
                {"envelope_id": envelope_id, "att_id": a.att_id, "size": a.size, "sha256": a.sha256,
                 "received": 0, "complete": False, "data": None} for a in header.attachments])
        if not rahasia:
            _queue_review_requests(conn, author, header, data, received_at)
        log.info("accepted envelope %s form=%s skew_ms=%d", envelope_id, header.form_id,
                 clock.ms(now) - header.created_ms)
        return {"envelope_id": envelope_id, "status": "accepted", "receipt": json.loads(receipt)}
    except EnvelopeError as exc:
        return {"envelope_id": envelope_id, "status": "rejected", "code": "envelope_invalid",
                "reason": exc.message}
    except Rejected as exc:
        return {"envelope_id": envelope_id, "status": "rejected", "code": exc.code, "reason": exc.reason}


def _queue_review_requests(conn: Connection, author, header: env.Header, data: bytes,
                           stamp: str) -> None:
    """The head verifies the volunteer's signature, so the author's public key travels along."""
    village_id = author["village_id"]
    heads = conn.execute(select(persons.c.id, persons.c.key_id).where(and_(
        persons.c.village_id == village_id, persons.c.role == "head",
        persons.c.revoked_at.is_(None), persons.c.key_id.in_(header.recipients)))).all()
    body = json.dumps({"envelope": b64(data), "envelope_id": header.envelope_id,
                       "author_ed25519_public": b64(bytes(author["ed25519_public"]))})
    inbox.queue(conn, [{"person_id": h.id, "kind": "review_request", "ref_id": header.envelope_id,
                        "body": body, "created_at": stamp} for h in heads])


def receipt_for(conn: Connection, envelope_id: str, device_id: str) -> dict:
    row = conn.execute(select(envelopes.c.receipt, envelopes.c.device_id)
                       .where(envelopes.c.id == envelope_id)).first()
    if row is None or row.device_id != device_id:
        raise NotFound("no such envelope from this device")
    return json.loads(row.receipt)


# --- attachments ------------------------------------------------------------------------

def _slot(conn: Connection, envelope_id: str, att_id: str, device_id: str) -> dict:
    owner = conn.execute(select(envelopes.c.device_id).where(envelopes.c.id == envelope_id)).first()
    if owner is None or owner.device_id != device_id:
        raise NotFound("no such envelope from this device; push the envelope first")
    row = conn.execute(select(attachments.c.size, attachments.c.sha256, attachments.c.received,
                              attachments.c.complete).where(and_(
        attachments.c.envelope_id == envelope_id, attachments.c.att_id == att_id))).mappings().first()
    if row is None:
        raise NotFound("this attachment is not in the envelope's signed manifest")
    return dict(row)


def attachment_status(conn: Connection, envelope_id: str, att_id: str, device_id: str) -> dict:
    slot = _slot(conn, envelope_id, att_id, device_id)
    return {"received": slot["received"], "size": slot["size"], "complete": slot["complete"]}


def put_chunk(conn: Connection, envelope_id: str, att_id: str, offset: int, chunk: bytes, *,
              device_id: str, keys: OfficeKeys) -> dict:
    """Append one chunk at `offset` (must equal what is stored). Completes and verifies at the end."""
    slot = _slot(conn, envelope_id, att_id, device_id)
    status = {"received": slot["received"], "size": slot["size"], "complete": slot["complete"]}
    if slot["complete"]:
        return status
    if offset != slot["received"]:
        raise OffsetMismatch(f"the office holds {slot['received']} bytes; resume from there")
    if not chunk:
        raise BadRequest("empty chunk")
    if offset + len(chunk) > slot["size"]:
        raise TooLarge("chunk runs past the attachment's signed size")
    conn.execute(insert(attachment_chunks).values(envelope_id=envelope_id, att_id=att_id,
                                                  offset=offset, data=chunk))
    received = offset + len(chunk)
    where = and_(attachments.c.envelope_id == envelope_id, attachments.c.att_id == att_id)
    conn.execute(update(attachments).where(where).values(received=received))
    if received < slot["size"]:
        return {"received": received, "size": slot["size"], "complete": False}
    chunks = conn.execute(select(attachment_chunks.c.data).where(and_(
        attachment_chunks.c.envelope_id == envelope_id, attachment_chunks.c.att_id == att_id))
        .order_by(attachment_chunks.c.offset)).scalars().all()
    blob = b"".join(chunks)
    chunk_where = and_(attachment_chunks.c.envelope_id == envelope_id,
                       attachment_chunks.c.att_id == att_id)
    if hashlib.sha256(blob).hexdigest() != slot["sha256"]:
        # Discard in its own committed step, then refuse: the caller commits before raising.
        conn.execute(delete(attachment_chunks).where(chunk_where))
        conn.execute(update(attachments).where(where).values(received=0))
        raise _DiscardedChecksum()
    conn.execute(update(attachments).where(where).values(complete=True, data=blob))
    conn.execute(delete(attachment_chunks).where(chunk_where))
    _refresh_receipt(conn, envelope_id, keys)
    return {"received": received, "size": slot["size"], "complete": True}


class _DiscardedChecksum(Exception):
    """Internal: the upload was discarded (to be committed), then ChecksumMismatch is raised."""


def put_chunk_tx(engine, envelope_id: str, att_id: str, offset: int, chunk: bytes, *,
                 device_id: str, keys: OfficeKeys) -> dict:
    discarded = False
    with engine.begin() as conn:
        try:
            return put_chunk(conn, envelope_id, att_id, offset, chunk, device_id=device_id, keys=keys)
        except _DiscardedChecksum:
            discarded = True
    if discarded:
        raise ChecksumMismatch("attachment does not match the signed checksum; it was discarded, "
                               "upload it again from offset 0")
    raise AssertionError("unreachable")


def _refresh_receipt(conn: Connection, envelope_id: str, keys: OfficeKeys) -> None:
    """Re-sign the receipt with what is held now; received_at stays the original."""
    row = conn.execute(select(envelopes.c.sha256, envelopes.c.receipt)
                       .where(envelopes.c.id == envelope_id)).first()
    held = dict(conn.execute(select(attachments.c.att_id, attachments.c.sha256).where(and_(
        attachments.c.envelope_id == envelope_id, attachments.c.complete.is_(True)))).all())
    missing = conn.execute(select(func.count()).select_from(attachments).where(and_(
        attachments.c.envelope_id == envelope_id, attachments.c.complete.is_(False)))).scalar()
    original = json.loads(row.receipt)
    receipt = make_receipt(keys, envelope_id, row.sha256, original["received_at"], held, missing == 0)
    conn.execute(update(envelopes).where(envelopes.c.id == envelope_id)
                 .values(receipt=receipt, complete=missing == 0))


# --- reviews ----------------------------------------------------------------------------

def ingest_review(conn: Connection, data: bytes, *, device_id: str, keys: OfficeKeys,
                  now: datetime | None = None) -> dict:
    """A head's signed verdict. Raises JagaError subclasses (the route maps them)."""
    try:
        header = env.peek(data)
    except EnvelopeError as exc:
        raise BadRequest(exc.message) from None
    if header.form_id != REVIEW_FORM:
        raise BadRequest(f"a review is an envelope with form_id {REVIEW_FORM!r}")
    sha = hashlib.sha256(data).hexdigest()
    old = conn.execute(select(reviews.c.sha256, reviews.c.receipt).where(reviews.c.id == header.envelope_id)).first()
    if old is not None:
        if old.sha256 != sha:
            raise Conflict("another review with this id is already stored")
        return {"envelope_id": header.envelope_id, "status": "duplicate", "receipt": json.loads(old.receipt)}
    try:
        author = _author(conn, header, device_id)
        opened = _verify_and_open(data, header, author, keys)
    except Rejected as exc:
        if exc.code == "revoked":
            raise Revoked(exc.reason) from None
        if exc.code in ("unknown_person", "wrong_device"):
            raise Forbidden(exc.reason) from None
        raise BadRequest(exc.reason) from None
    if author["role"] != "head":
        raise Forbidden("only a village head can review reports")
    p = opened.payload
    report_id, verdict, note = p.get("envelope_id"), p.get("verdict"), p.get("note", "")
    if verdict not in VERDICTS or not isinstance(report_id, str) or not isinstance(note, str):
        raise BadRequest(f"review payload needs envelope_id, verdict in {VERDICTS}, note")
    report = conn.execute(select(envelopes.c.village_id, envelopes.c.rahasia)
                          .where(envelopes.c.id == report_id)).first()
    if report is None:
        raise NotFound("no such report")
    addressed = conn.execute(select(envelope_recipients.c.key_id).where(and_(
        envelope_recipients.c.envelope_id == report_id,
        envelope_recipients.c.key_id == author["key_id"]))).first()
    if report.village_id != author["village_id"] or report.rahasia or addressed is None:
        raise Forbidden("this head may not review that report")
    now = now or clock.now()
    received_at = clock.iso(now)
    receipt = make_receipt(keys, header.envelope_id, sha, received_at, {}, True)
    conn.execute(insert(reviews).values(id=header.envelope_id, report_id=report_id,
                                        head_id=author["id"], verdict=verdict,
                                        created_ms=_phone_ms(header), received_at=received_at,
                                        sha256=sha, data=data, receipt=receipt))
    return {"envelope_id": header.envelope_id, "status": "accepted", "receipt": json.loads(receipt)}

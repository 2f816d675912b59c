"""Ingest of sealed envelopes, attachments and head reviews; signed receipts.

A batch is checked item by item before anything is written, then stored with one insert
per table in the caller's transaction: each envelope is stored whole (sealed bytes +
filter columns + recipients + attachment slots + receipt) or not at all.
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
from sync.office import clock, inbox, warning
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
    answers = payload.get("answers") if isinstance(payload.get("answers"), dict) else {}
    # the suspicion form's answer `kategori` is the category; a flag may override it
    category = flags.get("category", payload.get("category", answers.get("kategori")))
    urgent = flags.get("urgent", payload.get("urgent", False))
    return {"category": str(category)[:100] if category is not None else None,
            "urgent": bool(urgent), "rahasia": bool(payload.get("rahasia", False))}


def ingest_envelope(conn: Connection, data: bytes, *, device_id: str, keys: OfficeKeys,
                    now: datetime | None = None) -> dict:
    """One item -> {envelope_id, status, receipt | code+reason}. Raises nothing for bad input."""
    return ingest_batch(conn, [data], device_id=device_id, keys=keys, now=now)[0]


def ingest_batch(conn: Connection, items: list[bytes], *, device_id: str, keys: OfficeKeys,
                 now: datetime | None = None) -> list[dict]:
    """A whole batch in one pass: one lookup of known ids and authors, crypto per item, then
    one multi-row insert per table (`ingest_envelope` is the batch of one).

    Every check runs before anything is written, so a refused item leaves no row; the
    caller commits once (one fsync) before any receipt leaves. An IntegrityError (the same
    id raced in on another connection) propagates: the caller retries item by item.
    """
    now = now or clock.now()
    received_at = clock.iso(now)
    results: list[dict | None] = [None] * len(items)
    parsed = []
    for i, data in enumerate(items):
        try:
            header = env.peek(data)
        except EnvelopeError as exc:
            results[i] = _rejected(None, "envelope_invalid", exc.message)
            continue
        if header.form_id.startswith("_"):
            results[i] = _rejected(header.envelope_id, "wrong_endpoint",
                                   "reviews and feedback do not go to /envelopes")
            continue
        parsed.append((i, data, header, hashlib.sha256(data).hexdigest()))
    ids = list({h.envelope_id for _, _, h, _ in parsed})
    known = {r.id: (r.sha256, r.device_id, r.receipt) for r in conn.execute(
        select(envelopes.c.id, envelopes.c.sha256, envelopes.c.device_id, envelopes.c.receipt)
        .where(envelopes.c.id.in_(ids)))} if ids else {}
    authors = {r["id"]: dict(r) for r in conn.execute(select(persons).where(
        persons.c.id.in_({h.author_id for _, _, h, _ in parsed}))).mappings()} if parsed else {}
    rows: dict[str, list] = {"env": [], "rcpt": [], "att": [], "review": [], "warn": []}
    for i, data, header, sha in parsed:
        eid = header.envelope_id
        if eid in known:
            old_sha, old_device, old_receipt = known[eid]
            results[i] = (_rejected(eid, "id_conflict", "another envelope with this id is already stored")
                          if old_sha != sha or old_device != device_id else
                          {"envelope_id": eid, "status": "duplicate", "receipt": json.loads(old_receipt)})
            continue
        try:
            author = _checked_author(authors.get(header.author_id), header, device_id)
            opened = _verify_and_open(data, header, author, keys)
        except Rejected as exc:
            results[i] = _rejected(eid, exc.code, exc.reason)
            continue
        row, receipt = _envelope_row(header, data, sha, author, opened.payload, device_id, keys, now, received_at)
        rows["env"].append(row)
        rows["rcpt"] += [{"envelope_id": eid, "key_id": k} for k in sorted(set(header.recipients))]
        rows["att"] += [{"envelope_id": eid, "att_id": a.att_id, "size": a.size, "sha256": a.sha256,
                         "received": 0, "complete": False, "data": None} for a in header.attachments]
        if not row["rahasia"]:
            rows["review"].append((author, header, data))
        rows["warn"].append(warning.Report(eid, author["village_id"], header.form_id, received_at,
                                           opened.payload.get("answers")))
        known[eid] = (sha, device_id, receipt)
        results[i] = {"envelope_id": eid, "status": "accepted", "receipt": json.loads(receipt)}
    for table, key in ((envelopes, "env"), (envelope_recipients, "rcpt"), (attachments, "att")):
        if rows[key]:
            conn.execute(table.insert(), rows[key])
    _queue_review_batch(conn, rows["review"], received_at)
    _early_warning(conn, keys, rows["warn"], now)
    log.info("batch from device %s: %d accepted of %d", device_id, len(rows["env"]), len(items))
    return results  # type: ignore[return-value]


def _early_warning(conn: Connection, keys: OfficeKeys, reports: list, now: datetime) -> None:
    """Link keys and rules for the accepted reports, in a savepoint: a fault there is logged
    and costs the signal, never the report (the office does not answer 5xx)."""
    if not reports:
        return
    try:
        with conn.begin_nested():
            warning.observe(conn, keys, reports, now=now)
    except Exception:   # noqa: BLE001 — the report is stored either way
        log.exception("early warning failed for a batch of %d", len(reports))


def _rejected(envelope_id: str | None, code: str, reason: str) -> dict:
    return {"envelope_id": envelope_id, "status": "rejected", "code": code, "reason": reason}


def _envelope_row(header: env.Header, data: bytes, sha: str, author: dict, payload: dict,
                  device_id: str, keys: OfficeKeys, now: datetime, received_at: str) -> tuple[dict, str]:
    meta = _metadata(payload)
    complete = not header.attachments
    receipt = make_receipt(keys, header.envelope_id, sha, received_at, {}, complete)
    return dict(
        id=header.envelope_id, author_id=author["id"], device_id=device_id,
        village_id=author["village_id"], form_id=header.form_id,
        form_version=header.form_version, category=meta["category"], urgent=meta["urgent"],
        has_photo=bool(header.attachments), rahasia=meta["rahasia"], created_ms=_phone_ms(header),
        received_at=received_at, skew_ms=clock.ms(now) - _phone_ms(header), sha256=sha,
        size=len(data), data=data, complete=complete, receipt=receipt, triage="new"), receipt


def _queue_review_batch(conn: Connection, accepted: list[tuple], stamp: str) -> None:
    """Review requests for a batch: one query for the heads of every village involved."""
    if not accepted:
        return
    villages = {a["village_id"] for a, _, _ in accepted}
    heads: dict[int, list] = {}
    for h in conn.execute(select(persons.c.id, persons.c.key_id, persons.c.village_id).where(and_(
            persons.c.village_id.in_(villages), persons.c.role == "head", persons.c.revoked_at.is_(None)))):
        heads.setdefault(h.village_id, []).append(h)
    out = []
    for author, header, data in accepted:
        targets = [h for h in heads.get(author["village_id"], []) if h.key_id in header.recipients]
        if targets:
            body = json.dumps({"envelope": b64(data), "envelope_id": header.envelope_id,
                               "author_ed25519_public": b64(bytes(author["ed25519_public"]))})
            out += [{"person_id": h.id, "kind": "review_request", "ref_id": header.envelope_id,
                     "body": body, "created_at": stamp} for h in targets]
    inbox.queue(conn, out)


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

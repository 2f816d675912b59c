"""Attachments upload in chunks that resume after a dropped connection; the sha256 of the
signed manifest is checked at the end and the receipt is re-signed with what is held.

Memory stays bounded whatever a phone sends: the route hands over pieces of at most PIECE
bytes as they arrive (each stored in its own short transaction), the declared size is
enforced before the first byte is read, and the checksum is computed by streaming the
stored pieces one at a time. A completed attachment stays stored as its pieces (no joined
copy). Unfinished uploads expire after UPLOAD_TTL (`expire_uploads`).
"""
from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timedelta
from typing import Iterator

from sqlalchemy import Connection, Engine, and_, delete, func, insert, select, update

from core.errors import BadRequest, ChecksumMismatch, NotFound, OffsetMismatch, TooLarge
from office import clock
from office.keys import OfficeKeys
from office.schema import attachment_chunks, attachments, envelopes

from .common import MAX_ATTACHMENT, make_receipt

PIECE = 256 * 1024
UPLOAD_TTL = timedelta(hours=float(os.environ.get("JAGA_UPLOAD_TTL_HOURS", "72")))


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


def _status(slot: dict) -> dict:
    return {"received": slot["received"], "size": slot["size"], "complete": bool(slot["complete"])}


def attachment_status(conn: Connection, envelope_id: str, att_id: str, device_id: str) -> dict:
    return _status(_slot(conn, envelope_id, att_id, device_id))


def check_upload(conn: Connection, envelope_id: str, att_id: str, offset: int, declared: int | None, *,
                 device_id: str) -> dict:
    """Before any byte of a chunk is read: the slot exists, the offset is where the office
    stands, and the declared length (Content-Length) fits the signed size and the office's cap."""
    slot = _slot(conn, envelope_id, att_id, device_id)
    if slot["complete"]:
        return _status(slot)
    if slot["size"] > MAX_ATTACHMENT:          # a slot stored before the door checked sizes
        raise TooLarge(f"the office takes attachments of at most {MAX_ATTACHMENT} bytes")
    if offset != slot["received"]:
        raise OffsetMismatch(f"the office holds {slot['received']} bytes; resume from there")
    if declared is not None and offset + declared > slot["size"]:
        raise TooLarge("chunk runs past the attachment's signed size")
    return _status(slot)


def append(conn: Connection, envelope_id: str, att_id: str, offset: int, piece: bytes, *,
           device_id: str) -> dict:
    """Store one piece at `offset` (must equal what is stored); never completes."""
    slot = _slot(conn, envelope_id, att_id, device_id)
    if slot["complete"]:
        return _status(slot)
    if offset != slot["received"]:
        raise OffsetMismatch(f"the office holds {slot['received']} bytes; resume from there")
    if not piece:
        raise BadRequest("empty chunk")
    if offset + len(piece) > min(slot["size"], MAX_ATTACHMENT):
        raise TooLarge("chunk runs past the attachment's signed size")
    conn.execute(insert(attachment_chunks).values(envelope_id=envelope_id, att_id=att_id,
                                                  offset=offset, data=piece))
    received = offset + len(piece)
    conn.execute(update(attachments).where(_where(envelope_id, att_id))
                 .values(received=received, updated_at=clock.iso(clock.now())))
    return {"received": received, "size": slot["size"], "complete": False}


def _where(envelope_id: str, att_id: str):
    return and_(attachments.c.envelope_id == envelope_id, attachments.c.att_id == att_id)


def _chunk_where(envelope_id: str, att_id: str):
    return and_(attachment_chunks.c.envelope_id == envelope_id, attachment_chunks.c.att_id == att_id)


def pieces(conn: Connection, envelope_id: str, att_id: str) -> Iterator[bytes]:
    """The stored pieces in order, fetched one at a time (a 16 MiB photo never sits in memory
    twice)."""
    offsets = conn.execute(select(attachment_chunks.c.offset).where(_chunk_where(envelope_id, att_id))
                           .order_by(attachment_chunks.c.offset)).scalars().all()
    for off in offsets:
        yield conn.execute(select(attachment_chunks.c.data).where(and_(
            _chunk_where(envelope_id, att_id), attachment_chunks.c.offset == off))).scalar_one()


def finish(conn: Connection, envelope_id: str, att_id: str, *, device_id: str, keys: OfficeKeys) -> dict:
    """Once every byte is held: verify the signed checksum by streaming the pieces. A match
    completes the attachment (and re-signs the receipt); a mismatch discards the upload
    (the caller commits that) and returns status with `discarded`."""
    slot = _slot(conn, envelope_id, att_id, device_id)
    if slot["complete"] or slot["received"] < slot["size"]:
        return _status(slot)
    digest = hashlib.sha256()
    for piece in pieces(conn, envelope_id, att_id):
        digest.update(piece)
    if digest.hexdigest() != slot["sha256"]:
        conn.execute(delete(attachment_chunks).where(_chunk_where(envelope_id, att_id)))
        conn.execute(update(attachments).where(_where(envelope_id, att_id)).values(received=0))
        return {"received": 0, "size": slot["size"], "complete": False, "discarded": True}
    conn.execute(update(attachments).where(_where(envelope_id, att_id)).values(complete=True))
    _refresh_receipt(conn, envelope_id, keys)
    return {"received": slot["received"], "size": slot["size"], "complete": True}


def blob(conn: Connection, envelope_id: str, att_id: str) -> bytes | None:
    """A complete attachment's sealed bytes (legacy rows hold them joined in `data`)."""
    row = conn.execute(select(attachments.c.data, attachments.c.complete)
                       .where(_where(envelope_id, att_id))).first()
    if row is None or not row.complete:
        return None
    return bytes(row.data) if row.data is not None else b"".join(pieces(conn, envelope_id, att_id))


class Upload:
    """One chunk upload as it streams in: `start` (checks before any byte is read), `feed`
    each body part (full PIECEs are stored as they fill), `end` (store the rest, verify when
    complete). `flush` keeps what did arrive when the link drops. Each step opens its own
    short transaction, so the route can run them in a thread pool between awaits."""

    def __init__(self, engine: Engine, envelope_id: str, att_id: str, offset: int, declared: int | None, *,
                 device_id: str, keys: OfficeKeys) -> None:
        self.engine, self.envelope_id, self.att_id = engine, envelope_id, att_id
        self.offset = self.at = offset
        self.declared, self.device_id, self.keys = declared, device_id, keys
        self.buf = bytearray()
        self.status: dict = {}

    def start(self) -> dict:
        with self.engine.begin() as conn:
            self.status = check_upload(conn, self.envelope_id, self.att_id, self.offset, self.declared,
                                       device_id=self.device_id)
        return self.status

    def feed(self, part: bytes) -> None:
        if self.status.get("complete"):
            return
        self.buf += part
        if self.at + len(self.buf) > self.status["size"]:
            self.buf.clear()
            raise TooLarge("chunk runs past the attachment's signed size")
        while len(self.buf) >= PIECE:
            self._store(bytes(self.buf[:PIECE]))
            del self.buf[:PIECE]

    def _store(self, piece: bytes) -> None:
        with self.engine.begin() as conn:
            append(conn, self.envelope_id, self.att_id, self.at, piece, device_id=self.device_id)
        self.at += len(piece)

    def flush(self) -> None:
        if self.buf and not self.status.get("complete"):
            self._store(bytes(self.buf))
            self.buf.clear()

    def end(self) -> dict:
        if self.status.get("complete"):
            return self.status
        if not self.buf and self.at == self.offset and self.offset < self.status["size"]:
            raise BadRequest("empty chunk")
        # an empty chunk at the signed size finishes an upload whose every byte is stored but
        # which was never verified: a request killed between its last piece and `finish`, or
        # a phone's retry arriving while its first request is still finishing (seen under load:
        # the retry was refused "empty chunk" and the photo could never complete)
        self.flush()
        with self.engine.begin() as conn:
            out = finish(conn, self.envelope_id, self.att_id, device_id=self.device_id, keys=self.keys)
        if out.pop("discarded", False):
            raise ChecksumMismatch("attachment does not match the signed checksum; it was discarded, "
                                   "upload it again from offset 0")
        return out


def put_stream(engine: Engine, envelope_id: str, att_id: str, offset: int, stream: Iterator[bytes],
               declared: int | None, *, device_id: str, keys: OfficeKeys) -> dict:
    up = Upload(engine, envelope_id, att_id, offset, declared, device_id=device_id, keys=keys)
    up.start()
    for part in stream:
        up.feed(part)
    return up.end()


def put_chunk_tx(engine: Engine, envelope_id: str, att_id: str, offset: int, chunk: bytes, *,
                 device_id: str, keys: OfficeKeys) -> dict:
    """A whole chunk already in memory (tests, tools): the same path as the streaming route."""
    return put_stream(engine, envelope_id, att_id, offset, iter([chunk]), len(chunk),
                      device_id=device_id, keys=keys)


def expire_uploads(conn: Connection, ttl: timedelta = UPLOAD_TTL, now: datetime | None = None) -> int:
    """Discard the pieces of uploads untouched for `ttl` (the phone restarts from 0 if it ever
    comes back); returns how many uploads were reset."""
    cutoff = clock.iso((now or clock.now()) - ttl)
    stale = conn.execute(select(attachments.c.envelope_id, attachments.c.att_id).where(and_(
        attachments.c.complete.is_(False), attachments.c.received > 0,
        attachments.c.updated_at < cutoff))).all()
    for envelope_id, att_id in stale:
        conn.execute(delete(attachment_chunks).where(_chunk_where(envelope_id, att_id)))
        conn.execute(update(attachments).where(_where(envelope_id, att_id)).values(received=0, updated_at=None))
    return len(stale)


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

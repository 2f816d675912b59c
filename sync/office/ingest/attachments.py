"""Attachments upload in chunks that resume after a dropped connection; the sha256 of the
signed manifest is checked at the end and the receipt is re-signed with what is held."""
from __future__ import annotations

import hashlib
import json

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from core.errors import BadRequest, ChecksumMismatch, NotFound, OffsetMismatch, TooLarge
from sync.office.keys import OfficeKeys
from sync.office.schema import attachment_chunks, attachments, envelopes

from .common import make_receipt


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

"""A reply in a report's conversation: the volunteer (or the head who reviewed it) answers
the office. Sealed and signed like a review (form_id "_reply", payload {envelope_id,
message}), sealed to the office only.

Who may speak in a report's thread is decided here, never by the phone: the report's own
author, or a village head who already gave his verdict on it. Anyone else enrolled at
this office — another volunteer of the same village who knows the report id — is refused
with a typed error, and nothing is stored.
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Connection, and_, insert, select

from core.errors import BadRequest, Forbidden, NotFound
from office import clock
from office.keys import OfficeKeys
from office.schema import envelopes, replies, reviews

from .common import REPLY_FORM, _phone_ms, admit_small, make_receipt

MAX_REPLY = 2000       # characters; the phone caps its box at the same length
# The longest honest reply (2000 four-byte characters, compressed, padded recipients) seals
# to well under this; without it a payload padded with other fields would store up to the
# 256 KB envelope bound per "2000-character" reply (red team: tests/adversarial/
# test_redteam_conversation.py::test_a_padded_reply_cannot_smuggle_bulk_and_every_refusal_is_typed).
MAX_REPLY_BYTES = 16 * 1024
REPLY_FIELDS = {"envelope_id", "message"}


def ingest_reply(conn: Connection, data: bytes, *, device_id: str, keys: OfficeKeys,
                 now: datetime | None = None) -> dict:
    """Store one signed reply; a replay of the same bytes returns the original receipt.
    Raises JagaError subclasses (the route maps them to 4xx)."""
    a = admit_small(conn, data, form_id=REPLY_FORM, noun="reply", table=replies, max_bytes=MAX_REPLY_BYTES,
                    device_id=device_id, keys=keys)
    if a.duplicate is not None:
        return a.duplicate
    header, sha, author, opened = a.header, a.sha, a.author, a.opened
    p = opened.payload if isinstance(opened.payload, dict) else {}
    report_id, message = p.get("envelope_id"), p.get("message")
    if not isinstance(report_id, str) or not isinstance(message, str) or not message.strip():
        raise BadRequest("reply payload needs envelope_id and a non-empty message")
    if set(p) - REPLY_FIELDS:
        raise BadRequest("a reply payload holds only envelope_id and message")
    if len(message) > MAX_REPLY:
        raise BadRequest(f"the reply is longer than {MAX_REPLY} characters")
    report = conn.execute(select(envelopes.c.author_id).where(envelopes.c.id == report_id)).first()
    if report is None:
        raise NotFound("no such report")
    if report.author_id != author["id"] and not _reviewed_by(conn, report_id, author):
        raise Forbidden("only the report's author or the head who reviewed it may reply")
    now = now or clock.now()
    received_at = clock.iso(now)
    receipt = make_receipt(keys, header.envelope_id, sha, received_at, {}, True)
    conn.execute(insert(replies).values(id=header.envelope_id, report_id=report_id, author_id=author["id"],
                                        created_ms=_phone_ms(header), received_at=received_at,
                                        sha256=sha, data=data, receipt=receipt))
    return {"envelope_id": header.envelope_id, "status": "accepted", "receipt": json.loads(receipt)}


def _reviewed_by(conn: Connection, report_id: str, author: dict) -> bool:
    if author["role"] != "head":
        return False
    return conn.execute(select(reviews.c.id).where(and_(
        reviews.c.report_id == report_id, reviews.c.head_id == author["id"]))).first() is not None
